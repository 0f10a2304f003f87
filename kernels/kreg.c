/* kreg.c - kernel names to functions, by registration or dlopen/dlsym; the
 * search rule of kernel libraries (see kreg.h). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/kreg.h"

struct kentry {
    char *name;
    tess_kernel_f fn;
};

struct klib {
    char *name; /* as in the kernel name */
    char *path; /* the file it resolved to */
    void *handle;
};

struct kreg {
    struct kentry *k;
    uint32_t n, cap;
    uint32_t *hash; /* open addressing: index + 1, 0 empty */
    uint32_t hcap;
    struct klib *libs;
    size_t nlibs;
    char **dirs;
    size_t ndirs;
    char arch[64];
};

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

kreg_t *kreg_create(void)
{
    return calloc(1, sizeof(kreg_t));
}

void kreg_destroy(kreg_t *k)
{
    int saved = errno;
    if (!k)
        return;
    for (uint32_t i = 0; i < k->n; i++)
        free(k->k[i].name);
    for (size_t i = 0; i < k->nlibs; i++) {
        dlclose(k->libs[i].handle);
        free(k->libs[i].name);
        free(k->libs[i].path);
    }
    for (size_t i = 0; i < k->ndirs; i++)
        free(k->dirs[i]);
    free(k->k);
    free(k->hash);
    free(k->libs);
    free(k->dirs);
    free(k);
    errno = saved;
}

int kreg_add_dir(kreg_t *k, const char *dir)
{
    if (!*dir)
        return 0; /* would search the root directory */
    char **nd = realloc(k->dirs, (k->ndirs + 1) * sizeof(*nd));
    if (!nd)
        return -1;
    k->dirs = nd;
    if (!(k->dirs[k->ndirs] = strdup(dir)))
        return -1;
    k->ndirs++;
    return 0;
}

int kreg_set_arch(kreg_t *k, const char *arch)
{
    if (arch && strlen(arch) >= sizeof(k->arch)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(k->arch, sizeof(k->arch), "%s", arch ? arch : "");
    return 0;
}

int kreg_add_path(kreg_t *k, const char *dirs)
{
    if (!dirs)
        return 0;
    char *copy = strdup(dirs), *save = NULL;
    if (!copy)
        return -1;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
        if (kreg_add_dir(k, d) < 0) {
            free(copy);
            return -1;
        }
    free(copy);
    return 0;
}

static int lookup(const kreg_t *k, const char *name, uint32_t *idx)
{
    if (!k->hcap)
        return -1;
    for (uint32_t h = hash_str(name) & (k->hcap - 1);; h = (h + 1) & (k->hcap - 1)) {
        uint32_t e = k->hash[h];
        if (!e)
            return -1;
        if (strcmp(k->k[e - 1].name, name) == 0) {
            *idx = e - 1;
            return 0;
        }
    }
}

static int rehash(kreg_t *k, uint32_t hcap)
{
    uint32_t *h = calloc(hcap, sizeof(*h));
    if (!h)
        return -1;
    for (uint32_t i = 0; i < k->n; i++) {
        uint32_t p = hash_str(k->k[i].name) & (hcap - 1);
        while (h[p])
            p = (p + 1) & (hcap - 1);
        h[p] = i + 1;
    }
    free(k->hash);
    k->hash = h;
    k->hcap = hcap;
    return 0;
}

static int add(kreg_t *k, const char *name, tess_kernel_f fn, uint32_t *idx)
{
    uint32_t i;
    if (lookup(k, name, &i) == 0) {
        k->k[i].fn = fn;
        if (idx)
            *idx = i;
        return 0;
    }
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 16;
        struct kentry *nk = realloc(k->k, cap * sizeof(*nk));
        if (!nk)
            return -1;
        k->k = nk;
        k->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    k->k[k->n].name = copy;
    k->k[k->n].fn = fn;
    k->n++;
    if ((k->n * 2 > k->hcap && rehash(k, k->hcap ? k->hcap * 2 : 32) < 0) ||
        (k->n * 2 <= k->hcap && rehash(k, k->hcap) < 0)) {
        k->n--;
        free(copy);
        return -1;
    }
    if (idx)
        *idx = k->n - 1;
    return 0;
}

int kreg_register(kreg_t *k, const char *name, tess_kernel_f fn)
{
    if (!name || !*name || !fn) {
        errno = EINVAL;
        return -1;
    }
    return add(k, name, fn, NULL);
}

/* File names tried in each directory, given the directory, the library's
 * name and "" or "-ARCH" (kreg.h: the arch build first, then the default). */
static const char *const lib_patterns[] = {
    "%s/%s%s.so", "%s/lib%s%s.so", "%s/.libs/%s%s.so", "%s/.libs/lib%s%s.so",
};
#define NPATTERNS (sizeof(lib_patterns) / sizeof(lib_patterns[0]))

/* The error of a library no directory holds: what was looked for, where. */
static int not_found(const kreg_t *k, const char *lib, const char *name,
                     tess_error_t *err)
{
    char dirs[384] = "";
    size_t o = 0;
    for (size_t d = 0; d < k->ndirs && o < sizeof(dirs); d++)
        o += (size_t)snprintf(dirs + o, sizeof(dirs) - o, "%s%s", d ? ":" : "",
                              k->dirs[d]);
    errno = ENOENT;
    if (!k->ndirs)
        return tess_errprintf(err, "kernel library '%s' not found: the kernel "
                              "search path is empty (set TESS_KERNEL_PATH)",
                              lib);
    if (k->arch[0])
        return tess_errprintf(err, "kernel library '%s' not found (looked "
                              "for %s-%s.so, lib%s-%s.so, %s.so and lib%s.so, "
                              "also under .libs/, in %s)", lib, name, k->arch,
                              name, k->arch, name, name, dirs);
    return tess_errprintf(err, "kernel library '%s' not found (looked for "
                          "%s.so and lib%s.so, also under .libs/, in %s)", lib,
                          name, name, dirs);
}

int kreg_find_lib(const kreg_t *k, const char *lib, char *path, size_t len,
                  tess_error_t *err)
{
    size_t n = strlen(lib);
    if (strchr(lib, '/')) {
        if (n >= len) {
            errno = ENAMETOOLONG;
            return tess_errprintf(err, "kernel library '%s': path too long",
                                  lib);
        }
        memcpy(path, lib, n + 1);
        if (access(path, F_OK) == 0)
            return 0;
        return tess_errprintf(err, "kernel library '%s' not found: %s", lib,
                              strerror(errno));
    }
    char name[256], suffix[sizeof(k->arch) + 1];
    if (n > 3 && strcmp(lib + n - 3, ".so") == 0)
        n -= 3;
    if (n == 0 || n >= sizeof(name)) {
        errno = n ? ENAMETOOLONG : EINVAL;
        return tess_errprintf(err, "kernel library '%s': bad name", lib);
    }
    memcpy(name, lib, n);
    name[n] = '\0';
    snprintf(suffix, sizeof(suffix), "-%s", k->arch);
    for (int pass = k->arch[0] ? 0 : 1; pass < 2; pass++)
        for (size_t d = 0; d < k->ndirs; d++)
            for (size_t p = 0; p < NPATTERNS; p++) {
                int w = snprintf(path, len, lib_patterns[p], k->dirs[d], name,
                                 pass == 0 ? suffix : "");
                /* a name that does not fit cannot be opened either */
                if (w > 0 && (size_t)w < len && access(path, F_OK) == 0)
                    return 0;
            }
    return not_found(k, lib, name, err);
}

/* The library @p lib (opened once, kept until kreg_destroy()), or NULL
 * with errno and @p err. */
static struct klib *open_lib(kreg_t *k, const char *lib, tess_error_t *err)
{
    for (size_t i = 0; i < k->nlibs; i++)
        if (strcmp(k->libs[i].name, lib) == 0)
            return &k->libs[i];

    char path[PATH_MAX];
    if (kreg_find_lib(k, lib, path, sizeof(path), err) < 0)
        return NULL;
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        errno = EINVAL;
        tess_errprintf(err, "kernel library '%s' (%s) does not load: %s", lib,
                       path, why ? why : "unknown error");
        return NULL;
    }
    struct klib *nl = realloc(k->libs, (k->nlibs + 1) * sizeof(*nl));
    char *name = strdup(lib), *copy = strdup(path);
    if (nl)
        k->libs = nl;
    if (!nl || !name || !copy) {
        free(name);
        free(copy);
        dlclose(h);
        errno = ENOMEM;
        tess_errprintf(err, "kernel library '%s': out of memory", lib);
        return NULL;
    }
    k->libs[k->nlibs] = (struct klib){.name = name, .path = copy, .handle = h};
    return &k->libs[k->nlibs++];
}

