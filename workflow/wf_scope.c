/*
 * wf_scope.c - names of a workflow while it compiles.
 *
 * Names live in two namespaces: values (parameters, input dims, lets, loop
 * variables) and data (inputs, arrays, files); task definitions have their
 * own. A name may not be redefined while visible; sibling loops may reuse
 * names. Lookup is a hash table with scope pops (backward-shift deletion),
 * so large documents compile in linear time.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow/wf_compile.h"

#define TAB_EMPTY UINT32_MAX

static uint32_t fnv(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

long wf_scope_find(const wf_scope_tab_t *t, const wf_t *wf, const char *name,
                   size_t len)
{
    if (!t->cap)
        return -1;
    size_t mask = t->cap - 1;
    uint32_t h = fnv(name, len);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (t->keys[i] == TAB_EMPTY)
            return -1;
        const char *k = wf_str(wf, t->keys[i]);
        if (t->hash[i] == h && strncmp(k, name, len) == 0 && k[len] == '\0')
            return t->vals[i];
    }
}

/* Double the table (rehashing every key). -1/ENOMEM. */
static int grow(wf_scope_tab_t *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    wf_scope_tab_t nt = {.keys = malloc(cap * sizeof(uint32_t)),
                         .vals = malloc(cap * sizeof(uint32_t)),
                         .hash = malloc(cap * sizeof(uint32_t)),
                         .cap = cap,
                         .n = t->n};
    if (!nt.keys || !nt.vals || !nt.hash) {
        wf_scope_tab_free(&nt);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        nt.keys[i] = TAB_EMPTY;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->keys[i] == TAB_EMPTY)
            continue;
        size_t j = t->hash[i] & (cap - 1);
        while (nt.keys[j] != TAB_EMPTY)
            j = (j + 1) & (cap - 1);
        nt.keys[j] = t->keys[i];
        nt.vals[j] = t->vals[i];
        nt.hash[j] = t->hash[i];
    }
    wf_scope_tab_free(t);
    *t = nt;
    return 0;
}

int wf_scope_put(wf_scope_tab_t *t, const wf_t *wf, uint32_t key,
                 uint32_t val)
{
    if ((t->n + 1) * 2 > t->cap && grow(t) < 0)
        return -1;
    const char *k = wf_str(wf, key);
    uint32_t h = fnv(k, strlen(k));
    size_t mask = t->cap - 1, i = h & mask;
    while (t->keys[i] != TAB_EMPTY)
        i = (i + 1) & mask;
    t->keys[i] = key;
    t->vals[i] = val;
    t->hash[i] = h;
    t->n++;
    return 0;
}

static void tab_del(wf_scope_tab_t *t, const wf_t *wf, uint32_t key)
{
    if (!t->cap)
        return;
    const char *k = wf_str(wf, key);
    uint32_t h = fnv(k, strlen(k));
    size_t mask = t->cap - 1, i = h & mask;
    while (t->keys[i] != key) {
        if (t->keys[i] == TAB_EMPTY)
            return;
        i = (i + 1) & mask;
    }
    /* backward-shift deletion keeps probe sequences intact */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (t->keys[j] == TAB_EMPTY)
            break;
        size_t home = t->hash[j] & mask;
        bool move = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (move) {
            t->keys[i] = t->keys[j];
            t->vals[i] = t->vals[j];
            t->hash[i] = t->hash[j];
            i = j;
        }
    }
    t->keys[i] = TAB_EMPTY;
    t->n--;
}

void wf_scope_tab_free(wf_scope_tab_t *t)
{
    free(t->keys);
    free(t->vals);
    free(t->hash);
}

uint32_t wf_scope_slot(wf_comp_t *c)
{
    wf_t *wf = c->wf;
    uint32_t s = wf->nslots++;
    if ((s & (s - 1)) == 0 || s == 0) { /* grow at powers of two */
        size_t cap = s ? (size_t)s * 2 : 16;
        if (cap < 16)
            cap = 16;
        int64_t *p = realloc(wf->env, cap * sizeof(*p));
        if (!p)
            return UINT32_MAX;
        memset(p + s, 0, (cap - s) * sizeof(*p));
        wf->env = p;
    }
    return s;
}

const char *wf_scope_sym_kind_name(uint8_t kind)
{
    switch (kind) {
    case WF_SYM_INT: return "int parameter";
    case WF_SYM_FLOAT: return "float parameter";
    case WF_SYM_STRING: return "string parameter";
    case WF_SYM_PATH: return "path parameter";
    case WF_SYM_DIM: return "input dimension";
    case WF_SYM_LET: return "let";
    case WF_SYM_LOOP: return "loop variable";
    }
    return "name";
}

static const char *data_kind_name(uint8_t kind)
{
    return kind == WF_DATA_ARRAY    ? "array"
           : kind == WF_DATA_FILE   ? "file"
           : kind == WF_DATA_OBJECT ? "persistent object"
                                    : "input";
}

/* Record the new name @p off -> @p i in @p t and in the innermost scope
 * (@p scope: the names declared, innermost last). -1 with the message. */
static int enter(wf_comp_t *c, wf_scope_tab_t *t, wf_scope_vec_t *s,
                 uint32_t off, long i)
{
    if (i < 0 || WF_PUSH(*s) < 0 ||
        wf_scope_put(t, c->wf, off, (uint32_t)i) < 0)
        return wf_compile_oom(c);
    s->v[s->n - 1] = (uint32_t)i;
    return 0;
}

