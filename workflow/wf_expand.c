/*
 * wf_expand.c - stream a compiled workflow into a sink.
 *
 * The body is a flat statement array (a foreach is followed by its body and
 * records where it ends), walked recursively once per iteration with an
 * int64 environment of slots.  Per call nothing is allocated: parameters are
 * built in a reused tess_param_t array.  Memory is the workflow's plus one
 * entry per distinct file path (files are identified by path).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workflow/wf_private.h"

typedef struct fentry {
    uint32_t off, len; /* path in the arena */
    uint32_t hash;
    bool written;      /* dry run: some task wrote it already */
    bool checked;      /* dry run: existence checked */
    tess_data_t handle;
} fentry_t;

/* A dry run's view of a persistent object: its blocks as the store has
 * them now (a store given, the object there), sorted by id. */
typedef struct dryobj {
    bool known;             /* the object is in the store */
    bool complete;
    tess_store_block_t *b;
    size_t n;
} dryobj_t;

typedef struct xstate {
    wf_t *wf;
    const wf_sink_ops_t *ops;
    void *ctx;
    bool dry;
    bool check_res; /* per-call cpus against wf->res_max_cpus */
    tess_error_t *err;
    int64_t *env;
    tess_data_t *handle;    /* per data */
    int64_t (*shape)[TESS_MAX_RANK]; /* per data */
    uint32_t *fent;         /* per file data: its entry + 1 */
    dryobj_t *dryobj;       /* per data (dry runs): objects in the store */
    tess_store_t *store;    /* dry runs with a store given */
    tess_data_t next_handle;
    tess_param_t params[WF_MAX_PARAMS];
    const char *names[WF_MAX_PARAMS];
    char *strbuf;           /* WF_MAX_PARAMS * WF_MAX_PATH, on first use */
    uint64_t seq;
    uint32_t loops[WF_MAX_LOOP_DEPTH];
    int depth;
    /* files by path */
    fentry_t *fe;
    size_t nfe, capfe;
    uint32_t *ftab; /* indices + 1, 0: empty */
    size_t ftabcap;
    char *arena;
    size_t narena, caparena;
    char path[WF_MAX_PATH];
    char path2[WF_MAX_PATH];
} xstate_t;

/* "file:line:col: message (in iteration i=1, j=2)" */
static int xerr(xstate_t *xs, wf_loc_t loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int xerr(xstate_t *xs, wf_loc_t loc, const char *fmt, ...)
{
    int saved = errno ? errno : EINVAL;
    char msg[400];
    size_t o;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    o = strlen(msg);
    for (int i = 0; i < xs->depth && o < sizeof(msg); i++) {
        const wf_sym_t *s = &xs->wf->syms.v[xs->loops[i]];
        o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s=%lld",
                              i ? ", " : " (in iteration ",
                              wf_str(xs->wf, s->name),
                              (long long)xs->env[s->slot]);
    }
    if (xs->depth && o < sizeof(msg))
        snprintf(msg + o, sizeof(msg) - o, ")");
    wf_err_at(xs->wf, xs->err, loc, "%s", msg);
    errno = saved;
    return -1;
}

static int eval(xstate_t *xs, uint32_t i, int64_t *out)
{
    const wf_t *wf = xs->wf;
    const wf_expr_t *x = &wf->exprs.v[i];
    const wf_insn_t *p = wf->code.v + x->code;
    if (x->ncode == 1) { /* the common cases: a constant or a name */
        *out = p->op == WF_OP_CONST ? p->arg : xs->env[p->arg];
        return 0;
    }
    wf_exprerr_t e;
    if (wf_expr_eval(wf->code.v, x, xs->env, out, &e) < 0) {
        errno = EINVAL;
        return xerr(xs, wf_loc_add(wf, x->loc, x->src, e.pos), "%s in '%s'",
                    e.msg, wf_str(wf, x->src));
    }
    return 0;
}

static int tpl(xstate_t *xs, uint32_t t, char *buf)
{
    tess_error_t e;
    if (wf_tpl_eval(xs->wf, &xs->wf->tpls.v[t], xs->env, buf, WF_MAX_PATH,
                    &e) < 0) {
        /* e.text is "file:l:c: msg"; add the iteration */
        const char *msg = e.text;
        for (int k = 0; k < 3 && msg; k++) {
            msg = strchr(msg, ':');
            msg = msg ? msg + 1 : NULL;
        }
        return xerr(xs, xs->wf->tpls.v[t].loc, "%s",
                    msg ? msg + (*msg == ' ') : e.text);
    }
    return 0;
}

