/*
 * wf_run.c - the expansion sink bound to the run API of tessera.h.
 *
 * Kernels: each library resolved by wf_validate(WF_CHECK_KERNELS) is opened
 * here (and kept open until the sink is destroyed) and every task's symbol,
 * and every implementation's, is registered under "lib:symbol", the name
 * tess_submit2() receives (as the kernel or in the implementations).  Input
 * arrays are declared with tess_array_h5() (the run reads the dataset).
 * <wait> on an array needs its size: the sink keeps bytes per live handle.
 */
#define _XOPEN_SOURCE 700
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/box.h"
#include "workflow/wf_private.h"

typedef struct hslot {
    tess_data_t h; /* 0: empty; UINT64_MAX: deleted */
    size_t bytes;
} hslot_t;

struct wf_run_sink {
    tess_run_t *run;
    wf_t *wf;
    tess_store_t *store; /* of the persistent objects, opened on first use */
    void **dl;
    size_t ndl;
    hslot_t *map;
    size_t cap, used; /* used counts live + deleted */
};

#define TOMB UINT64_MAX

static size_t mix(tess_data_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h;
}

static hslot_t *map_find(wf_run_sink_t *s, tess_data_t h)
{
    if (!s->cap)
        return NULL;
    for (size_t i = mix(h) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->map[i].h == h)
            return &s->map[i];
        if (s->map[i].h == 0)
            return NULL;
    }
}

static int map_put(wf_run_sink_t *s, tess_data_t h, size_t bytes)
{
    if ((s->used + 1) * 2 > s->cap) {
        size_t live = 0;
        for (size_t i = 0; i < s->cap; i++)
            live += s->map[i].h && s->map[i].h != TOMB;
        size_t cap = 64;
        while (cap < (live + 1) * 4)
            cap *= 2;
        hslot_t *m = calloc(cap, sizeof(*m));
        if (!m)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            tess_data_t k = s->map[i].h;
            if (!k || k == TOMB)
                continue;
            size_t j = mix(k) & (cap - 1);
            while (m[j].h)
                j = (j + 1) & (cap - 1);
            m[j] = s->map[i];
        }
        free(s->map);
        s->map = m;
        s->cap = cap;
        s->used = live;
    }
    size_t i = mix(h) & (s->cap - 1);
    while (s->map[i].h && s->map[i].h != TOMB && s->map[i].h != h)
        i = (i + 1) & (s->cap - 1);
    if (s->map[i].h == 0)
        s->used++;
    s->map[i] = (hslot_t){.h = h, .bytes = bytes};
    return 0;
}

void wf_run_sink_destroy(wf_run_sink_t *s)
{
    if (!s)
        return;
    int saved = errno;
    /* The run may still call kernels until it is destroyed: the owner
     * destroys the run first, then the sink. */
    for (size_t i = 0; i < s->ndl; i++)
        if (s->dl[i])
            dlclose(s->dl[i]);
    free(s->dl);
    free(s->map);
    tess_store_close(s->store);
    free(s);
    errno = saved;
}

/* Register symbol @p symbol of library @p lib under the name @p kernel
 * (strs offsets). */
static int register_kernel(wf_run_sink_t *s, uint32_t lib, uint32_t symbol,
                           uint32_t kernel, wf_loc_t loc, tess_error_t *err)
{
    const wf_t *wf = s->wf;
    void *sym = dlsym(s->dl[lib], wf_str(wf, symbol));
    tess_kernel_f fn;
    if (!sym) {
        errno = EINVAL;
        return wf_err_at(wf, err, loc, "kernel symbol '%s' not found",
                         wf_str(wf, symbol));
    }
    *(void **)(&fn) = sym; /* POSIX: object to function pointer */
    if (tess_register_kernel(s->run, wf_str(wf, kernel), fn) < 0)
        return wf_err_at(wf, err, loc, "cannot register kernel '%s'",
                         wf_str(wf, kernel));
    return 0;
}

