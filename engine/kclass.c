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
    free(c->name);
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

static int matches(const kclass_t *c, const kclass_t *k)
{
    if (c->kernel != k->kernel || c->cpus != k->cpus ||
        c->memory_mb != k->memory_mb || c->nimpls != k->nimpls ||
        c->on_failure != k->on_failure || c->isolation != k->isolation ||
        c->retries != k->retries || c->timeout_ms != k->timeout_ms ||
        !same_str(c->arch, k->arch) || !same_str(c->name, k->name))
        return 0;
    for (int i = 0; i < k->nimpls; i++)
        if (c->impls[i].kernel != k->impls[i].kernel ||
            strcmp(c->impls[i].arch, k->impls[i].arch))
            return 0;
    return 1;
}

static char *dup_or_null(const char *s, int *failed)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *failed = 1;
    return d;
}

const kclass_t *kclasses_intern(kclasses_t *t, const kclass_t *spec)
{
    kclass_t k = *spec;
    if (k.cpus < 1)
        k.cpus = 1;
    if (k.memory_mb < 0)
        k.memory_mb = 0;
    if (t->last && matches(t->last, &k))
        return t->last;
    for (size_t i = 0; i < t->n; i++)
        if (matches(t->c[i], &k))
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
    int failed = 0;
    *c = k;
    c->nimpls = 0;
    c->arch = dup_or_null(k.arch, &failed);
    c->name = dup_or_null(k.name, &failed);
    c->impls = k.nimpls ? calloc((size_t)k.nimpls, sizeof(*c->impls)) : NULL;
    if (failed || (k.nimpls && !c->impls)) {
        kclass_free(c);
        errno = ENOMEM;
        return NULL;
    }
    for (int i = 0; i < k.nimpls; i++) {
        c->impls[i].kernel = k.impls[i].kernel;
        if (!(c->impls[i].arch = strdup(k.impls[i].arch))) {
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