long wf_scope_declare_sym(wf_comp_t *c, const xmlNode *node, const char *attr,
                          const char *name, uint8_t kind, uint8_t cls)
{
    wf_t *wf = c->wf;
    size_t len = strlen(name);
    if (!wf_is_ident(name, len))
        return wf_compile_err_attr(c, node, attr, 0, "'%s' is not a valid "
                                   "name (min and max are reserved)", name);
    long prev = wf_scope_find(&c->vals, wf, name, len);
    if (prev >= 0) {
        wf_loc_t l = wf->syms.v[prev].loc;
        return wf_compile_err_attr(c, node, attr, 0, "'%s' is already "
                                   "defined (as %s at line %u, column %u)",
                                   name, wf_scope_sym_kind_name(
                                             wf->syms.v[prev].kind),
                                   l.line, l.col);
    }
    long off = wf_compile_str(c, name);
    long i = off < 0 ? -1 : WF_PUSH(wf->syms);
    if (enter(c, &c->vals, &c->sym_scope, (uint32_t)off, i) < 0)
        return -1;
    wf_sym_t *s = &wf->syms.v[i];
    s->name = (uint32_t)off;
    s->kind = kind;
    s->cls = cls;
    s->loc = wf_xml_attr_loc(c->x, node, attr, 0);
    if (kind != WF_SYM_FLOAT && kind != WF_SYM_STRING && kind != WF_SYM_PATH &&
        (s->slot = wf_scope_slot(c)) == UINT32_MAX)
        return wf_compile_oom(c);
    return i;
}

long wf_scope_declare_data(wf_comp_t *c, const xmlNode *node,
                           const char *name, uint8_t kind)
{
    wf_t *wf = c->wf;
    size_t len = strlen(name);
    if (!wf_is_ident(name, len))
        return wf_compile_err_attr(c, node, "name", 0, "'%s' is not a valid "
                                   "name", name);
    long prev = wf_scope_find(&c->datas, wf, name, len);
    if (prev >= 0) {
        wf_loc_t l = wf->data.v[prev].loc;
        return wf_compile_err_attr(c, node, "name", 0, "data '%s' is already "
                                   "defined (%s at line %u, column %u)", name,
                                   data_kind_name(wf->data.v[prev].kind),
                                   l.line, l.col);
    }
    long off = wf_compile_str(c, name);
    long i = off < 0 ? -1 : WF_PUSH(wf->data);
    if (i >= 0 && (WF_PUSH(c->written) < 0 || WF_PUSH(c->deleted) < 0 ||
                   WF_PUSH(c->data_depth) < 0))
        i = -1;
    if (enter(c, &c->datas, &c->data_scope, (uint32_t)off, i) < 0)
        return -1;
    c->data_depth.v[i] = (uint32_t)c->loop_depth;
    wf_data_t *d = &wf->data.v[i];
    d->name = (uint32_t)off;
    d->kind = kind;
    d->local = c->loop_depth > 0;
    d->loc = wf_xml_node_loc(c->x, node);
    return i;
}

long wf_scope_data(wf_comp_t *c, const xmlNode *node, const char *attr,
                   const char *name)
{
    long i = wf_scope_find(&c->datas, c->wf, name, strlen(name));
    if (i < 0)
        return wf_compile_err_attr(c, node, attr, 0, "undefined data '%s'",
                                   name);
    if (c->deleted.v[i].line) {
        wf_loc_t l = c->deleted.v[i];
        return wf_compile_err_attr(c, node, attr, 0, "data '%s' is used after "
                                   "its <delete> at line %u, column %u", name,
                                   l.line, l.col);
    }
    return i;
}

void wf_scope_pop(wf_comp_t *c, size_t sym_mark, size_t data_mark)
{
    wf_t *wf = c->wf;
    while (c->sym_scope.n > sym_mark)
        tab_del(&c->vals, wf, wf->syms.v[c->sym_scope.v[--c->sym_scope.n]].name);
    while (c->data_scope.n > data_mark)
        tab_del(&c->datas, wf,
                wf->data.v[c->data_scope.v[--c->data_scope.n]].name);
}

int wf_scope_resolve_int(void *ctx, const char *name, size_t len,
                         uint32_t *slot, uint8_t *cls, wf_exprerr_t *e)
{
    wf_comp_t *c = ctx;
    long i = wf_scope_find(&c->vals, c->wf, name, len);
    if (i < 0) {
        snprintf(e->msg, sizeof(e->msg), "undefined name '%.*s'", (int)len,
                 name);
        return -1;
    }
    const wf_sym_t *s = &c->wf->syms.v[i];
    if (s->kind == WF_SYM_FLOAT || s->kind == WF_SYM_STRING ||
        s->kind == WF_SYM_PATH) {
        snprintf(e->msg, sizeof(e->msg),
                 "'%.*s' is a %s: integer expressions take int parameters, "
                 "input dims, lets and loop variables",
                 (int)len, name, wf_scope_sym_kind_name(s->kind));
        return -1;
    }
    *slot = s->slot;
    *cls = s->cls;
    return 0;
}