wf_run_sink_t *wf_run_sink_create(tess_run_t *run, wf_t *wf,
                                  tess_error_t *err)
{
    wf_run_sink_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->dl = calloc(wf->libs.n + 1, sizeof(void *)))) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", wf->path);
        goto error;
    }
    s->run = run;
    s->wf = wf;
    if (!(wf->validated & WF_CHECK_KERNELS) &&
        wf_validate(wf, WF_CHECK_KERNELS, err) < 0)
        goto error;
    for (size_t i = 0; i < wf->libs.n; i++) {
        const wf_lib_t *lib = &wf->libs.v[i];
        dlerror();
        s->dl[i] = dlopen(lib->path, RTLD_NOW | RTLD_LOCAL);
        s->ndl = i + 1;
        if (!s->dl[i]) {
            const char *why = dlerror();
            errno = EINVAL;
            wf_err_at(wf, err, lib->loc, "kernel library '%s' does not load: "
                      "%s", lib->path, why ? why : "unknown error");
            goto error;
        }
    }
    for (size_t t = 0; t < wf->tasks.n; t++) {
        const wf_taskdef_t *td = &wf->tasks.v[t];
        if (register_kernel(s, td->lib, td->symbol, td->kernel, td->loc,
                            err) < 0)
            goto error;
    }
    for (size_t k = 0; k < wf->impls.n; k++) {
        const wf_impl_t *im = &wf->impls.v[k];
        if (register_kernel(s, im->lib, im->symbol, im->kernel, im->loc,
                            err) < 0)
            goto error;
    }
    return s;
error:
    wf_run_sink_destroy(s);
    return NULL;
}

static int run_array(void *ctx, const wf_array_decl_t *d, tess_data_t *out,
                     tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    size_t bytes = tess_type_size(d->type);
    for (int k = 0; k < d->rank; k++)
        bytes *= (size_t)d->shape[k];
    if (d->source_file) /* wf_validate() checked its shape and type */
        *out = tess_array_h5(s->run, d->name, d->source_file,
                             d->source_dataset, err);
    else
        *out = tess_array(s->run, d->name, d->type, d->rank, d->shape,
                          d->zero ? NULL : TESS_UNDEFINED, err);
    if (*out == 0)
        return -1;
    if (map_put(s, *out, bytes) < 0) {
        errno = ENOMEM;
        return tess_errprintf(err, "out of memory");
    }
    return 0;
}

static int run_file(void *ctx, const wf_file_decl_t *d, tess_data_t *out,
                    tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    *out = tess_file(s->run, d->path, err);
    return *out ? 0 : -1;
}

static int run_task(void *ctx, const wf_task_call_t *c, tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    tess_task_opts_t opts = {.flags = c->flags, .arch = c->arch,
                             .cpus = c->cpus, .memory_mb = c->memory_mb,
                             .nimpls = c->nimpls,
                             .impls = c->impls, .name = c->task,
                             .on_failure = c->on_failure,
                             .retries = c->retries, .timeout = c->timeout,
                             .isolation = c->isolation};
    /* A library named by a path relative to the workflow resolves the same
     * on every rank, whatever its current directory: name it absolutely. */
    const char *kernel = c->kernel;
    char abs[4096 + 256];
    const char *colon = strrchr(c->kernel, ':');
    if (c->kernel_lib && c->kernel_lib[0] == '/' && colon &&
        memchr(c->kernel, '/', (size_t)(colon - c->kernel)) &&
        c->kernel[0] != '/' &&
        snprintf(abs, sizeof(abs), "%s%s", c->kernel_lib, colon) <
            (int)sizeof(abs))
        kernel = abs;
    return tess_submit2(s->run, kernel, &opts, c->nparams, c->params, err)
               ? 0
               : -1;
}

static int run_barrier(void *ctx, tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    return tess_barrier(s->run, err);
}

static int run_wait(void *ctx, tess_data_t data, const char *name,
                    int is_file, tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    if (is_file)
        return tess_wait_on_file(s->run, data, err);
    hslot_t *e = map_find(s, data);
    if (!e)
        return tess_barrier(s->run, err);
    void *buf = malloc(e->bytes ? e->bytes : 1);
    if (!buf) {
        errno = ENOMEM;
        return tess_errprintf(err, "out of memory waiting on '%s'", name);
    }
    int rc = tess_wait_on(s->run, data, buf, err);
    free(buf);
    return rc;
}

static int run_delete(void *ctx, tess_data_t data, tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    hslot_t *e = map_find(s, data);
    if (e)
        e->h = TOMB;
    if (tess_delete(s->run, data) < 0)
        return tess_errprintf(err, "cannot delete data %llu",
                              (unsigned long long)data);
    return 0;
}

/* ---- persistent objects ---- */

