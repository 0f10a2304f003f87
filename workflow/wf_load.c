/*
 * wf_load.c - the wf_t object: load, destroy, settings, accessors.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workflow/wf_compile.h"
#include "workflow/wf_private.h"
#include "workflow/wf_xml.h"

long wf_vec_push(void **v, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        if (ncap > (size_t)UINT32_MAX || ncap > SIZE_MAX / size) {
            errno = ENOMEM;
            return -1;
        }
        void *p = realloc(*v, ncap * size);
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        *v = p;
        *cap = ncap;
    }
    memset((char *)*v + *n * size, 0, size);
    return (long)(*n)++;
}

int wf_err_at(const wf_t *wf, tess_error_t *err, wf_loc_t loc,
              const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        char msg[sizeof(err->text)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        tess_errprintf(err, "%s:%u:%u: %s", wf->path, loc.line, loc.col, msg);
    }
    errno = saved ? saved : EINVAL;
    return -1;
}

wf_loc_t wf_loc_add(const wf_t *wf, wf_loc_t loc, uint32_t src, size_t pos)
{
    (void)wf;
    (void)src;
    /* attribute values have their newlines normalised to spaces: columns
     * count from the first character on its line */
    loc.col += (uint32_t)pos;
    return loc;
}

char *wf_path_join(const char *base, const char *path)
{
    if (!base || !*base || path[0] == '/')
        return strdup(path);
    size_t bl = strlen(base), pl = strlen(path);
    char *s = malloc(bl + pl + 2);
    if (!s)
        return NULL;
    memcpy(s, base, bl);
    size_t o = bl;
    if (o > 0 && s[o - 1] != '/')
        s[o++] = '/';
    memcpy(s + o, path, pl + 1);
    return s;
}

int wf_param_override_parse(char *arg, wf_param_override_t *ov,
                            tess_error_t *err)
{
    char *eq = arg ? strchr(arg, '=') : NULL;
    if (!eq || eq == arg) {
        errno = EINVAL;
        return tess_errprintf(err, "--param %s: expected NAME=VALUE",
                              arg ? arg : "");
    }
    *eq = '\0';
    if (!wf_is_ident(arg, strlen(arg))) {
        errno = EINVAL;
        return tess_errprintf(err, "--param %s: not a parameter name", arg);
    }
    ov->name = arg;
    ov->value = eq + 1;
    return 0;
}

void wf_destroy(wf_t *wf)
{
    if (!wf)
        return;
    int saved = errno;
    free(wf->path);
    free(wf->dir);
    free(wf->name);
    free(wf->kernel_path);
    free(wf->run_dir);
    free(wf->store_dir);
    free(wf->strs.v);
    free(wf->code.v);
    free(wf->exprs.v);
    free(wf->segs.v);
    free(wf->tpls.v);
    free(wf->syms.v);
    free(wf->data.v);
    free(wf->formals.v);
    free(wf->tasks.v);
    free(wf->impls.v);
    free(wf->impl_view);
    free(wf->res_archs);
    for (size_t i = 0; i < wf->libs.n; i++)
        free(wf->libs.v[i].path);
    free(wf->libs.v);
    free(wf->args.v);
    free(wf->stmts.v);
    free(wf->locals.v);
    free(wf->results.v);
    free(wf->params.v);
    free(wf->result_handles.v);
    free(wf->env);
    free(wf);
    errno = saved;
}

/* Absolute directory of @p path (which may be relative to the cwd). */
static char *dir_of(const char *path)
{
    char cwd[PATH_MAX];
    const char *slash = strrchr(path, '/');
    char *d;
    if (!slash) {
        if (!getcwd(cwd, sizeof(cwd)))
            return strdup(".");
        return strdup(cwd);
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (!(d = strndup(path, n)))
        return NULL;
    if (d[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return d;
    char *abs = wf_path_join(cwd, d);
    free(d);
    return abs;
}

wf_t *wf_load2(const char *path, const char *buf, size_t len,
               const wf_param_override_t *overrides, size_t noverrides,
               const wf_load_opts_t *opts, tess_error_t *err)
{
    wf_t *wf = calloc(1, sizeof(*wf));
    wf_xml_t *x = NULL;

    if (!wf || !(wf->path = strdup(path)) ||
        !(wf->dir = buf ? dir_of("./x") : dir_of(path))) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", path);
        goto error;
    }
    if (!(x = wf_xml_load(wf->path, buf, len, opts, err)))
        goto error;
    if (wf_compile(wf, x, overrides, noverrides, err) < 0)
        goto error;
    wf_xml_free(x);
    return wf;
error:
    wf_xml_free(x);
    wf_destroy(wf);
    return NULL;
}

wf_t *wf_load(const char *path, const wf_param_override_t *overrides,
              size_t noverrides, tess_error_t *err)
{
    return wf_load2(path, NULL, 0, overrides, noverrides, NULL, err);
}

/* *@p slot becomes a copy of @p s (NULL: none). -1/ENOMEM, slot kept. */
static int set_str(char **slot, const char *s)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy) {
        errno = ENOMEM;
        return -1;
    }
    free(*slot);
    *slot = copy;
    return 0;
}

