/* kclass.c - interned task classes (constraints + implementations). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kclass.h"

struct kclasses {
    kclass_t **c;
    size_t n, cap;
    const kclass_t *last; /* most tasks repeat the previous class */
};

kclasses_t *kclasses_create(void)
{
    return calloc(1, sizeof(kclasses_t));
}

static void kclass_free(kclass_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nimpls; i++)
        free(c->impls[i].arch);
    free(c->impls);
    free(c->arch);
    free(c);
}

void kclasses_destroy(kclasses_t *t)
{
    int saved = errno;
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        kclass_free(t->c[i]);
    free(t->c);
    free(t);
    errno = saved;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int matches(const kclass_t *c, uint32_t kernel, const char *arch,
                   int cpus, int64_t mem, int nimpls, const char *const *ia,
                   const uint32_t *ik)
{
    if (c->kernel != kernel || c->cpus != cpus || c->memory_mb != mem ||
        c->nimpls != nimpls || !same_str(c->arch, arch))
        return 0;
    for (int i = 0; i < nimpls; i++)
        if (c->impls[i].kernel != ik[i] || strcmp(c->impls[i].arch, ia[i]))
            return 0;
    return 1;
}

const kclass_t *kclasses_intern(kclasses_t *t, uint32_t kernel,
                                const char *arch, int cpus,
                                int64_t memory_mb, int nimpls,
                                const char *const *impl_archs,
                                const uint32_t *impl_kernels)
{
    if (cpus < 1)
        cpus = 1;
    if (memory_mb < 0)
        memory_mb = 0; /* as stored: a negative need is no need */
    if (t->last && matches(t->last, kernel, arch, cpus, memory_mb, nimpls, impl_archs,
                           impl_kernels))
        return t->last;
    for (size_t i = 0; i < t->n; i++)
        if (matches(t->c[i], kernel, arch, cpus, memory_mb, nimpls, impl_archs,
                    impl_kernels))
            return t->last = t->c[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        kclass_t **nc = realloc(t->c, cap * sizeof(*nc));
        if (!nc)
            return NULL;
        t->c = nc;
        t->cap = cap;
    }
    kclass_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->kernel = kernel;
    c->cpus = cpus;
    c->memory_mb = memory_mb;
    c->arch = arch ? strdup(arch) : NULL;
    c->impls = nimpls ? calloc((size_t)nimpls, sizeof(*c->impls)) : NULL;
    if ((arch && !c->arch) || (nimpls && !c->impls)) {
        kclass_free(c);
        errno = ENOMEM;
        return NULL;
    }
    for (int i = 0; i < nimpls; i++) {
        c->impls[i].kernel = impl_kernels[i];
        if (!(c->impls[i].arch = strdup(impl_archs[i]))) {
            c->nimpls = i;
            kclass_free(c);
            errno = ENOMEM;
            return NULL;
        }
        c->nimpls = i + 1;
    }
    t->c[t->n++] = c;
    return t->last = c;
}

int kclass_allows(const kclass_t *c, const char *arch)
{
    return !c || !c->arch || strcmp(c->arch, arch) == 0;
}

uint32_t kclass_kernel_for(const kclass_t *c, const char *arch)
{
    for (int i = 0; c && i < c->nimpls; i++)
        if (strcmp(c->impls[i].arch, arch) == 0)
            return c->impls[i].kernel;
    return c ? c->kernel : 0;
}