/* A refusal of the store that is the workflow's or its user's to fix
 * (a name taken, an object missing, a block that does not fit) is bad
 * input: errno EINVAL, so the run exits with status 2. */
static int bad_input(int e)
{
    if (e == EEXIST || e == ENOENT || e == EINVAL || e == EPROTO ||
        e == EROFS || e == ENOTDIR)
        errno = EINVAL;
    else
        errno = e;
    return -1;
}

/* The store: wf_set_store()'s (it must exist), else the default one,
 * made on first use ($TESSERA_STORE, ~/.tessera/store). */
static tess_store_t *sink_store(wf_run_sink_t *s, tess_error_t *err)
{
    if (!s->store)
        s->store = tess_store_open(s->wf->store_dir,
                                   s->wf->store_dir ? 0 : TESS_STORE_CREATE,
                                   err);
    return s->store;
}

static int run_object(void *ctx, const wf_object_decl_t *d, tess_data_t *out,
                      tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    char params[4096], b1[200], b2[200];
    tess_store_t *st = sink_store(s, err);
    if (!st)
        return bad_input(errno);
    if (d->create) {
        wf_params_text(s->wf, params, sizeof(params));
        tess_store_spec_t spec = {d->type, d->rank, d->shape, d->nblocks,
                                  wf_name(s->wf), NULL, params, 0};
        *out = tess_persist_create(s->run, st, d->object, &spec, err);
        return *out ? 0 : bad_input(errno);
    }
    *out = tess_persist_open(s->run, st, d->object, d->wait, err);
    if (!*out)
        return bad_input(errno);
    int64_t shape[TESS_MAX_RANK];
    tess_type_t type;
    int rank = tess_array_shape(s->run, *out, shape, &type);
    if (type != d->type || rank != d->rank ||
        memcmp(shape, d->shape, (size_t)rank * sizeof(int64_t)) != 0) {
        errno = EINVAL;
        return tess_errprintf(err, "object %s is %s of shape %s, the "
                              "workflow declares %s of shape %s", d->object,
                              tess_type_name(type),
                              box_format_shape(b1, sizeof(b1), rank, shape),
                              tess_type_name(d->type),
                              box_format_shape(b2, sizeof(b2), d->rank,
                                               d->shape));
    }
    return 0;
}

static int run_block(void *ctx, tess_data_t obj, int64_t id,
                     const int64_t *dstart, const int64_t *dcount,
                     int64_t *start, int64_t *count, tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    tess_block_t b;
    int rc = dstart ? tess_block_new(s->run, obj, id, dstart, dcount, &b, err)
                    : tess_block_get(s->run, obj, id, &b, err);
    if (rc < 0)
        return bad_input(errno);
    memcpy(start, b.start, sizeof(b.start));
    memcpy(count, b.count, sizeof(b.count));
    return 0;
}

static int run_blocks_begin(void *ctx, tess_data_t obj, void **it,
                            tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    *it = tess_blocks(s->run, obj, err);
    return *it ? 0 : -1;
}

static int run_blocks_next(void *ctx, void *it, int64_t *id,
                           tess_error_t *err)
{
    (void)ctx;
    tess_block_t b;
    int rc = tess_blocks_next(it, &b, err);
    if (rc == 1)
        *id = b.id;
    return rc;
}

static void run_blocks_end(void *ctx, void *it)
{
    (void)ctx;
    tess_blocks_destroy(it);
}

static int run_complete(void *ctx, tess_data_t obj, tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    return tess_persist_complete(s->run, obj, err);
}

static int run_delete_object(void *ctx, const char *object, tess_error_t *err)
{
    wf_run_sink_t *s = ctx;
    tess_store_t *st = sink_store(s, err);
    if (!st || tess_persist_delete(s->run, st, object, err) < 0)
        return bad_input(errno);
    return 0;
}

static const wf_sink_ops_t run_ops = {
    .declare_array = run_array,
    .declare_file = run_file,
    .task = run_task,
    .barrier = run_barrier,
    .wait = run_wait,
    .delete_data = run_delete,
    .declare_object = run_object,
    .block = run_block,
    .blocks_begin = run_blocks_begin,
    .blocks_next = run_blocks_next,
    .blocks_end = run_blocks_end,
    .complete = run_complete,
    .delete_object = run_delete_object,
};

const wf_sink_ops_t *wf_run_sink_ops(void)
{
    return &run_ops;
}