/* ---------- files by path ---------- */

static uint32_t hash_path(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int ftab_grow(xstate_t *xs)
{
    size_t cap = xs->ftabcap ? xs->ftabcap * 2 : 256;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (!t)
        return -1;
    for (size_t i = 0; i < xs->nfe; i++) {
        size_t j = xs->fe[i].hash & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(xs->ftab);
    xs->ftab = t;
    xs->ftabcap = cap;
    return 0;
}

/* The entry of @p path, declaring the file to the sink when new. */
static fentry_t *file_get(xstate_t *xs, const char *path, const char *name,
                          wf_loc_t loc)
{
    size_t n = strlen(path);
    uint32_t h = hash_path(path, n);
    if ((xs->nfe + 1) * 2 > xs->ftabcap && ftab_grow(xs) < 0)
        goto oom;
    size_t mask = xs->ftabcap - 1, j = h & mask;
    for (; xs->ftab[j]; j = (j + 1) & mask) {
        fentry_t *f = &xs->fe[xs->ftab[j] - 1];
        if (f->hash == h && f->len == n &&
            memcmp(xs->arena + f->off, path, n) == 0)
            return f;
    }
    if (xs->nfe == xs->capfe) {
        size_t cap = xs->capfe ? xs->capfe * 2 : 64;
        fentry_t *p = realloc(xs->fe, cap * sizeof(*p));
        if (!p)
            goto oom;
        xs->fe = p;
        xs->capfe = cap;
    }
    if (xs->narena + n + 1 > xs->caparena) {
        size_t cap = xs->caparena ? xs->caparena : 4096;
        while (cap < xs->narena + n + 1)
            cap *= 2;
        char *p = realloc(xs->arena, cap);
        if (!p)
            goto oom;
        xs->arena = p;
        xs->caparena = cap;
    }
    if (xs->narena + n + 1 > UINT32_MAX)
        goto oom;
    fentry_t *f = &xs->fe[xs->nfe];
    *f = (fentry_t){.off = (uint32_t)xs->narena, .len = (uint32_t)n,
                    .hash = h};
    memcpy(xs->arena + xs->narena, path, n + 1);
    xs->narena += n + 1;
    wf_file_decl_t decl = {.name = name, .path = path, .loc = loc};
    if (xs->ops && xs->ops->declare_file) {
        tess_error_t e = {{0}};
        if (xs->ops->declare_file(xs->ctx, &decl, &f->handle, &e) < 0) {
            xerr(xs, loc, "%s", e.text);
            return NULL;
        }
    } else {
        f->handle = ++xs->next_handle;
    }
    xs->ftab[j] = (uint32_t)++xs->nfe;
    return f;
oom:
    errno = ENOMEM;
    xerr(xs, loc, "out of memory");
    return NULL;
}

/* Path of a <file> or path= argument: template, then the run directory. */
static const char *file_path(xstate_t *xs, uint32_t t)
{
    if (tpl(xs, t, xs->path) < 0)
        return NULL;
    if (!xs->path[0]) {
        errno = EINVAL;
        xerr(xs, xs->wf->tpls.v[t].loc, "empty file path");
        return NULL;
    }
    const char *rd = xs->wf->run_dir;
    if (xs->path[0] == '/' || !rd || !*rd)
        return xs->path;
    if ((size_t)snprintf(xs->path2, sizeof(xs->path2), "%s/%s", rd,
                         xs->path) >= sizeof(xs->path2)) {
        errno = ENAMETOOLONG;
        xerr(xs, xs->wf->tpls.v[t].loc, "path longer than %d bytes",
             WF_MAX_PATH - 1);
        return NULL;
    }
    return xs->path2;
}

/* Dry run: a file read must have been written before or exist. */
static int file_access(xstate_t *xs, fentry_t *f, int dir, const char *task,
                       wf_loc_t loc)
{
    if (!xs->dry)
        return 0;
    if ((dir == TESS_IN || dir == TESS_INOUT) && !f->written && !f->checked) {
        const char *p = xs->arena + f->off;
        if (access(p, R_OK) != 0) {
            errno = ENOENT;
            return xerr(xs, loc, "'%s' reads file '%s', which no earlier task "
                        "writes and which does not exist", task, p);
        }
        f->checked = true;
    }
    if (dir == TESS_OUT || dir == TESS_INOUT)
        f->written = true;
    return 0;
}

/* ---------- statements ---------- */

static int sink_err(xstate_t *xs, wf_loc_t loc, tess_error_t *e)
{
    if (!e->text[0])
        snprintf(e->text, sizeof(e->text), "the run refused the request");
    return xerr(xs, loc, "%s", e->text);
}

static int declare_array(xstate_t *xs, const wf_stmt_t *st)
{
    wf_t *wf = xs->wf;
    const wf_data_t *d = &wf->data.v[st->a];
    int64_t *shape = xs->shape[st->a];
    const char *name = wf_str(wf, d->name);
    wf_array_decl_t decl = {.name = name, .type = (tess_type_t)d->type,
                            .rank = d->rank, .shape = shape,
                            .local = d->local, .zero = d->zero,
                            .loc = d->loc};
    if (d->kind == WF_DATA_INPUT) {
        for (int k = 0; k < d->rank; k++)
            shape[k] = xs->env[wf->syms.v[d->dim_sym + k].slot];
        if (tpl(xs, d->tpl, xs->path) < 0)
            return -1;
        char *abs = wf_path_join(wf->dir, xs->path);
        if (!abs || strlen(abs) >= sizeof(xs->path2)) {
            free(abs);
            errno = ENAMETOOLONG;
            return xerr(xs, d->loc, "input path too long");
        }
        strcpy(xs->path2, abs);
        free(abs);
        decl.source_file = xs->path2;
        decl.source_dataset = wf_str(wf, d->dataset);
    } else {
        int64_t bytes = (int64_t)tess_type_size(d->type);
        for (int k = 0; k < d->rank; k++) {
            if (eval(xs, d->shape + (uint32_t)k, &shape[k]) < 0)
                return -1;
            if (shape[k] < 1) {
                errno = EINVAL;
                return xerr(xs, wf->exprs.v[d->shape + (uint32_t)k].loc,
                            "dimension %d of '%s' is %lld: extents must be "
                            ">= 1", k, name, (long long)shape[k]);
            }
            if (__builtin_mul_overflow(bytes, shape[k], &bytes)) {
                errno = EINVAL;
                return xerr(xs, d->loc, "array '%s' is too large (its size "
                            "overflows 64 bits)", name);
            }
        }
    }
    if (xs->ops && xs->ops->declare_array) {
        tess_error_t e = {{0}};
        if (xs->ops->declare_array(xs->ctx, &decl, &xs->handle[st->a], &e) < 0)
            return sink_err(xs, st->loc, &e);
    } else {
        xs->handle[st->a] = ++xs->next_handle;
    }
    return 0;
}

static int region(xstate_t *xs, const wf_arg_t *a, const char *task,
                  tess_param_t *p);

static int cmp_block(const void *a, const void *b)
{
    int64_t x = ((const tess_store_block_t *)a)->id;
    int64_t y = ((const tess_store_block_t *)b)->id;
    return x < y ? -1 : x > y;
}

/* A dry run with a store: the blocks the object has now. */
static int dry_object(xstate_t *xs, uint32_t d, const char *object)
{
    dryobj_t *o = &xs->dryobj[d];
    tess_store_obj_t *obj;
    tess_store_info_t info;
    if (!xs->store || !(obj = tess_store_obj_open(xs->store, object, 0,
                                                  NULL)))
        return 0; /* not there (yet): WF_CHECK_STORE judged that */
    tess_store_iter_t *it = tess_store_blocks(obj, 0, 0, NULL);
    tess_store_block_t b;
    size_t cap = 0;
    o->known = tess_store_info(obj, &info, NULL) == 0;
    o->complete = o->known && info.state == TESS_STORE_COMPLETE;
    while (it && o->known && tess_store_next(it, &b, NULL) == 1) {
        if (o->n == cap) {
            cap = cap ? cap * 2 : 64;
            tess_store_block_t *v = realloc(o->b, cap * sizeof(*v));
            if (!v)
                break;
            o->b = v;
        }
        o->b[o->n++] = b;
    }
    tess_store_iter_destroy(it);
    tess_store_obj_close(obj);
    if (o->n > 1)
        qsort(o->b, o->n, sizeof(*o->b), cmp_block);
    return 0;
}

static const tess_store_block_t *dry_block(const dryobj_t *o, int64_t id)
{
    tess_store_block_t key = {.id = id};
    return o->n ? bsearch(&key, o->b, o->n, sizeof(*o->b), cmp_block) : NULL;
}

/* <persistent>: the object's shape (given, or bound from the store), its
 * name, then the sink's array. */
static int declare_object(xstate_t *xs, const wf_stmt_t *st)
{
    wf_t *wf = xs->wf;
    const wf_data_t *d = &wf->data.v[st->a];
    int64_t *shape = xs->shape[st->a], nblocks = 0;
    const char *name = wf_str(wf, d->name);
    for (int k = 0; k < d->rank; k++) {
        if (d->dims)
            shape[k] = xs->env[wf->syms.v[d->dim_sym + k].slot];
        else if (eval(xs, d->shape + (uint32_t)k, &shape[k]) < 0)
            return -1;
        if (shape[k] < 1) {
            errno = EINVAL;
            return xerr(xs, d->loc, "dimension %d of '%s' is %lld: extents "
                        "must be >= 1", k, name, (long long)shape[k]);
        }
    }
    if (d->nblocks && eval(xs, d->nblocks - 1, &nblocks) < 0)
        return -1;
    if (nblocks < 0) {
        errno = EINVAL;
        return xerr(xs, d->loc, "'%s' announces %lld blocks", name,
                    (long long)nblocks);
    }
    if (tpl(xs, d->tpl, xs->path) < 0)
        return -1;
    wf_object_decl_t decl = {.name = name, .object = xs->path,
                             .create = d->create,
                             .type = (tess_type_t)d->type, .rank = d->rank,
                             .shape = shape, .nblocks = nblocks,
                             .wait = d->wait, .loc = d->loc};
    if (xs->ops && xs->ops->declare_object) {
        tess_error_t e = {{0}};
        if (xs->ops->declare_object(xs->ctx, &decl, &xs->handle[st->a],
                                    &e) < 0)
            return sink_err(xs, st->loc, &e);
        return 0;
    }
    xs->handle[st->a] = ++xs->next_handle;
    return xs->dry && !d->create ? dry_object(xs, st->a, xs->path) : 0;
}

/* block= of argument @p a: the block's box into @p p (declared with the
 * call's start= and count=, or the one the run knows). */
static int block_arg(xstate_t *xs, const wf_arg_t *a, const char *task,
                     tess_param_t *p)
{
    const wf_t *wf = xs->wf;
    const wf_data_t *d = &wf->data.v[a->data];
    const char *name = wf_str(wf, d->name);
    int64_t id;
    if (eval(xs, a->block - 1, &id) < 0)
        return -1;
    if (id < 0) {
        errno = EINVAL;
        return xerr(xs, wf->exprs.v[a->block - 1].loc, "'%s': block id %lld "
                    "of '%s' (ids are >= 0)", task, (long long)id, name);
    }
    bool declare = a->region == WF_R_SLAB;
    if (declare && region(xs, a, task, p) < 0)
        return -1;
    p->rank = d->rank;
    if (xs->ops && xs->ops->block) {
        tess_error_t e = {{0}};
        int64_t start[TESS_MAX_RANK], count[TESS_MAX_RANK];
        if (xs->ops->block(xs->ctx, xs->handle[a->data], id,
                           declare ? p->start : NULL,
                           declare ? p->count : NULL, start, count, &e) < 0)
            return sink_err(xs, a->loc, &e);
        memcpy(p->start, start, sizeof(start));
        memcpy(p->count, count, sizeof(count));
        return 0;
    }
    if (declare)
        return 0;
    const dryobj_t *o = xs->dryobj ? &xs->dryobj[a->data] : NULL;
    const tess_store_block_t *b = o ? dry_block(o, id) : NULL;
    if (o && o->complete && !b) {
        errno = EINVAL;
        return xerr(xs, wf->exprs.v[a->block - 1].loc, "'%s': object '%s' "
                    "has no block %lld (it is complete, with %zu blocks)",
                    task, name, (long long)id, o->n);
    }
    for (int k = 0; k < d->rank; k++) {
        p->start[k] = b ? b->start[k] : 0;
        p->count[k] = b ? b->count[k] : xs->shape[a->data][k];
    }
    return 0;
}

static int region(xstate_t *xs, const wf_arg_t *a, const char *task,
                  tess_param_t *p)
{
    const wf_t *wf = xs->wf;
    const wf_data_t *d = &wf->data.v[a->data];
    const int64_t *shape = xs->shape[a->data];
    const char *name = wf_str(wf, d->name);
    p->rank = d->rank;
    if (a->region == WF_R_ROWS) {
        int64_t lo, hi;
        if (eval(xs, a->expr, &lo) < 0 || eval(xs, a->expr + 1, &hi) < 0)
            return -1;
        if (lo < 0 || hi > shape[0] || lo >= hi) {
            errno = EINVAL;
            return xerr(xs, wf->exprs.v[a->expr].loc, "'%s': rows %lld:%lld "
                        "of '%s' are %s (it has %lld rows)", task,
                        (long long)lo, (long long)hi, name,
                        lo >= hi ? "an empty range" : "out of bounds",
                        (long long)shape[0]);
        }
        p->start[0] = lo;
        p->count[0] = hi - lo;
        for (int k = 1; k < d->rank; k++) {
            p->start[k] = 0;
            p->count[k] = shape[k];
        }
        return 0;
    }
    for (int k = 0; k < d->rank; k++) {
        int64_t s, n, e;
        if (eval(xs, a->expr + (uint32_t)k, &s) < 0 ||
            eval(xs, a->expr + (uint32_t)(d->rank + k), &n) < 0)
            return -1;
        if (s < 0 || n < 1 || __builtin_add_overflow(s, n, &e) ||
            e > shape[k]) {
            errno = EINVAL;
            return xerr(xs, wf->exprs.v[a->expr].loc, "'%s': region of '%s' "
                        "is out of bounds in dimension %d (start %lld, count "
                        "%lld, extent %lld)", task, name, k, (long long)s,
                        (long long)n, (long long)shape[k]);
        }
        p->start[k] = s;
        p->count[k] = n;
    }
    return 0;
}

/* The cpus of one call: the task's expression over its int arguments
 * (already in xs->params) and the workflow's names. */
static int call_cpus(xstate_t *xs, const wf_stmt_t *st,
                     const wf_taskdef_t *td, int64_t *cpus)
{
    const wf_t *wf = xs->wf;
    const char *task = wf_str(wf, td->name);
    for (uint32_t k = 0; k < td->nformal; k++) {
        const wf_formal_t *f = &wf->formals.v[td->formal + k];
        if (f->slot && xs->params[k].kind == TESS_P_INT)
            xs->env[f->slot - 1] = xs->params[k].value.i;
    }
    if (eval(xs, td->cpus - 1, cpus) < 0)
        return -1;
    if (*cpus < 1 || *cpus > WF_MAX_CPUS) {
        errno = EINVAL;
        return xerr(xs, st->loc, "call of '%s': cpus '%s' is %lld: it must "
                    "be between 1 and %d", task,
                    wf_str(wf, wf->exprs.v[td->cpus - 1].src),
                    (long long)*cpus, WF_MAX_CPUS);
    }
    if (xs->check_res && wf->res_max_cpus && *cpus > wf->res_max_cpus) {
        errno = EINVAL;
        return xerr(xs, st->loc, "task '%s' needs %lld cpus but workers have "
                    "at most %d", task, (long long)*cpus, wf->res_max_cpus);
    }
    return 0;
}

static int call(xstate_t *xs, const wf_stmt_t *st)
{
    wf_t *wf = xs->wf;
    const wf_taskdef_t *td = &wf->tasks.v[st->a];
    const char *task = wf_str(wf, td->name);
    for (uint32_t k = 0; k < st->c; k++) {
        const wf_arg_t *a = &wf->args.v[st->b + k];
        tess_param_t *p = &xs->params[k];
        xs->names[k] = wf_str(wf, wf->formals.v[td->formal + k].name);
        switch (a->kind) {
        case WF_A_DATA: {
            const wf_data_t *d = &wf->data.v[a->data];
            p->kind = TESS_P_DATA;
            p->dir = (tess_dir_t)a->dir;
            p->data = xs->handle[a->data];
            p->rank = 0;
            if (a->block ? block_arg(xs, a, task, p) < 0
                         : a->region && region(xs, a, task, p) < 0)
                return -1;
            if (d->kind == WF_DATA_FILE && xs->dry && xs->fent[a->data] &&
                file_access(xs, &xs->fe[xs->fent[a->data] - 1], a->dir, task,
                            a->loc) < 0)
                return -1;
            break;
        }
        case WF_A_PATH: {
            const char *path = file_path(xs, a->tpl);
            fentry_t *f = path ? file_get(xs, path, path, a->loc) : NULL;
            if (!f || file_access(xs, f, a->dir, task, a->loc) < 0)
                return -1;
            p->kind = TESS_P_DATA;
            p->dir = (tess_dir_t)a->dir;
            p->data = f->handle;
            p->rank = 0;
            break;
        }
        case WF_A_INT:
            p->kind = TESS_P_INT;
            if (eval(xs, a->expr, &p->value.i) < 0)
                return -1;
            break;
        case WF_A_FLOAT:
            p->kind = TESS_P_DOUBLE;
            p->value.d = a->d;
            break;
        case WF_A_FLOATX: {
            int64_t v;
            if (eval(xs, a->expr, &v) < 0)
                return -1;
            p->kind = TESS_P_DOUBLE;
            p->value.d = (double)v;
            break;
        }
        case WF_A_STRING:
            if (!xs->strbuf &&
                !(xs->strbuf = malloc((size_t)WF_MAX_PARAMS * WF_MAX_PATH))) {
                errno = ENOMEM;
                return xerr(xs, a->loc, "out of memory");
            }
            if (tpl(xs, a->tpl, xs->strbuf + (size_t)k * WF_MAX_PATH) < 0)
                return -1;
            p->kind = TESS_P_STRING;
            p->value.s = xs->strbuf + (size_t)k * WF_MAX_PATH;
            break;
        }
    }
    int64_t cpus = 1;
    if (td->cpus && call_cpus(xs, st, td, &cpus) < 0)
        return -1;
    xs->seq++;
    if (xs->ops && xs->ops->task) {
        const wf_lib_t *lib = &wf->libs.v[td->lib];
        wf_task_call_t c = {.task = task, .kernel = wf_str(wf, td->kernel),
                            .kernel_lib = lib->path,
                            .kernel_symbol = wf_str(wf, td->symbol),
                            .flags = st->flags,
                            .arch = td->arch ? wf_str(wf, td->arch - 1) : NULL,
                            .cpus = (int)cpus, .memory_mb = td->memory_mb,
                            .on_failure = (tess_on_failure_t)td->on_failure,
                            .retries = (int)td->retries,
                            .timeout = td->timeout,
                            .isolation = (tess_isolation_t)td->isolation,
                            .nimpls = (int)td->nimpl,
                            .impls = td->nimpl ? wf->impl_view + td->impl
                                               : NULL,
                            .nparams = (int)st->c,
                            .params = xs->params, .param_names = xs->names,
                            .seq = xs->seq, .loc = st->loc};
        tess_error_t e = {{0}};
        if (xs->ops->task(xs->ctx, &c, &e) < 0)
            return sink_err(xs, st->loc, &e);
    }
    return 0;
}

static int run(xstate_t *xs, uint32_t begin, uint32_t end);
static int end_iteration(xstate_t *xs, const wf_stmt_t *st);

static int foreach(xstate_t *xs, const wf_stmt_t *st, uint32_t i)
{
    wf_t *wf = xs->wf;
    int64_t from, to, step;
    if (eval(xs, st->b, &from) < 0 || eval(xs, st->b + 1, &to) < 0 ||
        eval(xs, st->b + 2, &step) < 0)
        return -1;
    if (step == 0) {
        errno = EINVAL;
        return xerr(xs, wf->exprs.v[st->b + 2].loc, "the step of a loop must "
                    "not be 0");
    }
    if (step > 0 ? to < from : to > from) {
        /* a count gone negative (num_frags=-1) is a mistake, not zero
         * iterations: the results would be left unwritten */
        errno = EINVAL;
        return xerr(xs, st->loc, "the loop from %lld to %lld (step %lld) "
                    "would run a negative number of times", (long long)from,
                    (long long)to, (long long)step);
    }
    uint32_t slot = wf->syms.v[st->a].slot;
    xs->loops[xs->depth++] = st->a;
    for (int64_t v = from; step > 0 ? v < to : v > to;) {
        xs->env[slot] = v;
        if (wf->max_steps && ++wf->steps > wf->max_steps) {
            errno = E2BIG;
            return xerr(xs, st->loc, "the expansion exceeds the limit of "
                        "%llu steps", (unsigned long long)wf->max_steps);
        }
        if (run(xs, i + 1, st->end) < 0 || end_iteration(xs, st) < 0)
            return -1;
        if (__builtin_add_overflow(v, step, &v))
            break;
    }
    xs->depth--;
    return 0;
}

/* The end of an iteration: the loop's local arrays go. */
static int end_iteration(xstate_t *xs, const wf_stmt_t *st)
{
    wf_t *wf = xs->wf;
    for (uint32_t k = 0; k < st->d; k++) {
        uint32_t d = wf->locals.v[st->c + k];
        if (xs->ops && xs->ops->delete_data) {
            tess_error_t e = {{0}};
            if (xs->ops->delete_data(xs->ctx, xs->handle[d], &e) < 0)
                return sink_err(xs, wf->data.v[d].loc, &e);
        }
        xs->handle[d] = 0;
    }
    return 0;
}

/* One iteration of a loop over blocks, with block id @p id, unless the
 * bounds exclude it. */
static int blocks_iteration(xstate_t *xs, const wf_stmt_t *st, uint32_t i,
                            int64_t id, int64_t from, int64_t to)
{
    wf_t *wf = xs->wf;
    if (((st->flags & WF_BLOCKS_FROM) && id < from) ||
        ((st->flags & WF_BLOCKS_TO) && id >= to))
        return 0;
    xs->env[wf->syms.v[st->a].slot] = id;
    if (wf->max_steps && ++wf->steps > wf->max_steps) {
        errno = E2BIG;
        return xerr(xs, st->loc, "the expansion exceeds the limit of %llu "
                    "steps", (unsigned long long)wf->max_steps);
    }
    if (run(xs, i + 1, st->end) < 0)
        return -1;
    return end_iteration(xs, st);
}

/* <foreach blocks=>: the sink's iteration over the object's blocks; a dry
 * run walks the blocks the store has now, or guesses one iteration. */
static int foreach_blocks(xstate_t *xs, const wf_stmt_t *st, uint32_t i)
{
    wf_t *wf = xs->wf;
    int64_t from = 0, to = 0, id;
    if (eval(xs, st->b, &from) < 0 || eval(xs, st->b + 1, &to) < 0)
        return -1;
    xs->loops[xs->depth++] = st->a;
    int rc = 0;
    tess_data_t h = xs->handle[st->e];
    if (xs->ops && xs->ops->blocks_begin) {
        void *it = NULL;
        tess_error_t e = {{0}};
        if (xs->ops->blocks_begin(xs->ctx, h, &it, &e) < 0)
            return sink_err(xs, st->loc, &e);
        int more;
        while (rc == 0 &&
               (more = xs->ops->blocks_next(xs->ctx, it, &id, &e)) == 1)
            rc = blocks_iteration(xs, st, i, id, from, to);
        if (rc == 0 && more < 0)
            rc = sink_err(xs, st->loc, &e);
        xs->ops->blocks_end(xs->ctx, it);
    } else {
        const dryobj_t *o = xs->dryobj ? &xs->dryobj[st->e] : NULL;
        if (o && o->known) {
            for (size_t k = 0; rc == 0 && k < o->n; k++)
                rc = blocks_iteration(xs, st, i, o->b[k].id, from, to);
            if (!o->complete)
                wf->calls_inexact = true;
        } else {
            /* blocks not known before the run: the body once */
            wf->calls_inexact = true;
            rc = blocks_iteration(xs, st, i,
                                  (st->flags & WF_BLOCKS_FROM) ? from : 0,
                                  from, to);
        }
    }
    xs->depth--;
    return rc;
}

static int run(xstate_t *xs, uint32_t begin, uint32_t end)
{
    wf_t *wf = xs->wf;
    for (uint32_t i = begin; i < end;) {
        const wf_stmt_t *st = &wf->stmts.v[i];
        tess_error_t e = {{0}};
        int r = 0;
        if (wf->max_steps && ++wf->steps > wf->max_steps) {
            errno = E2BIG;
            return xerr(xs, st->loc, "the expansion exceeds the limit of "
                        "%llu steps", (unsigned long long)wf->max_steps);
        }
        switch (st->kind) {
        case WF_ST_LET:
            r = eval(xs, st->b, &xs->env[wf->syms.v[st->a].slot]);
            break;
        case WF_ST_INPUT:
        case WF_ST_ARRAY:
            r = declare_array(xs, st);
            break;
        case WF_ST_FILE: {
            const wf_data_t *d = &wf->data.v[st->a];
            const char *path = file_path(xs, d->tpl);
            fentry_t *f = path ? file_get(xs, path, wf_str(wf, d->name),
                                          d->loc) : NULL;
            if (!f)
                return -1;
            xs->handle[st->a] = f->handle;
            xs->fent[st->a] = (uint32_t)(f - xs->fe) + 1;
            break;
        }
        case WF_ST_CALL:
            r = call(xs, st);
            break;
        case WF_ST_FOREACH:
            if (foreach(xs, st, i) < 0)
                return -1;
            i = st->end;
            continue;
        case WF_ST_BLOCKS:
            if (foreach_blocks(xs, st, i) < 0)
                return -1;
            i = st->end;
            continue;
        case WF_ST_OBJECT:
            r = declare_object(xs, st);
            break;
        case WF_ST_COMPLETE:
            if (xs->ops && xs->ops->complete &&
                xs->ops->complete(xs->ctx, xs->handle[st->a], &e) < 0)
                r = sink_err(xs, st->loc, &e);
            break;
        case WF_ST_DELETE_OBJECT:
            if (tpl(xs, st->a, xs->path) < 0)
                return -1;
            if (xs->ops && xs->ops->delete_object &&
                xs->ops->delete_object(xs->ctx, xs->path, &e) < 0)
                r = sink_err(xs, st->loc, &e);
            break;
        case WF_ST_BARRIER:
            if (xs->ops && xs->ops->barrier && xs->ops->barrier(xs->ctx, &e) < 0)
                r = sink_err(xs, st->loc, &e);
            break;
        case WF_ST_WAIT:
            if (xs->ops && xs->ops->wait &&
                xs->ops->wait(xs->ctx, xs->handle[st->a],
                              wf_str(wf, wf->data.v[st->a].name),
                              wf->data.v[st->a].kind == WF_DATA_FILE, &e) < 0)
                r = sink_err(xs, st->loc, &e);
            break;
        case WF_ST_DELETE:
            if (xs->ops && xs->ops->delete_data &&
                xs->ops->delete_data(xs->ctx, xs->handle[st->a], &e) < 0)
                r = sink_err(xs, st->loc, &e);
            xs->handle[st->a] = 0;
            break;
        }
        if (r < 0)
            return -1;
        i++;
    }
    return 0;
}

int wf_expand_internal(wf_t *wf, const wf_sink_ops_t *ops, void *ctx,
                       bool dry, bool check_res, tess_error_t *err)
{
    xstate_t *xs;
    int rc = -1;

    if (!wf->inputs_bound && wf_bind_inputs(wf, err) < 0)
        return -1;
    if (wf->objects_unbound) {
        errno = EINVAL;
        return tess_errprintf(err, "%s: an object it reads is not in the "
                              "store yet (its shape is unknown)", wf->path);
    }
    if (!(xs = calloc(1, sizeof(*xs)))) {
        errno = ENOMEM;
        return tess_errprintf(err, "%s: out of memory", wf->path);
    }
    xs->wf = wf;
    xs->ops = ops;
    xs->ctx = ctx;
    xs->dry = dry;
    xs->check_res = check_res;
    xs->err = err;
    size_t nd = wf->data.n ? wf->data.n : 1;
    xs->env = calloc(wf->nslots ? wf->nslots : 1, sizeof(int64_t));
    xs->handle = calloc(nd, sizeof(tess_data_t));
    xs->shape = calloc(nd, sizeof(*xs->shape));
    xs->fent = calloc(nd, sizeof(uint32_t));
    if (dry) {
        const char *sd = wf_store_given(wf);
        xs->dryobj = calloc(nd, sizeof(*xs->dryobj));
        tess_error_t e;
        if (sd && !(xs->store = tess_store_open(sd, 0, &e))) {
            errno = EINVAL;
            tess_errprintf(err, "%s: %s", wf->path, e.text);
            goto out;
        }
    }
    if (!xs->env || !xs->handle || !xs->shape || !xs->fent ||
        (dry && !xs->dryobj)) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", wf->path);
        goto out;
    }
    if (wf->nslots)
        memcpy(xs->env, wf->env, wf->nslots * sizeof(int64_t));
    wf->steps = 0;
    if (dry)
        wf->calls_inexact = false;
    if (run(xs, 0, (uint32_t)wf->stmts.n) < 0)
        goto out;
    wf->calls = xs->seq;
    if (!dry)
        wf->calls_inexact = false;
    if (!dry) {
        tess_data_t *h = realloc(wf->result_handles.v,
                                 (wf->results.n + 1) * sizeof(*h));
        if (!h) {
            errno = ENOMEM;
            tess_errprintf(err, "%s: out of memory", wf->path);
            goto out;
        }
        wf->result_handles.v = h;
        wf->result_handles.n = wf->results.n;
        for (size_t i = 0; i < wf->results.n; i++)
            h[i] = xs->handle[wf->results.v[i].data];
    }
    rc = 0;
out:
    free(xs->env);
    free(xs->handle);
    free(xs->shape);
    free(xs->fent);
    for (size_t i = 0; xs->dryobj && i < nd; i++)
        free(xs->dryobj[i].b);
    free(xs->dryobj);
    tess_store_close(xs->store);
    free(xs->strbuf);
    free(xs->fe);
    free(xs->ftab);
    free(xs->arena);
    free(xs);
    return rc;
}

int wf_expand(wf_t *wf, const wf_sink_ops_t *ops, void *ctx,
              tess_error_t *err)
{
    return wf_expand_internal(wf, ops, ctx, false, false, err);
}
