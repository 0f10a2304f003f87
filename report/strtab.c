/* strtab.c - interned strings: open addressing on FNV-1a hashes. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/strtab.h"

struct strtab {
    char **str;      /* by index */
    size_t n, cap;
    int32_t *slot;   /* hash slots: index + 1, 0 empty */
    size_t nslot;    /* a power of two, > 2 n */
};

static uint64_t hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

strtab_t *strtab_create(void)
{
    strtab_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->nslot = 64;
    if (!(t->slot = calloc(t->nslot, sizeof(*t->slot)))) {
        free(t);
        return NULL;
    }
    return t;
}

void strtab_destroy(strtab_t *t)
{
    int saved = errno;
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->str[i]);
    free(t->str);
    free(t->slot);
    free(t);
    errno = saved;
}

static size_t find(const strtab_t *t, const char *s)
{
    size_t mask = t->nslot - 1, i = (size_t)hash(s) & mask;
    while (t->slot[i] && strcmp(t->str[t->slot[i] - 1], s) != 0)
        i = (i + 1) & mask;
    return i;
}

static int grow(strtab_t *t)
{
    size_t nslot = 2 * t->nslot;
    int32_t *slot = calloc(nslot, sizeof(*slot));
    if (!slot)
        return -1;
    free(t->slot);
    t->slot = slot;
    t->nslot = nslot;
    for (size_t k = 0; k < t->n; k++)
        t->slot[find(t, t->str[k])] = (int32_t)k + 1;
    return 0;
}

int32_t strtab_intern(strtab_t *t, const char *s)
{
    size_t i = find(t, s);
    if (t->slot[i])
        return t->slot[i] - 1;
    if (t->n >= INT32_MAX - 1) {
        errno = ENOMEM;
        return -1;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        char **str = realloc(t->str, cap * sizeof(*str));
        if (!str)
            return -1;
        t->str = str;
        t->cap = cap;
    }
    if (!(t->str[t->n] = strdup(s)))
        return -1;
    t->n++;
    if (2 * t->n >= t->nslot) {
        if (grow(t) < 0) {
            free(t->str[--t->n]);
            return -1;
        }
    } else {
        t->slot[i] = (int32_t)t->n;
    }
    return (int32_t)t->n - 1;
}

const char *strtab_get(const strtab_t *t, int32_t i)
{
    return i >= 0 && (size_t)i < t->n ? t->str[i] : "";
}

size_t strtab_count(const strtab_t *t)
{
    return t->n;
}