int kreg_resolve(kreg_t *k, const char *name, uint32_t *idx,
                 tess_error_t *err)
{
    if (lookup(k, name, idx) == 0)
        return 0;

    const char *colon = strrchr(name, ':');
    const char *sym = colon ? colon + 1 : name;
    void *fn = NULL;
    if (!*sym) {
        errno = EINVAL;
        return tess_errprintf(err, "kernel '%s': empty symbol name", name);
    }
    if (colon) {
        char lib[PATH_MAX];
        size_t n = (size_t)(colon - name);
        if (n == 0 || n >= sizeof(lib)) {
            errno = EINVAL;
            return tess_errprintf(err, "kernel '%s': bad library name", name);
        }
        memcpy(lib, name, n);
        lib[n] = '\0';
        struct klib *l = open_lib(k, lib, err);
        if (!l)
            return -1;
        fn = dlsym(l->handle, sym);
        if (!fn) {
            errno = ENOENT;
            return tess_errprintf(err, "unknown kernel '%s': library '%s' "
                                  "(%s) has no symbol '%s'", name, lib,
                                  l->path, sym);
        }
    } else {
        fn = dlsym(RTLD_DEFAULT, sym);
        if (!fn) {
            errno = ENOENT;
            return tess_errprintf(err, "unknown kernel '%s': not registered "
                                  "and not exported by the program", name);
        }
    }
    tess_kernel_f kf;
    /* POSIX guarantees function pointers survive dlsym's void *. */
    memcpy(&kf, &fn, sizeof(kf));
    if (add(k, name, kf, idx) < 0) {
        errno = ENOMEM;
        return tess_errprintf(err, "kernel '%s': out of memory", name);
    }
    return 0;
}

tess_kernel_f kreg_fn(const kreg_t *k, uint32_t idx)
{
    return idx < k->n ? k->k[idx].fn : NULL;
}

const char *kreg_name(const kreg_t *k, uint32_t idx)
{
    return idx < k->n ? k->k[idx].name : "?";
}

uint32_t kreg_count(const kreg_t *k)
{
    return k->n;
}
