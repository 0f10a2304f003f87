/* args.c - kernel-side accessors of tess_args_t. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernels/args.h"

static const struct tess_arg *arg(const tess_args_t *a, int i)
{
    return (a && i >= 0 && i < a->n) ? &a->a[i] : NULL;
}

static const struct tess_arg *data_arg(const tess_args_t *a, int i)
{
    const struct tess_arg *x = arg(a, i);
    return x && x->kind == TESS_P_DATA ? x : NULL;
}

int tess_args_count(const tess_args_t *a)
{
    return a ? a->n : 0;
}

void *tess_args_data(const tess_args_t *a, int i)
{
    const struct tess_arg *x = data_arg(a, i);
    return x && !x->path ? x->buf : NULL;
}

int tess_args_rank(const tess_args_t *a, int i)
{
    const struct tess_arg *x = data_arg(a, i);
    return x ? x->rank : 0;
}

const int64_t *tess_args_shape(const tess_args_t *a, int i)
{
    const struct tess_arg *x = data_arg(a, i);
    return x ? x->count : NULL;
}

const int64_t *tess_args_start(const tess_args_t *a, int i)
{
    const struct tess_arg *x = data_arg(a, i);
    return x ? x->start : NULL;
}

tess_type_t tess_args_type(const tess_args_t *a, int i)
{
    const struct tess_arg *x = data_arg(a, i);
    return x ? x->type : (tess_type_t)0;
}

int64_t tess_args_numel(const tess_args_t *a, int i)
{
    const struct tess_arg *x = data_arg(a, i);
    if (!x || x->path)
        return 0;
    int64_t n = 1;
    for (int d = 0; d < x->rank; d++)
        n *= x->count[d];
    return n;
}

int64_t tess_args_int(const tess_args_t *a, int i)
{
    const struct tess_arg *x = arg(a, i);
    return x && x->kind == TESS_P_INT ? x->value.i : 0;
}

double tess_args_double(const tess_args_t *a, int i)
{
    const struct tess_arg *x = arg(a, i);
    if (!x)
        return 0.0;
    if (x->kind == TESS_P_DOUBLE)
        return x->value.d;
    return x->kind == TESS_P_INT ? (double)x->value.i : 0.0;
}

const char *tess_args_string(const tess_args_t *a, int i)
{
    const struct tess_arg *x = arg(a, i);
    return x && x->kind == TESS_P_STRING ? x->value.s : NULL;
}

const char *tess_args_path(const tess_args_t *a, int i)
{
    const struct tess_arg *x = data_arg(a, i);
    return x ? x->path : NULL;
}

const char *tess_args_kernel(const tess_args_t *a)
{
    return a ? a->kernel : NULL;
}

uint64_t tess_args_task_id(const tess_args_t *a)
{
    return a ? a->task_id : 0;
}

int tess_args_fail(const tess_args_t *a, const char *fmt, ...)
{
    if (a && a->msg && a->msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->msg, a->msglen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- parameter builders (tessera.h) ----------------------------------- */