/* 0 if @p i < @p n, else -1/ERANGE (the accessors' index check). */
static int in_range(size_t i, size_t n)
{
    if (i < n)
        return 0;
    errno = ERANGE;
    return -1;
}

int wf_set_kernel_path(wf_t *wf, const char *dirs)
{
    if (set_str(&wf->kernel_path, dirs) < 0)
        return -1;
    wf->validated &= ~WF_CHECK_KERNELS;
    return 0;
}

int wf_set_expand_limit(wf_t *wf, uint64_t max_steps)
{
    wf->max_steps = max_steps;
    return 0;
}

int wf_set_max_memory(wf_t *wf, int64_t max_memory_mb)
{
    if (max_memory_mb < 0) {
        errno = EINVAL;
        return -1;
    }
    wf->res_max_memory_mb = max_memory_mb;
    wf->validated &= ~WF_CHECK_RESOURCES;
    return 0;
}

int wf_set_resources(wf_t *wf, const char *archs, int max_cpus)
{
    if (max_cpus < 0) {
        errno = EINVAL;
        return -1;
    }
    if (set_str(&wf->res_archs, archs) < 0)
        return -1;
    wf->res_max_cpus = max_cpus;
    wf->res_set = true;
    wf->validated &= ~WF_CHECK_RESOURCES;
    return 0;
}

int wf_set_run_dir(wf_t *wf, const char *dir)
{
    return set_str(&wf->run_dir, dir);
}

int wf_set_wait_objects(wf_t *wf, int wait)
{
    wf->wait_objects = wait != 0;
    return 0;
}

int wf_set_store(wf_t *wf, const char *dir)
{
    if (set_str(&wf->store_dir, dir) < 0)
        return -1;
    wf->validated &= ~WF_CHECK_STORE;
    return 0;
}

uint64_t wf_call_count(const wf_t *wf)
{
    return wf->calls_inexact ? 0 : wf->calls;
}

const char *wf_name(const wf_t *wf)
{
    return wf->name;
}

const char *wf_path(const wf_t *wf)
{
    return wf->path;
}

void wf_params_text(const wf_t *wf, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < wf->params.n && off < len; i++) {
        const char *name, *value;
        if (wf_param_get(wf, i, &name, NULL, &value) == 0)
            off += (size_t)snprintf(buf + off, len - off, "%s%s=%s",
                                    off ? " " : "", name, value);
    }
}

size_t wf_param_count(const wf_t *wf)
{
    return wf->params.n;
}

int wf_param_get(const wf_t *wf, size_t i, const char **name,
                 const char **type, const char **value)
{
    if (in_range(i, wf->params.n) < 0)
        return -1;
    const wf_param_t *p = &wf->params.v[i];
    if (name)
        *name = wf_str(wf, wf->syms.v[p->sym].name);
    if (type)
        *type = p->type;
    if (value)
        *value = wf_str(wf, p->text);
    return 0;
}

size_t wf_result_count(const wf_t *wf)
{
    return wf->results.n;
}

int wf_result_get(const wf_t *wf, size_t i, const char **data_name,
                  const char **dataset)
{
    if (in_range(i, wf->results.n) < 0)
        return -1;
    const wf_result_t *r = &wf->results.v[i];
    if (data_name)
        *data_name = wf_str(wf, wf->data.v[r->data].name);
    if (dataset)
        *dataset = wf_str(wf, r->dataset);
    return 0;
}

tess_data_t wf_result_data(const wf_t *wf, size_t i)
{
    return i < wf->result_handles.n ? wf->result_handles.v[i] : 0;
}

size_t wf_kernel_lib_count(const wf_t *wf)
{
    return wf->libs.n;
}

int wf_kernel_lib_get(const wf_t *wf, size_t i, const char **lib,
                      const char **path)
{
    if (in_range(i, wf->libs.n) < 0)
        return -1;
    if (lib)
        *lib = wf_str(wf, wf->libs.v[i].name);
    if (path)
        *path = wf->libs.v[i].path;
    return 0;
}

size_t wf_kernel_count(const wf_t *wf)
{
    return wf->tasks.n + wf->impls.n;
}

int wf_kernel_get(const wf_t *wf, size_t i, wf_kernel_info_t *out)
{
    for (size_t t = 0; t < wf->tasks.n; t++) {
        const wf_taskdef_t *td = &wf->tasks.v[t];
        if (i > td->nimpl) {
            i -= (size_t)td->nimpl + 1;
            continue;
        }
        const wf_impl_t *im = i ? &wf->impls.v[td->impl + i - 1] : NULL;
        *out = (wf_kernel_info_t){
            .task = wf_str(wf, td->name),
            .arch = im ? wf_str(wf, im->arch) : NULL,
            .kernel = wf_str(wf, im ? im->kernel : td->kernel),
            .symbol = wf_str(wf, im ? im->symbol : td->symbol),
            .path = wf->libs.v[im ? im->lib : td->lib].path,
            .loc = im ? im->loc : td->loc};
        return 0;
    }
    errno = ERANGE;
    return -1;
}
