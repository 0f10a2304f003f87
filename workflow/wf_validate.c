/*
 * wf_validate.c - the checks that need the file system: HDF5 inputs,
 * kernel libraries and symbols, and a dry run of the expansion.
 */
#define _XOPEN_SOURCE 700
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/box.h"
#include "base/namelist.h"
#include "kernels/kreg.h"
#include "workflow/wf_private.h"
#include "io/h5input.h"

size_t wf_input_count(const wf_t *wf)
{
    size_t n = 0;
    for (size_t i = 0; i < wf->data.n; i++)
        n += wf->data.v[i].kind == WF_DATA_INPUT;
    return n;
}

int wf_input_get(const wf_t *wf, size_t i, const char **name, char *path,
                 size_t len)
{
    char rel[WF_MAX_PATH];
    tess_error_t err;
    for (size_t k = 0; k < wf->data.n; k++) {
        const wf_data_t *d = &wf->data.v[k];
        if (d->kind != WF_DATA_INPUT || i-- > 0)
            continue;
        if (!wf->inputs_bound ||
            wf_tpl_eval(wf, &wf->tpls.v[d->tpl], wf->env, rel, sizeof(rel),
                        &err) < 0)
            break;
        char *abs = wf_path_join(wf->dir, rel);
        if (!abs || snprintf(path, len, "%s", abs) >= (int)len) {
            free(abs);
            break;
        }
        free(abs);
        *name = wf_str(wf, d->name);
        return 0;
    }
    errno = ERANGE;
    return -1;
}

const char *wf_store_given(const wf_t *wf)
{
    const char *env = getenv("TESSERA_STORE");
    if (wf->store_dir)
        return wf->store_dir;
    return env && env[0] ? env : NULL;
}

/* The store of the workflow's objects: given, else the default. NULL
 * with the message at @p loc. */
static tess_store_t *open_store(const wf_t *wf, wf_loc_t loc,
                                tess_error_t *err)
{
    tess_error_t e;
    tess_store_t *st = tess_store_open(wf->store_dir, 0, &e);
    if (!st) {
        int saved = errno;
        wf_err_at(wf, err, loc, "%s", e.text);
        errno = saved == ENOENT || saved == ENOTDIR ? EINVAL : saved;
    }
    return st;
}

/* The dims of object @p d (dims=) from the shape the store has: the
 * object must be there, or come within its wait= seconds. */
static int bind_object_dims(wf_t *wf, const wf_data_t *d, tess_error_t *err)
{
    char name[WF_MAX_PATH];
    tess_store_info_t info;
    tess_error_t e;
    if (wf_tpl_eval(wf, &wf->tpls.v[d->tpl], wf->env, name, sizeof(name),
                    err) < 0)
        return -1;
    tess_store_t *st = open_store(wf, d->loc, err);
    if (!st)
        return -1;
    tess_store_obj_t *o = tess_store_obj_open(st, name,
                                              wf->wait_objects ? d->wait : 0,
                                              &e);
    if (!o && errno == ENOENT && d->wait > 0 && !wf->wait_objects) {
        /* its producer may not have started: a run waits for it; until
         * then its dims are unknown, and so is the expansion */
        tess_store_close(st);
        wf->objects_unbound = true;
        return 0;
    }
    int rc = o ? tess_store_info(o, &info, &e) : -1;
    if (rc == 0 && (!info.has_shape || info.rank != d->rank)) {
        if (info.has_shape)
            snprintf(e.text, sizeof(e.text), "object %.128s has %d dimensions, "
                     "dims names %u", name, info.rank, d->rank);
        else
            snprintf(e.text, sizeof(e.text), "object %.128s has no whole "
                     "shape", name);
        rc = -1;
    }
    if (rc == 0 && (int)info.type != d->type) {
        snprintf(e.text, sizeof(e.text), "object %.128s has elements of "
                 "type %s, the workflow says %s", name, tess_type_name(info.type),
                 tess_type_name(d->type));
        rc = -1;
    }
    for (int k = 0; rc == 0 && k < d->rank; k++)
        wf->env[wf->syms.v[d->dim_sym + (uint32_t)k].slot] = info.shape[k];
    tess_store_obj_close(o);
    tess_store_close(st);
    if (rc < 0) {
        errno = EINVAL;
        return wf_err_at(wf, err, d->loc, "persistent '%s': %s",
                         wf_str(wf, d->name), e.text);
    }
    return 0;
}

