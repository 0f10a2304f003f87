/* args.c - kernel-side accessors of tess_args_t, and parameter builders. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/args.h"

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

static tess_param_t data_param(tess_dir_t dir, tess_data_t data)
{
    tess_param_t p;
    memset(&p, 0, sizeof(p));
    p.kind = TESS_P_DATA;
    p.dir = dir;
    p.data = data;
    return p;
}

tess_param_t tess_in(tess_data_t data)
{
    return data_param(TESS_IN, data);
}

tess_param_t tess_out(tess_data_t data)
{
    return data_param(TESS_OUT, data);
}

tess_param_t tess_inout(tess_data_t data)
{
    return data_param(TESS_INOUT, data);
}

tess_param_t tess_region(tess_dir_t dir, tess_data_t data, int rank,
                         const int64_t *start, const int64_t *count)
{
    tess_param_t p = data_param(dir, data);
    if (rank < 0 || rank > TESS_MAX_RANK)
        rank = -1; /* rejected at submission */
    p.rank = rank;
    for (int d = 0; d < rank; d++) {
        p.start[d] = start[d];
        p.count[d] = count[d];
    }
    return p;
}

/* A row range is resolved against the data's shape at submission (the
 * builder does not know the rank): marked with TESS_ROWS_RANK. */
tess_param_t tess_rows(tess_dir_t dir, tess_data_t data, int64_t row_start,
                       int64_t row_end)
{
    tess_param_t p = data_param(dir, data);
    p.rank = TESS_ROWS_RANK;
    p.start[0] = row_start;
    p.count[0] = row_end - row_start;
    return p;
}

tess_param_t tess_int(int64_t value)
{
    tess_param_t p;
    memset(&p, 0, sizeof(p));
    p.kind = TESS_P_INT;
    p.value.i = value;
    return p;
}

tess_param_t tess_double(double value)
{
    tess_param_t p;
    memset(&p, 0, sizeof(p));
    p.kind = TESS_P_DOUBLE;
    p.value.d = value;
    return p;
}

tess_param_t tess_string(const char *value)
{
    tess_param_t p;
    memset(&p, 0, sizeof(p));
    p.kind = TESS_P_STRING;
    p.value.s = value;
    return p;
}

/* ---- element types ---------------------------------------------------- */

size_t tess_type_size(tess_type_t type)
{
    switch (type) {
    case TESS_U8:
        return 1;
    case TESS_I32:
    case TESS_F32:
        return 4;
    case TESS_I64:
    case TESS_F64:
        return 8;
    }
    return 0;
}

const char *tess_type_name(tess_type_t type)
{
    switch (type) {
    case TESS_U8:
        return "u8";
    case TESS_I32:
        return "i32";
    case TESS_I64:
        return "i64";
    case TESS_F32:
        return "f32";
    case TESS_F64:
        return "f64";
    }
    return "?";
}
