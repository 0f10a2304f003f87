/* kernels.c - kernel names to functions, by registration or dlopen/dlsym. */
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
    char *name;
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
        if (*d && kreg_add_dir(k, d) < 0) {
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

static void *open_lib(kreg_t *k, const char *lib, tess_error_t *err)
{
    for (size_t i = 0; i < k->nlibs; i++)
        if (strcmp(k->libs[i].name, lib) == 0)
            return k->libs[i].handle;

    void *h = NULL;
    char path[PATH_MAX];
    const char *firsterr = NULL;
    char errbuf[256] = "";
    if (strchr(lib, '/')) {
        h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            firsterr = dlerror();
    } else {
        static const char *const pat[] = {"%s/%s%s.so", "%s/lib%s%s.so",
                                          "%s/.libs/%s%s.so",
                                          "%s/.libs/lib%s%s.so"};
        char suffix[sizeof(k->arch) + 1];
        snprintf(suffix, sizeof(suffix), "-%s", k->arch);
        /* the arch build first, then the default one */
        for (int pass = k->arch[0] ? 0 : 1; pass < 2 && !h; pass++) {
            for (size_t d = 0; d < k->ndirs && !h; d++) {
                for (size_t p = 0; p < sizeof(pat) / sizeof(pat[0]) && !h;
                     p++) {
                    snprintf(path, sizeof(path), pat[p], k->dirs[d], lib,
                             pass == 0 ? suffix : "");
                    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
                    if (!h && !firsterr && access(path, F_OK) == 0) {
                        snprintf(errbuf, sizeof(errbuf), "%s", dlerror());
                        firsterr = errbuf;
                    }
                }
            }
        }
    }
    if (!h) {
        errno = ENOENT;
        tess_errprintf(err, "kernel library '%s' not found%s%s", lib,
                       firsterr ? ": " : " in the kernel search path",
                       firsterr ? firsterr : "");
        return NULL;
    }
    struct klib *nl = realloc(k->libs, (k->nlibs + 1) * sizeof(*nl));
    char *name = strdup(lib);
    if (!nl || !name) {
        free(name);
        if (nl)
            k->libs = nl;
        dlclose(h);
        errno = ENOMEM;
        return NULL;
    }
    k->libs = nl;
    k->libs[k->nlibs].name = name;
    k->libs[k->nlibs].handle = h;
    k->nlibs++;
    return h;
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
        void *h = open_lib(k, lib, err);
        if (!h)
            return -1;
        fn = dlsym(h, sym);
        if (!fn) {
            errno = ENOENT;
            return tess_errprintf(err, "unknown kernel '%s': library '%s' has "
                                  "no symbol '%s'", name, lib, sym);
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