int wf_bind_inputs(wf_t *wf, tess_error_t *err)
{
    char path[WF_MAX_PATH];
    wf->objects_unbound = false;
    for (size_t i = 0; i < wf->data.n; i++) {
        const wf_data_t *d = &wf->data.v[i];
        if (d->kind == WF_DATA_OBJECT && d->dims &&
            bind_object_dims(wf, d, err) < 0)
            return -1;
        if (d->kind != WF_DATA_INPUT)
            continue;
        const char *name = wf_str(wf, d->name);
        const char *ds = wf_str(wf, d->dataset);
        tess_error_t e;
        if (wf_tpl_eval(wf, &wf->tpls.v[d->tpl], wf->env, path, sizeof(path),
                        err) < 0)
            return -1;
        char *abs = wf_path_join(wf->dir, path);
        if (!abs) {
            errno = ENOMEM;
            return tess_errprintf(err, "%s: out of memory", wf->path);
        }
        int rank;
        int64_t dims[TESS_MAX_RANK];
        tess_type_t type;
        struct stat st;
        /* a FIFO or device could block or never end: files only */
        if (stat(abs, &st) == 0 && !S_ISREG(st.st_mode)) {
            wf_err_at(wf, err, d->loc, "input '%s': '%s' is not a regular "
                      "file", name, abs);
            free(abs);
            errno = EINVAL;
            return -1;
        }
        int rc = h5input_probe(abs, ds, &rank, dims, &type, &e);
        if (rc < 0) {
            free(abs);
            return wf_err_at(wf, err, d->loc, "input '%s': %s", name, e.text);
        }
        if (rank != d->rank) {
            wf_err_at(wf, err, d->loc, "input '%s': dataset '%s' of '%s' has "
                      "%d dimension%s, dims names %u", name, ds, abs, rank,
                      rank == 1 ? "" : "s", d->rank);
            free(abs);
            errno = EINVAL;
            return -1;
        }
        if ((int)type != d->type) {
            wf_err_at(wf, err, d->loc, "input '%s': dataset '%s' of '%s' has "
                      "elements of type %s, the workflow says %s", name, ds,
                      abs, tess_type_size(type) ? tess_type_name(type)
                                                : "(not u8/i32/i64/f32/f64)",
                      tess_type_name(d->type));
            free(abs);
            errno = EINVAL;
            return -1;
        }
        free(abs);
        for (int k = 0; k < rank; k++) {
            if (dims[k] < 1) {
                errno = EINVAL;
                return wf_err_at(wf, err, d->loc, "input '%s': dimension %d "
                                 "of dataset '%s' is empty", name, k, ds);
            }
            wf->env[wf->syms.v[d->dim_sym + (uint32_t)k].slot] = dims[k];
        }
    }
    wf->inputs_bound = true;
    wf->validated |= WF_CHECK_INPUTS;
    return 0;
}

/* The kernel search path of this workflow (kernels/kreg.h has the rule):
 * wf_set_kernel_path(), $TESS_KERNEL_PATH, the workflow's directory, the
 * installed kernel directory. Caller destroys. */
static kreg_t *search_path(const wf_t *wf)
{
    kreg_t *k = kreg_create();
    if (!k || kreg_add_path(k, wf->kernel_path) < 0 ||
        kreg_add_path(k, getenv("TESS_KERNEL_PATH")) < 0 ||
        kreg_add_dir(k, wf->dir) < 0
#ifdef TESS_PKGLIBDIR
        || kreg_add_dir(k, TESS_PKGLIBDIR) < 0
#endif
    ) {
        kreg_destroy(k);
        return NULL;
    }
    return k;
}

/* The file library @p lib (as written) resolves to: a path with '/' is
 * relative to the workflow's directory. Caller frees; NULL with @p err. */
