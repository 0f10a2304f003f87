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
#include <unistd.h>

#include "base/namelist.h"
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

int wf_bind_inputs(wf_t *wf, tess_error_t *err)
{
    char path[WF_MAX_PATH];
    for (size_t i = 0; i < wf->data.n; i++) {
        const wf_data_t *d = &wf->data.v[i];
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

/* Try dir/file: 1 if readable (path in out), 0 if not. */
static int try_dir(const char *dir, size_t dlen, const char *file, char *out,
                   size_t size)
{
    if (dlen == 0)
        return 0;
    if ((size_t)snprintf(out, size, "%.*s/%s", (int)dlen, dir, file) >= size)
        return 0;
    return access(out, R_OK) == 0;
}

static int search_list(const char *list, const char *file, char *out,
                       size_t size)
{
    while (list && *list) {
        const char *colon = strchr(list, ':');
        size_t n = colon ? (size_t)(colon - list) : strlen(list);
        if (try_dir(list, n, file, out, size))
            return 1;
        list = colon ? colon + 1 : NULL;
    }
    return 0;
}

/* Resolve library @p lib (as written) to a readable file. */
static char *find_lib(const wf_t *wf, const char *lib, char *tried,
                      size_t tsize)
{
    char out[PATH_MAX], file[PATH_MAX];
    if (strchr(lib, '/')) {
        char *p = wf_path_join(wf->dir, lib);
        if (p && access(p, R_OK) == 0)
            return p;
        snprintf(tried, tsize, "%s", p ? p : lib);
        free(p);
        return NULL;
    }
    size_t n = strlen(lib);
    if ((size_t)snprintf(file, sizeof(file), "%s%s", lib,
                         n > 3 && strcmp(lib + n - 3, ".so") == 0 ? "" : ".so")
        >= sizeof(file))
        return NULL;
    const char *env = getenv("TESS_KERNEL_PATH");
    if (search_list(wf->kernel_path, file, out, sizeof(out)) ||
        search_list(env, file, out, sizeof(out)) ||
        try_dir(wf->dir, strlen(wf->dir), file, out, sizeof(out)))
        return strdup(out);
#ifdef TESS_PKGLIBDIR
    if (try_dir(TESS_PKGLIBDIR, strlen(TESS_PKGLIBDIR), file, out, sizeof(out)))
        return strdup(out);
#endif
    snprintf(tried, tsize, "%s%s%s%s%s%s%s", wf->kernel_path ? wf->kernel_path
             : "", wf->kernel_path ? ":" : "", env ? env : "", env ? ":" : "",
             wf->dir,
#ifdef TESS_PKGLIBDIR
             ":", TESS_PKGLIBDIR
#else
             "", ""
#endif
    );
    return NULL;
}

/* Name (strs) of the task implementation @p k belongs to. */
static uint32_t impl_task(const wf_t *wf, size_t k)
{
    for (size_t t = 0; t < wf->tasks.n; t++)
        if (k >= wf->tasks.v[t].impl &&
            k < (size_t)wf->tasks.v[t].impl + wf->tasks.v[t].nimpl)
            return wf->tasks.v[t].name;
    return 0;
}

static int check_kernels(wf_t *wf, tess_error_t *err)
{
    for (size_t i = 0; i < wf->libs.n; i++) {
        wf_lib_t *lib = &wf->libs.v[i];
        const char *name = wf_str(wf, lib->name);
        char tried[1024] = "";
        free(lib->path);
        lib->path = find_lib(wf, name, tried, sizeof(tried));
        if (!lib->path) {
            errno = ENOENT;
            return wf_err_at(wf, err, lib->loc, "kernel library '%s' not found "
                             "(looked for %s%s in %s)", name, name,
                             strchr(name, '/') ? "" : ".so", tried);
        }
        dlerror();
        void *h = dlopen(lib->path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            errno = EINVAL;
            return wf_err_at(wf, err, lib->loc, "kernel library '%s' (%s) "
                             "does not load: %s", name, lib->path,
                             why ? why : "unknown error");
        }
        for (size_t t = 0; t < wf->tasks.n; t++) {
            const wf_taskdef_t *td = &wf->tasks.v[t];
            if (td->lib != i)
                continue;
            dlerror();
            void *sym = dlsym(h, wf_str(wf, td->symbol));
            if (!sym) {
                dlclose(h);
                errno = EINVAL;
                return wf_err_at(wf, err, td->loc, "task '%s': kernel symbol "
                                 "'%s' not found in %s", wf_str(wf, td->name),
                                 wf_str(wf, td->symbol), lib->path);
            }
        }
        for (size_t k = 0; k < wf->impls.n; k++) {
            const wf_impl_t *im = &wf->impls.v[k];
            if (im->lib != i)
                continue;
            dlerror();
            if (!dlsym(h, wf_str(wf, im->symbol))) {
                dlclose(h);
                errno = EINVAL;
                return wf_err_at(wf, err, im->loc, "task '%s': kernel symbol "
                                 "'%s' of the implementation for '%s' not "
                                 "found in %s", wf_str(wf, impl_task(wf, k)),
                                 wf_str(wf, im->symbol),
                                 wf_str(wf, im->arch), lib->path);
            }
        }
        dlclose(h);
    }
    wf->validated |= WF_CHECK_KERNELS;
    return 0;
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

int wf_validate(wf_t *wf, unsigned flags, tess_error_t *err)
{
    bool res = (flags & WF_CHECK_RESOURCES) && wf->res_set;
    if ((flags & (WF_CHECK_INPUTS | WF_CHECK_EXPAND)) && !wf->inputs_bound &&
        wf_bind_inputs(wf, err) < 0)
        return -1;
    if ((flags & WF_CHECK_KERNELS) && check_kernels(wf, err) < 0)
        return -1;
    if (res && check_resources(wf, err) < 0)
        return -1;
    if (flags & WF_CHECK_EXPAND) {
        if (wf_expand_internal(wf, NULL, NULL, true, res, err) < 0)
            return -1;
        wf->validated |= WF_CHECK_EXPAND;
    }
    return 0;
}