static char *find_lib(const wf_t *wf, const kreg_t *k, const char *lib,
                      tess_error_t *err)
{
    char path[PATH_MAX];
    char *rel = strchr(lib, '/') ? wf_path_join(wf->dir, lib) : NULL;
    if (strchr(lib, '/') && !rel) {
        errno = ENOMEM;
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    int rc = kreg_find_lib(k, rel ? rel : lib, path, sizeof(path), err);
    free(rel);
    return rc < 0 ? NULL : strdup(path);
}

/* Symbol @p symbol (strs) of the kernel at @p loc is in library @p lib
 * (handle @p h); @p task and @p arch (strs, 0: the task's own kernel) name
 * it in the message. */
static int check_symbol(wf_t *wf, void *h, const wf_lib_t *lib,
                        uint32_t symbol, wf_loc_t loc, uint32_t task,
                        uint32_t arch, tess_error_t *err)
{
    dlerror();
    if (dlsym(h, wf_str(wf, symbol)))
        return 0;
    errno = EINVAL;
    if (!arch)
        return wf_err_at(wf, err, loc, "task '%s': kernel symbol '%s' not "
                         "found in %s", wf_str(wf, task), wf_str(wf, symbol),
                         lib->path);
    return wf_err_at(wf, err, loc, "task '%s': kernel symbol '%s' of the "
                     "implementation for '%s' not found in %s",
                     wf_str(wf, task), wf_str(wf, symbol), wf_str(wf, arch),
                     lib->path);
}

/* Library @p i: found (under the search path @p k), loads, and has the
 * symbols of every kernel that names it. */
static int check_lib(wf_t *wf, const kreg_t *k, uint32_t i, tess_error_t *err)
{
    wf_lib_t *lib = &wf->libs.v[i];
    const char *name = wf_str(wf, lib->name);
    tess_error_t e;
    free(lib->path);
    if (!(lib->path = find_lib(wf, k, name, &e)))
        return errno == ENOMEM ? tess_errprintf(err, "%s: %s", wf->path,
                                                e.text)
                               : wf_err_at(wf, err, lib->loc, "%s", e.text);
    dlerror();
    void *h = dlopen(lib->path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        errno = EINVAL;
        return wf_err_at(wf, err, lib->loc, "kernel library '%s' (%s) does "
                         "not load: %s", name, lib->path,
                         why ? why : "unknown error");
    }
    int rc = 0;
    for (size_t t = 0; t < wf->tasks.n && rc == 0; t++) {
        const wf_taskdef_t *td = &wf->tasks.v[t];
        if (td->lib == i)
            rc = check_symbol(wf, h, lib, td->symbol, td->loc, td->name, 0,
                              err);
        for (uint32_t m = td->impl; m < td->impl + td->nimpl && rc == 0; m++) {
            const wf_impl_t *im = &wf->impls.v[m];
            if (im->lib == i)
                rc = check_symbol(wf, h, lib, im->symbol, im->loc, td->name,
                                  im->arch, err);
        }
    }
    dlclose(h);
    return rc;
}

static int check_kernels(wf_t *wf, tess_error_t *err)
{
    kreg_t *k = search_path(wf);
    int rc = 0;
    if (!k) {
        errno = ENOMEM;
        return tess_errprintf(err, "%s: out of memory", wf->path);
    }
    for (uint32_t i = 0; i < wf->libs.n && rc == 0; i++)
        rc = check_lib(wf, k, i, err);
    kreg_destroy(k);
    if (rc == 0)
        wf->validated |= WF_CHECK_KERNELS;
    return rc;
}

/* Every task definition can run on some worker of wf_set_resources(): its
 * architecture constraint names a worker architecture (implementations do
 * not widen it), and cpus known before the expansion fit the largest
 * worker.  cpus over call arguments are checked in the dry run. */
static int check_resources(wf_t *wf, tess_error_t *err)
{
    for (size_t t = 0; t < wf->tasks.n; t++) {
        const wf_taskdef_t *td = &wf->tasks.v[t];
        const char *name = wf_str(wf, td->name);
        if (td->arch && wf->res_archs &&
            !namelist_contains(wf->res_archs, wf_str(wf, td->arch - 1))) {
            errno = EINVAL;
            return wf_err_at(wf, err, td->loc, "task '%s' needs architecture "
                             "'%s' but the workers have: %s", name,
                             wf_str(wf, td->arch - 1),
                             *wf->res_archs ? wf->res_archs : "(none)");
        }
        if (td->memory_mb && wf->res_max_memory_mb &&
            td->memory_mb > wf->res_max_memory_mb) {
            errno = EINVAL;
            return wf_err_at(wf, err, td->loc, "task '%s' needs %lld MiB of "
                             "memory but workers have at most %lld", name,
                             (long long)td->memory_mb,
                             (long long)wf->res_max_memory_mb);
        }
        if (!td->cpus || !wf->res_max_cpus)
            continue;
        const wf_expr_t *x = &wf->exprs.v[td->cpus - 1];
        if (x->cls == WF_CLS_LOOP)
            continue;
        if (x->cls == WF_CLS_INPUT && !wf->inputs_bound &&
            wf_bind_inputs(wf, err) < 0)
            return -1;
        int64_t v;
        wf_exprerr_t e;
        if (wf_expr_eval(wf->code.v, x, wf->env, &v, &e) < 0) {
            errno = EINVAL;
            return wf_err_at(wf, err, wf_loc_add(wf, x->loc, x->src, e.pos),
                             "%s in '%s'", e.msg, wf_str(wf, x->src));
        }
        if (v > wf->res_max_cpus) {
            errno = EINVAL;
            return wf_err_at(wf, err, td->loc, "task '%s' needs %lld cpus but "
                             "workers have at most %d", name, (long long)v,
                             wf->res_max_cpus);
        }
    }
    wf->validated |= WF_CHECK_RESOURCES;
    return 0;
}

/* WF_CHECK_STORE: with a store given, objects read are there (or may
 * be waited for), of the declared element type and shape. Names were
 * checked when the file was loaded. */
static int check_store(wf_t *wf, tess_error_t *err)
{
    char name[WF_MAX_PATH], b1[200], b2[200];
    tess_store_t *st = NULL;
    int rc = 0;
    if (!wf_store_given(wf)) {
        wf->validated |= WF_CHECK_STORE;
        return 0;
    }
    for (size_t i = 0; i < wf->data.n && rc == 0; i++) {
        const wf_data_t *d = &wf->data.v[i];
        tess_store_info_t info;
        tess_error_t e;
        if (d->kind != WF_DATA_OBJECT || d->create)
            continue;
        if (!st) {
            tess_store_t *s2 = tess_store_open(wf_store_given(wf), 0, &e);
            if (!s2) {
                errno = EINVAL;
                return wf_err_at(wf, err, d->loc, "%s", e.text);
            }
            st = s2;
        }
        if (wf_tpl_eval(wf, &wf->tpls.v[d->tpl], wf->env, name, sizeof(name),
                        err) < 0) {
            rc = -1;
            break;
        }
        tess_store_obj_t *o = tess_store_obj_open(st, name, 0, &e);
        if (!o) {
            if (errno == ENOENT && d->wait > 0)
                continue; /* its producer may come later */
            errno = EINVAL;
            rc = wf_err_at(wf, err, d->loc, "persistent '%s': %s%s",
                           wf_str(wf, d->name), e.text,
                           d->wait > 0 ? ""
                                       : " (to wait for its producer, say "
                                         "wait=\"SECONDS\")");
            break;
        }
        int64_t want[TESS_MAX_RANK];
        rc = tess_store_info(o, &info, &e);
        tess_store_obj_close(o);
        if (rc < 0) {
            rc = wf_err_at(wf, err, d->loc, "persistent '%s': %s",
                           wf_str(wf, d->name), e.text);
            break;
        }
        errno = EINVAL;
        if ((int)info.type != d->type) {
            rc = wf_err_at(wf, err, d->loc, "persistent '%s': object %s has "
                           "elements of type %s, the workflow says %s",
                           wf_str(wf, d->name), name,
                           tess_type_name(info.type),
                           tess_type_name(d->type));
            break;
        }
        if (d->dims)
            continue; /* bound from it */
        for (int k = 0; k < d->rank && rc == 0; k++) {
            const wf_expr_t *x = &wf->exprs.v[d->shape + (uint32_t)k];
            wf_exprerr_t xe;
            if (wf_expr_eval(wf->code.v, x, wf->env, &want[k], &xe) < 0)
                rc = wf_err_at(wf, err, wf_loc_add(wf, x->loc, x->src,
                                                   xe.pos),
                               "%s in '%s'", xe.msg, wf_str(wf, x->src));
        }
        if (rc == 0 && (info.rank != d->rank ||
                        memcmp(info.shape, want,
                               (size_t)d->rank * sizeof(int64_t)) != 0))
            rc = wf_err_at(wf, err, d->loc, "persistent '%s': object %s has "
                           "shape %s, the workflow declares %s",
                           wf_str(wf, d->name), name,
                           box_format_shape(b1, sizeof(b1), info.rank,
                                            info.shape),
                           box_format_shape(b2, sizeof(b2), d->rank, want));
    }
    tess_store_close(st);
    if (rc == 0)
        wf->validated |= WF_CHECK_STORE;
    return rc;
}

int wf_validate(wf_t *wf, unsigned flags, tess_error_t *err)
{
    bool res = (flags & WF_CHECK_RESOURCES) && wf->res_set;
    if ((flags & (WF_CHECK_INPUTS | WF_CHECK_EXPAND)) && !wf->inputs_bound &&
        wf_bind_inputs(wf, err) < 0)
        return -1;
    if ((flags & WF_CHECK_KERNELS) && check_kernels(wf, err) < 0)
        return -1;
    if ((flags & (WF_CHECK_STORE | WF_CHECK_EXPAND)) && check_store(wf, err) < 0)
        return -1;
    if (res && check_resources(wf, err) < 0)
        return -1;
    if ((flags & WF_CHECK_EXPAND) && wf->objects_unbound) {
        /* shapes of objects not made yet: the run checks its calls */
        wf->calls = 0;
        wf->calls_inexact = true;
    } else if (flags & WF_CHECK_EXPAND) {
        if (wf_expand_internal(wf, NULL, NULL, true, res, err) < 0)
            return -1;
        wf->validated |= WF_CHECK_EXPAND;
    }
    return 0;
}
