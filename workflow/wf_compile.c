/*
 * wf_compile.c - compile a validated workflow document.
 *
 * One pass in document order: names must be defined before use, which also
 * makes the "read before any task writes it" check a linear walk.  Names
 * live in two namespaces: values (parameters, input dims, lets, loop
 * variables) and data (inputs, arrays, files); task definitions have their
 * own.  A name may not be redefined while visible; sibling loops may reuse
 * names.  Lookup is a hash table with scope pops, so large documents
 * compile in linear time.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "base/types.h"
#include "workflow/wf_compile.h"
#include "workflow/wf_private.h"

/* ---------- name tables ---------- */

#define NT_EMPTY UINT32_MAX

typedef struct nametab {
    uint32_t *keys; /* strs offsets, NT_EMPTY */
    uint32_t *vals;
    uint32_t *hash;
    size_t cap, n;
} nametab_t;

static uint32_t fnv(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static long nt_find(const nametab_t *t, const wf_t *wf, const char *name,
                    size_t len)
{
    if (!t->cap)
        return -1;
    size_t mask = t->cap - 1;
    uint32_t h = fnv(name, len);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (t->keys[i] == NT_EMPTY)
            return -1;
        const char *k = wf_str(wf, t->keys[i]);
        if (t->hash[i] == h && strncmp(k, name, len) == 0 && k[len] == '\0')
            return t->vals[i];
    }
}

static int nt_put(nametab_t *t, const wf_t *wf, uint32_t key, uint32_t val)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        nametab_t nt = {.keys = malloc(cap * sizeof(uint32_t)),
                        .vals = malloc(cap * sizeof(uint32_t)),
                        .hash = malloc(cap * sizeof(uint32_t)),
                        .cap = cap};
        if (!nt.keys || !nt.vals || !nt.hash) {
            free(nt.keys);
            free(nt.vals);
            free(nt.hash);
            errno = ENOMEM;
            return -1;
        }
        for (size_t i = 0; i < cap; i++)
            nt.keys[i] = NT_EMPTY;
        for (size_t i = 0; i < t->cap; i++) {
            if (t->keys[i] == NT_EMPTY)
                continue;
            size_t j = t->hash[i] & (cap - 1);
            while (nt.keys[j] != NT_EMPTY)
                j = (j + 1) & (cap - 1);
            nt.keys[j] = t->keys[i];
            nt.vals[j] = t->vals[i];
            nt.hash[j] = t->hash[i];
        }
        nt.n = t->n;
        free(t->keys);
        free(t->vals);
        free(t->hash);
        *t = nt;
    }
    const char *k = wf_str(wf, key);
    uint32_t h = fnv(k, strlen(k));
    size_t mask = t->cap - 1, i = h & mask;
    while (t->keys[i] != NT_EMPTY)
        i = (i + 1) & mask;
    t->keys[i] = key;
    t->vals[i] = val;
    t->hash[i] = h;
    t->n++;
    return 0;
}

static void nt_del(nametab_t *t, const wf_t *wf, uint32_t key)
{
    if (!t->cap)
        return;
    const char *k = wf_str(wf, key);
    uint32_t h = fnv(k, strlen(k));
    size_t mask = t->cap - 1, i = h & mask;
    while (t->keys[i] != key) {
        if (t->keys[i] == NT_EMPTY)
            return;
        i = (i + 1) & mask;
    }
    /* backward-shift deletion keeps probe sequences intact */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (t->keys[j] == NT_EMPTY)
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
    t->keys[i] = NT_EMPTY;
    t->n--;
}

static void nt_free(nametab_t *t)
{
    free(t->keys);
    free(t->vals);
    free(t->hash);
}

/* ---------- compile state ---------- */

typedef struct comp {
    wf_t *wf;
    const wf_xml_t *x;
    tess_error_t *err;
    nametab_t vals, datas, tasks, libs;
    WF_VEC(uint32_t) sym_scope;  /* symbols declared, innermost last */
    WF_VEC(uint32_t) data_scope; /* data declared, innermost last */
    WF_VEC(uint8_t) written;     /* per data: some task wrote it (or init) */
    WF_VEC(wf_loc_t) deleted;    /* per data: line 0, or where deleted */
    WF_VEC(uint32_t) data_depth; /* per data: loop depth of declaration */
    int loop_depth;
    size_t nelem;
} comp_t;

static int oom(comp_t *c)
{
    errno = ENOMEM;
    return tess_errprintf(c->err, "%s: out of memory", c->wf->path);
}

static int err_node(comp_t *c, const xmlNode *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int err_node(comp_t *c, const xmlNode *node, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    errno = EINVAL;
    return wf_err_at(c->wf, c->err, wf_xml_node_loc(c->x, node), "%s", msg);
}

static int err_attr(comp_t *c, const xmlNode *node, const char *attr,
                    size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int err_attr(comp_t *c, const xmlNode *node, const char *attr,
                    size_t pos, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    errno = EINVAL;
    return wf_err_at(c->wf, c->err, wf_xml_attr_loc(c->x, node, attr, pos),
                     "%s", msg);
}

static long put_strn(comp_t *c, const char *s, size_t len)
{
    wf_t *wf = c->wf;
    if (wf->strs.n + len + 1 > UINT32_MAX) {
        errno = ENOMEM;
        return -1;
    }
    if (wf->strs.n + len + 1 > wf->strs.cap) {
        size_t cap = wf->strs.cap ? wf->strs.cap : 4096;
        while (cap < wf->strs.n + len + 1)
            cap *= 2;
        char *p = realloc(wf->strs.v, cap);
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        wf->strs.v = p;
        wf->strs.cap = cap;
    }
    long off = (long)wf->strs.n;
    memcpy(wf->strs.v + off, s, len);
    wf->strs.v[off + (long)len] = '\0';
    wf->strs.n += len + 1;
    return off;
}

static long put_str(comp_t *c, const char *s)
{
    return put_strn(c, s, strlen(s));
}

/* Attributes of one element, freed together. */
typedef struct atts {
    xmlChar *v[12];
    int n;
} atts_t;

static const char *att(atts_t *a, const xmlNode *node, const char *name)
{
    xmlChar *s = xmlGetNoNsProp(node, BAD_CAST name);
    if (!s)
        return NULL;
    if (a->n == (int)(sizeof(a->v) / sizeof(a->v[0]))) {
        xmlFree(s);
        return NULL;
    }
    a->v[a->n++] = s;
    return (const char *)s;
}

static void atts_free(atts_t *a)
{
    for (int i = 0; i < a->n; i++)
        xmlFree(a->v[i]);
    a->n = 0;
}

static bool is(const xmlNode *n, const char *name)
{
    return strcmp((const char *)n->name, name) == 0;
}

static xmlNode *first_elem(xmlNode *n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static xmlNode *next_elem(xmlNode *n)
{
    return first_elem(n->next);
}

static uint32_t new_slot(comp_t *c)
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

static const char *sym_kind_name(uint8_t kind)
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

/* Declare value symbol @p name at @p node/@p attr. Returns index or -1. */
static long declare_sym(comp_t *c, const xmlNode *node, const char *attr,
                        const char *name, uint8_t kind, uint8_t cls)
{
    wf_t *wf = c->wf;
    size_t len = strlen(name);
    if (!wf_is_ident(name, len))
        return err_attr(c, node, attr, 0, "'%s' is not a valid name "
                        "(min and max are reserved)", name);
    long prev = nt_find(&c->vals, wf, name, len);
    if (prev >= 0) {
        wf_loc_t l = wf->syms.v[prev].loc;
        return err_attr(c, node, attr, 0,
                        "'%s' is already defined (as %s at line %u, column %u)",
                        name, sym_kind_name(wf->syms.v[prev].kind), l.line,
                        l.col);
    }
    long off = put_str(c, name);
    long i = off < 0 ? -1 : WF_PUSH(wf->syms);
    if (i < 0 || WF_PUSH(c->sym_scope) < 0)
        return oom(c);
    c->sym_scope.v[c->sym_scope.n - 1] = (uint32_t)i;
    wf_sym_t *s = &wf->syms.v[i];
    s->name = (uint32_t)off;
    s->kind = kind;
    s->cls = cls;
    s->loc = wf_xml_attr_loc(c->x, node, attr, 0);
    if (kind != WF_SYM_FLOAT && kind != WF_SYM_STRING && kind != WF_SYM_PATH) {
        uint32_t slot = new_slot(c);
        if (slot == UINT32_MAX)
            return oom(c);
        wf->syms.v[i].slot = slot;
    }
    if (nt_put(&c->vals, wf, (uint32_t)off, (uint32_t)i) < 0)
        return oom(c);
    return i;
}

static const char *data_kind_name(uint8_t kind)
{
    return kind == WF_DATA_ARRAY ? "array" : kind == WF_DATA_FILE ? "file"
                                                                  : "input";
}

static long declare_data(comp_t *c, const xmlNode *node, const char *name,
                         uint8_t kind)
{
    wf_t *wf = c->wf;
    size_t len = strlen(name);
    if (!wf_is_ident(name, len))
        return err_attr(c, node, "name", 0, "'%s' is not a valid name", name);
    long prev = nt_find(&c->datas, wf, name, len);
    if (prev >= 0) {
        wf_loc_t l = wf->data.v[prev].loc;
        return err_attr(c, node, "name", 0,
                        "data '%s' is already defined (%s at line %u, "
                        "column %u)", name,
                        data_kind_name(wf->data.v[prev].kind), l.line, l.col);
    }
    long off = put_str(c, name);
    long i = off < 0 ? -1 : WF_PUSH(wf->data);
    if (i < 0 || WF_PUSH(c->data_scope) < 0 || WF_PUSH(c->written) < 0 ||
        WF_PUSH(c->deleted) < 0 || WF_PUSH(c->data_depth) < 0)
        return oom(c);
    c->data_scope.v[c->data_scope.n - 1] = (uint32_t)i;
    c->data_depth.v[i] = (uint32_t)c->loop_depth;
    wf_data_t *d = &wf->data.v[i];
    d->name = (uint32_t)off;
    d->kind = kind;
    d->local = c->loop_depth > 0;
    d->loc = wf_xml_node_loc(c->x, node);
    if (nt_put(&c->datas, wf, (uint32_t)off, (uint32_t)i) < 0)
        return oom(c);
    return i;
}

static long lookup_data(comp_t *c, const xmlNode *node, const char *attr,
                        const char *name)
{
    long i = nt_find(&c->datas, c->wf, name, strlen(name));
    if (i < 0)
        return err_attr(c, node, attr, 0, "undefined data '%s'", name);
    if (c->deleted.v[i].line) {
        wf_loc_t l = c->deleted.v[i];
        return err_attr(c, node, attr, 0,
                        "data '%s' is used after its <delete> at line %u, "
                        "column %u", name, l.line, l.col);
    }
    return i;
}

/* ---------- expressions and templates ---------- */

static int resolve_int(void *ctx, const char *name, size_t len,
                       uint32_t *slot, uint8_t *cls, wf_exprerr_t *e)
{
    comp_t *c = ctx;
    long i = nt_find(&c->vals, c->wf, name, len);
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
                 (int)len, name, sym_kind_name(s->kind));
        return -1;
    }
    *slot = s->slot;
    *cls = s->cls;
    return 0;
}

/* Compile @p text (attribute @p an of @p node) as up to @p max expressions
 * separated by @p sep, appended to wf->exprs from *first. */
static int cexpr_r(comp_t *c, const xmlNode *node, const char *an,
                   const char *text, char sep, size_t max,
                   wf_resolve_f resolve, void *rctx, uint32_t *first,
                   size_t *n)
{
    wf_t *wf = c->wf;
    wf_expr_t tmp[2 * TESS_MAX_RANK];
    wf_exprerr_t e;
    size_t cnt = 0;
    if (max > sizeof(tmp) / sizeof(tmp[0]))
        max = sizeof(tmp) / sizeof(tmp[0]);
    errno = 0;
    if (wf_expr_compile(text, strlen(text), sep, max, resolve, rctx,
                        &wf->code, tmp, &cnt, &e) < 0) {
        if (errno == ENOMEM)
            return oom(c);
        return err_attr(c, node, an, e.pos, "%s", e.msg);
    }
    long src = put_str(c, text);
    if (src < 0)
        return oom(c);
    wf_loc_t loc = wf_xml_attr_loc(c->x, node, an, 0);
    *first = (uint32_t)wf->exprs.n;
    for (size_t i = 0; i < cnt; i++) {
        long k = WF_PUSH(wf->exprs);
        if (k < 0)
            return oom(c);
        tmp[i].src = (uint32_t)src;
        tmp[i].loc = loc;
        wf->exprs.v[k] = tmp[i];
    }
    if (n)
        *n = cnt;
    return 0;
}

static int cexpr(comp_t *c, const xmlNode *node, const char *an,
                 const char *text, char sep, size_t max, uint32_t *first,
                 size_t *n)
{
    return cexpr_r(c, node, an, text, sep, max, resolve_int, c, first, n);
}

static int cexpr1(comp_t *c, const xmlNode *node, const char *an,
                  const char *text, uint32_t *idx)
{
    size_t n;
    return cexpr(c, node, an, text, 0, 1, idx, &n);
}

/* Evaluate expression @p i now (its class must be CONST). */
static int eval_now(comp_t *c, uint32_t i, int64_t *out)
{
    wf_t *wf = c->wf;
    wf_exprerr_t e;
    if (wf_expr_eval(wf->code.v, &wf->exprs.v[i], wf->env, out, &e) < 0) {
        const wf_expr_t *x = &wf->exprs.v[i];
        errno = EINVAL;
        return wf_err_at(wf, c->err, wf_loc_add(wf, x->loc, x->src, e.pos),
                         "%s in '%s'", e.msg, wf_str(wf, x->src));
    }
    return 0;
}

static int push_seg(comp_t *c, wf_seg_t seg)
{
    long k = WF_PUSH(c->wf->segs);
    if (k < 0)
        return oom(c);
    c->wf->segs.v[k] = seg;
    return 0;
}

/* Compile template @p text of attribute @p an; *out is its index. */
static int ctpl(comp_t *c, const xmlNode *node, const char *an,
                const char *text, uint32_t *out)
{
    wf_t *wf = c->wf;
    wf_tpl_t t = {.seg = (uint32_t)wf->segs.n, .cls = WF_CLS_CONST,
                  .loc = wf_xml_attr_loc(c->x, node, an, 0)};
    size_t len = strlen(text), i = 0, lit = 0;
    char *buf = malloc(len + 1); /* literal text with {{ }} undone */
    size_t bl = 0;
    if (!buf)
        return oom(c);
#define FLUSH()                                                             \
    do {                                                                    \
        if (bl) {                                                           \
            long off = put_strn(c, buf, bl);                                \
            if (off < 0 || push_seg(c, (wf_seg_t){.kind = WF_SEG_TEXT,      \
                                                  .off = (uint32_t)off,     \
                                                  .len = (uint32_t)bl}) < 0)\
                goto oom;                                                   \
            bl = 0;                                                         \
        }                                                                   \
    } while (0)
    (void)lit;
    while (i < len) {
        char ch = text[i];
        if (ch == '{' && i + 1 < len && text[i + 1] == '{') {
            buf[bl++] = '{';
            i += 2;
        } else if (ch == '}' && i + 1 < len && text[i + 1] == '}') {
            buf[bl++] = '}';
            i += 2;
        } else if (ch == '}') {
            free(buf);
            return err_attr(c, node, an, i, "unmatched '}' (write }} for a "
                            "literal brace)");
        } else if (ch == '{') {
            const char *close = memchr(text + i + 1, '}', len - i - 1);
            if (!close) {
                free(buf);
                return err_attr(c, node, an, i, "unclosed '{' (write {{ for "
                                "a literal brace)");
            }
            size_t s = i + 1, e = (size_t)(close - text);
            size_t ts = s, te = e;
            while (ts < te && text[ts] == ' ')
                ts++;
            while (te > ts && text[te - 1] == ' ')
                te--;
            FLUSH();
            long sym = wf_is_ident(text + ts, te - ts)
                           ? nt_find(&c->vals, wf, text + ts, te - ts) : -1;
            if (sym >= 0 && (wf->syms.v[sym].kind == WF_SYM_STRING ||
                             wf->syms.v[sym].kind == WF_SYM_PATH ||
                             wf->syms.v[sym].kind == WF_SYM_FLOAT)) {
                uint8_t k = wf->syms.v[sym].kind == WF_SYM_FLOAT ? WF_SEG_FLOAT
                                                                 : WF_SEG_STR;
                if (push_seg(c, (wf_seg_t){.kind = k, .sym = (uint32_t)sym}) < 0)
                    goto oom;
            } else {
                char *inner = strndup(text + s, e - s);
                wf_expr_t x;
                wf_exprerr_t ee;
                size_t n;
                if (!inner)
                    goto oom;
                if (wf_expr_compile(inner, e - s, 0, 1, resolve_int, c,
                                    &wf->code, &x, &n, &ee) < 0) {
                    free(inner);
                    free(buf);
                    if (errno == ENOMEM)
                        return oom(c);
                    return err_attr(c, node, an, s + ee.pos, "%s", ee.msg);
                }
                long src = put_str(c, inner);
                free(inner);
                long k = src < 0 ? -1 : WF_PUSH(wf->exprs);
                if (k < 0)
                    goto oom;
                x.src = (uint32_t)src;
                x.loc = wf_xml_attr_loc(c->x, node, an, s);
                wf->exprs.v[k] = x;
                if (x.cls > t.cls)
                    t.cls = x.cls;
                if (push_seg(c, (wf_seg_t){.kind = WF_SEG_INT,
                                           .expr = (uint32_t)k}) < 0)
                    goto oom;
            }
            i = e + 1;
        } else {
            buf[bl++] = ch;
            i++;
        }
    }
    FLUSH();
#undef FLUSH
    free(buf);
    t.nseg = (uint32_t)(wf->segs.n - t.seg);
    long k = WF_PUSH(wf->tpls);
    if (k < 0)
        return oom(c);
    wf->tpls.v[k] = t;
    *out = (uint32_t)k;
    return 0;
oom:
    free(buf);
    return oom(c);
}

/* ---------- small parsers ---------- */

static int parse_dir(const char *s)
{
    if (!s)
        return 0;
    if (strcmp(s, "in") == 0)
        return TESS_IN;
    if (strcmp(s, "out") == 0)
        return TESS_OUT;
    if (strcmp(s, "inout") == 0)
        return TESS_INOUT;
    return 0;
}

static bool parse_bool(const char *s)
{
    return s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

/* A float literal: strtod over the whole (trimmed) text, finite. */
static bool parse_float(const char *s, double *out)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!*s)
        return false;
    errno = 0;
    double d = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (*end || errno == ERANGE || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* ---------- parameters ---------- */

static const wf_param_override_t *find_override(
    const wf_param_override_t *ov, size_t n, const char *name, bool *used)
{
    const wf_param_override_t *hit = NULL;
    for (size_t i = 0; i < n; i++)
        if (ov[i].name && strcmp(ov[i].name, name) == 0) {
            hit = &ov[i]; /* the last one wins */
            used[i] = true;
        }
    return hit;
}

static int compile_param(comp_t *c, const xmlNode *node,
                         const wf_param_override_t *ov, size_t nov,
                         bool *used)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *type = att(&a, node, "type");
    const char *def = att(&a, node, "default");
    const wf_param_override_t *o = find_override(ov, nov, name ? name : "",
                                                 used);
    uint8_t kind = !type ? 0 : strcmp(type, "int") == 0 ? WF_SYM_INT
                 : strcmp(type, "float") == 0 ? WF_SYM_FLOAT
                 : strcmp(type, "string") == 0 ? WF_SYM_STRING
                 : strcmp(type, "path") == 0 ? WF_SYM_PATH : 0;
    char num[64];
    char *strval = NULL;
    int64_t iv = 0;
    double dv = 0;

    if (!name || !kind) {
        err_node(c, node, "parameter without a name or a known type");
        goto out;
    }
    if (!o && !def) {
        err_attr(c, node, "name", 0, "parameter '%s' has no default: give "
                 "--param %s=VALUE", name, name);
        goto out;
    }
    switch (kind) {
    case WF_SYM_INT: {
        wf_expr_t x;
        wf_exprerr_t e;
        size_t n;
        const char *text = o ? o->value : def;
        if (wf_expr_compile(text, strlen(text), 0, 1, resolve_int, c,
                            &wf->code, &x, &n, &e) < 0 ||
            wf_expr_eval(wf->code.v, &x, wf->env, &iv, &e) < 0) {
            if (errno == ENOMEM) {
                oom(c);
                goto out;
            }
            if (o) {
                errno = EINVAL;
                tess_errprintf(c->err, "--param %s: '%s' is not a valid "
                               "integer: %s", name, o->value, e.msg);
            } else {
                err_attr(c, node, "default", e.pos, "%s", e.msg);
            }
            goto out;
        }
        snprintf(num, sizeof(num), "%lld", (long long)iv);
        break;
    }
    case WF_SYM_FLOAT:
        if (!parse_float(o ? o->value : def, &dv)) {
            if (o) {
                errno = EINVAL;
                tess_errprintf(c->err, "--param %s: '%s' is not a finite "
                               "floating-point number", name, o->value);
            } else {
                err_attr(c, node, "default", 0, "'%s' is not a finite "
                         "floating-point number", def);
            }
            goto out;
        }
        snprintf(num, sizeof(num), "%.17g", dv);
        break;
    default: { /* string, path */
        char tmp[WF_MAX_PATH];
        if (o) {
            if (strlen(o->value) >= WF_MAX_PATH) {
                errno = EINVAL;
                tess_errprintf(c->err, "--param %s: value longer than %d "
                               "bytes", name, WF_MAX_PATH - 1);
                goto out;
            }
            snprintf(tmp, sizeof(tmp), "%s", o->value);
        } else {
            uint32_t t;
            if (ctpl(c, node, "default", def, &t) < 0 ||
                wf_tpl_eval(wf, &wf->tpls.v[t], wf->env, tmp, sizeof(tmp),
                            c->err) < 0)
                goto out;
        }
        if (kind == WF_SYM_PATH) {
            if (!tmp[0]) {
                if (o) {
                    errno = EINVAL;
                    tess_errprintf(c->err, "--param %s: empty path", name);
                } else {
                    err_attr(c, node, "default", 0, "empty path");
                }
                goto out;
            }
            char cwd[PATH_MAX];
            const char *base = wf->dir;
            if (o)
                base = getcwd(cwd, sizeof(cwd)) ? cwd : NULL;
            strval = wf_path_join(base, tmp);
        } else {
            strval = strdup(tmp);
        }
        if (!strval) {
            oom(c);
            goto out;
        }
        break;
    }
    }
    long s = declare_sym(c, node, "name", name, kind, WF_CLS_CONST);
    if (s < 0)
        goto out;
    long pi = WF_PUSH(wf->params);
    long text = put_str(c, strval ? strval : num);
    if (pi < 0 || text < 0) {
        oom(c);
        goto out;
    }
    wf_sym_t *sym = &wf->syms.v[s];
    if (kind == WF_SYM_INT)
        wf->env[sym->slot] = iv;
    else if (kind == WF_SYM_FLOAT)
        sym->d = dv;
    else
        sym->str = (uint32_t)text;
    wf->params.v[pi] = (wf_param_t){.sym = (uint32_t)s, .type = kind ==
                                    WF_SYM_INT ? "int" : kind == WF_SYM_FLOAT
                                    ? "float" : kind == WF_SYM_STRING
                                    ? "string" : "path",
                                    .text = (uint32_t)text};
    rc = 0;
out:
    free(strval);
    atts_free(&a);
    return rc;
}

/* ---------- statements ---------- */

static long push_stmt(comp_t *c, const xmlNode *node, uint8_t kind)
{
    wf_t *wf = c->wf;
    if (wf->stmts.n >= WF_MAX_STATEMENTS)
        return err_node(c, node, "too many statements (the limit is %d)",
                        WF_MAX_STATEMENTS);
    long i = WF_PUSH(wf->stmts);
    if (i < 0)
        return oom(c);
    wf->stmts.v[i].kind = kind;
    wf->stmts.v[i].loc = wf_xml_node_loc(c->x, node);
    return i;
}

static int check_shape_now(comp_t *c, const xmlNode *node, const char *name,
                           uint32_t first, size_t rank, int type)
{
    wf_t *wf = c->wf;
    int64_t bytes = (int64_t)wf_type_size(type);
    for (size_t k = 0; k < rank; k++)
        if (wf->exprs.v[first + k].cls != WF_CLS_CONST)
            return 0;
    for (size_t k = 0; k < rank; k++) {
        int64_t v;
        if (eval_now(c, first + (uint32_t)k, &v) < 0)
            return -1;
        if (v < 1)
            return err_attr(c, node, "shape", 0, "dimension %zu of '%s' is "
                            "%lld: extents must be >= 1", k, name,
                            (long long)v);
        if (__builtin_mul_overflow(bytes, v, &bytes))
            return err_attr(c, node, "shape", 0, "array '%s' is too large "
                            "(its size overflows 64 bits)", name);
    }
    return 0;
}

static int compile_let(comp_t *c, const xmlNode *node)
{
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *value = att(&a, node, "value");
    uint32_t e;
    if (!name || !value) {
        err_node(c, node, "<let> needs name and value");
        goto out;
    }
    if (cexpr1(c, node, "value", value, &e) < 0)
        goto out;
    uint8_t cls = c->wf->exprs.v[e].cls;
    long s = declare_sym(c, node, "name", name, WF_SYM_LET, cls);
    long st = s < 0 ? -1 : push_stmt(c, node, WF_ST_LET);
    if (st < 0)
        goto out;
    c->wf->stmts.v[st].a = (uint32_t)s;
    c->wf->stmts.v[st].b = e;
    /* outside loops, values known now are checked now */
    if (c->loop_depth == 0 && cls == WF_CLS_CONST &&
        eval_now(c, e, &c->wf->env[c->wf->syms.v[s].slot]) < 0)
        goto out;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_input(comp_t *c, const xmlNode *node)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *file = att(&a, node, "file");
    const char *dataset = att(&a, node, "dataset");
    const char *type = att(&a, node, "type");
    const char *dims = att(&a, node, "dims");
    uint32_t t;
    if (!name || !file || !dataset || !type || !dims) {
        err_node(c, node, "<input> needs name, file, dataset, type and dims");
        goto out;
    }
    if (ctpl(c, node, "file", file, &t) < 0)
        goto out;
    if (wf->tpls.v[t].cls != WF_CLS_CONST) {
        err_attr(c, node, "file", 0, "the file of an input may only use "
                 "parameters");
        goto out;
    }
    long ds = put_str(c, dataset);
    if (ds < 0) {
        oom(c);
        goto out;
    }
    long d = declare_data(c, node, name, WF_DATA_INPUT);
    if (d < 0)
        goto out;
    /* dims: whitespace-separated names, one per dimension */
    uint32_t first = (uint32_t)wf->syms.n;
    int rank = 0;
    const char *p = dims;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
            q++;
        if (rank == TESS_MAX_RANK) {
            err_attr(c, node, "dims", (size_t)(p - dims),
                     "more than %d dimensions", TESS_MAX_RANK);
            goto out;
        }
        char nm[WF_MAX_NAME + 1];
        if ((size_t)(q - p) > WF_MAX_NAME) {
            err_attr(c, node, "dims", (size_t)(p - dims), "name too long");
            goto out;
        }
        memcpy(nm, p, (size_t)(q - p));
        nm[q - p] = '\0';
        long s = declare_sym(c, node, "dims", nm, WF_SYM_DIM, WF_CLS_INPUT);
        if (s < 0)
            goto out;
        if ((uint32_t)s != first + (uint32_t)rank) { /* contiguous */
            err_node(c, node, "internal error: dims not contiguous");
            goto out;
        }
        rank++;
        p = q;
    }
    if (rank == 0) {
        err_attr(c, node, "dims", 0, "an input needs at least one dimension");
        goto out;
    }
    wf_data_t *dd = &wf->data.v[d];
    dd->type = (uint8_t)types_parse(type);
    dd->rank = (uint8_t)rank;
    dd->tpl = t;
    dd->dataset = (uint32_t)ds;
    dd->dim_sym = first;
    c->written.v[d] = 1;
    long st = push_stmt(c, node, WF_ST_INPUT);
    if (st < 0)
        goto out;
    wf->stmts.v[st].a = (uint32_t)d;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_array(comp_t *c, const xmlNode *node)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *type = att(&a, node, "type");
    const char *shape = att(&a, node, "shape");
    const char *init = att(&a, node, "init");
    uint32_t first;
    size_t rank;
    if (!name || !type || !shape || !types_parse(type)) {
        err_node(c, node, "<array> needs name, type and shape");
        goto out;
    }
    if (cexpr(c, node, "shape", shape, ',', TESS_MAX_RANK + 1, &first,
              &rank) < 0)
        goto out;
    if (rank > TESS_MAX_RANK) {
        err_attr(c, node, "shape", 0, "array '%s' has %zu dimensions: at "
                 "most %d", name, rank, TESS_MAX_RANK);
        goto out;
    }
    if (c->loop_depth == 0 &&
        check_shape_now(c, node, name, first, rank, types_parse(type)) < 0)
        goto out;
    long d = declare_data(c, node, name, WF_DATA_ARRAY);
    if (d < 0)
        goto out;
    wf_data_t *dd = &wf->data.v[d];
    dd->type = (uint8_t)types_parse(type);
    dd->rank = (uint8_t)rank;
    dd->shape = first;
    dd->zero = init && strcmp(init, "zero") == 0;
    c->written.v[d] = dd->zero;
    long st = push_stmt(c, node, WF_ST_ARRAY);
    if (st < 0)
        goto out;
    wf->stmts.v[st].a = (uint32_t)d;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_file(comp_t *c, const xmlNode *node)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *path = att(&a, node, "path");
    uint32_t t;
    if (!name || !path) {
        err_node(c, node, "<file> needs name and path");
        goto out;
    }
    if (ctpl(c, node, "path", path, &t) < 0)
        goto out;
    long d = declare_data(c, node, name, WF_DATA_FILE);
    if (d < 0)
        goto out;
    wf->data.v[d].tpl = t;
    /* files: whether a read finds the file written or on disk depends on
     * the path, checked by the dry run (wf_validate WF_CHECK_EXPAND) */
    c->written.v[d] = 1;
    long st = push_stmt(c, node, WF_ST_FILE);
    if (st < 0)
        goto out;
    wf->stmts.v[st].a = (uint32_t)d;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

/* ---------- task definitions ---------- */

static const char *pkind_name(uint8_t k)
{
    switch (k) {
    case WF_P_ARRAY: return "array";
    case WF_P_FILE: return "file";
    case WF_P_INT: return "int";
    case WF_P_FLOAT: return "float";
    case WF_P_STRING: return "string";
    }
    return "?";
}

static int compile_formal(comp_t *c, const xmlNode *node, uint32_t first)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *type = att(&a, node, "type");
    const char *dir = att(&a, node, "dir");
    const char *elem = att(&a, node, "elem");
    const char *rank = att(&a, node, "rank");
    uint8_t kind = !type ? 0 : strcmp(type, "array") == 0 ? WF_P_ARRAY
                 : strcmp(type, "file") == 0 ? WF_P_FILE
                 : strcmp(type, "int") == 0 ? WF_P_INT
                 : strcmp(type, "float") == 0 ? WF_P_FLOAT
                 : strcmp(type, "string") == 0 ? WF_P_STRING : 0;
    if (!name || !kind) {
        err_node(c, node, "<param> needs name and type");
        goto out;
    }
    for (size_t i = first; i < wf->formals.n; i++)
        if (strcmp(wf_str(wf, wf->formals.v[i].name), name) == 0) {
            err_attr(c, node, "name", 0, "parameter '%s' appears twice in "
                     "this task", name);
            goto out;
        }
    bool data = kind == WF_P_ARRAY || kind == WF_P_FILE;
    if (data && !dir) {
        err_node(c, node, "%s parameter '%s' needs dir=\"in\", \"out\" or "
                 "\"inout\"", pkind_name(kind), name);
        goto out;
    }
    if (!data && dir) {
        err_attr(c, node, "dir", 0, "dir applies to array and file "
                 "parameters only ('%s' is %s)", name, pkind_name(kind));
        goto out;
    }
    if (kind != WF_P_ARRAY && (elem || rank)) {
        err_node(c, node, "elem and rank apply to array parameters only");
        goto out;
    }
    long off = put_str(c, name);
    long i = off < 0 ? -1 : WF_PUSH(wf->formals);
    if (i < 0) {
        oom(c);
        goto out;
    }
    wf->formals.v[i] = (wf_formal_t){
        .name = (uint32_t)off, .kind = kind, .dir = (uint8_t)parse_dir(dir),
        .elem = (uint8_t)types_parse(elem), .rank = rank ? (uint8_t)atoi(rank) : 0,
        .loc = wf_xml_node_loc(c->x, node)};
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

/* Split kernel "lib:symbol" (attribute "kernel" of @p node) and register
 * its library; fills the strs offsets and the library index. */
static int parse_kernel(comp_t *c, const xmlNode *node, const char *kernel,
                        uint32_t *kname, uint32_t *lib, uint32_t *symbol)
{
    wf_t *wf = c->wf;
    const char *colon = strrchr(kernel, ':');
    if (!colon || colon == kernel || !wf_is_ident(colon + 1, strlen(colon + 1)))
        return err_attr(c, node, "kernel", 0, "kernel '%s' is not "
                        "LIBRARY:SYMBOL", kernel);
    long lname = put_strn(c, kernel, (size_t)(colon - kernel));
    long sym = put_str(c, colon + 1);
    long kn = put_str(c, kernel);
    if (lname < 0 || sym < 0 || kn < 0)
        return oom(c);
    long l = nt_find(&c->libs, wf, wf_str(wf, (uint32_t)lname),
                     (size_t)(colon - kernel));
    if (l < 0) {
        l = WF_PUSH(wf->libs);
        if (l < 0 || nt_put(&c->libs, wf, (uint32_t)lname, (uint32_t)l) < 0)
            return oom(c);
        wf->libs.v[l].name = (uint32_t)lname;
        wf->libs.v[l].loc = wf_xml_attr_loc(c->x, node, "kernel", 0);
    }
    *kname = (uint32_t)kn;
    *lib = (uint32_t)l;
    *symbol = (uint32_t)sym;
    return 0;
}

/* <implementation arch="NAME" kernel="lib:symbol"/> of task @p td. */
static int compile_impl(comp_t *c, const xmlNode *node, wf_taskdef_t *td,
                        const char *tname)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *arch = att(&a, node, "arch");
    const char *kernel = att(&a, node, "kernel");
    if (!arch || !kernel || !*arch) {
        err_node(c, node, "<implementation> needs arch and kernel");
        goto out;
    }
    if (td->nimpl >= WF_MAX_IMPLS) {
        err_node(c, node, "task '%s' has more than %d implementations", tname,
                 WF_MAX_IMPLS);
        goto out;
    }
    for (uint32_t k = td->impl; k < td->impl + td->nimpl; k++) {
        const wf_impl_t *o = &wf->impls.v[k];
        if (strcmp(wf_str(wf, o->arch), arch) == 0) {
            err_attr(c, node, "arch", 0, "task '%s' has two implementations "
                     "for architecture '%s' (the first at line %u, column "
                     "%u)", tname, arch, o->loc.line, o->loc.col);
            goto out;
        }
    }
    wf_impl_t im = {.loc = wf_xml_node_loc(c->x, node)};
    long aoff = put_str(c, arch);
    if (aoff < 0) {
        oom(c);
        goto out;
    }
    im.arch = (uint32_t)aoff;
    if (parse_kernel(c, node, kernel, &im.kernel, &im.lib, &im.symbol) < 0)
        goto out;
    long i = WF_PUSH(wf->impls);
    if (i < 0) {
        oom(c);
        goto out;
    }
    wf->impls.v[i] = im;
    td->nimpl++;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

/* Names in a cpus expression: the task's int parameters (per call), then
 * the workflow's integer names. */
typedef struct cpus_ctx {
    comp_t *c;
    uint32_t formal; /* first formal of the task */
} cpus_ctx_t;

static int resolve_cpus(void *ctx, const char *name, size_t len,
                        uint32_t *slot, uint8_t *cls, wf_exprerr_t *e)
{
    cpus_ctx_t *k = ctx;
    wf_t *wf = k->c->wf;
    for (size_t i = k->formal; i < wf->formals.n; i++) {
        wf_formal_t *f = &wf->formals.v[i];
        const char *fn = wf_str(wf, f->name);
        if (strncmp(fn, name, len) != 0 || fn[len] != '\0')
            continue;
        if (f->kind != WF_P_INT) {
            snprintf(e->msg, sizeof(e->msg), "cpus may use the task's int "
                     "parameters, and '%.*s' is a %s parameter", (int)len,
                     name, pkind_name(f->kind));
            return -1;
        }
        if (!f->slot) {
            uint32_t s = new_slot(k->c);
            if (s == UINT32_MAX) {
                errno = ENOMEM;
                snprintf(e->msg, sizeof(e->msg), "out of memory");
                return -1;
            }
            f->slot = s + 1;
        }
        *slot = f->slot - 1;
        *cls = WF_CLS_LOOP;
        return 0;
    }
    return resolve_int(k->c, name, len, slot, cls, e);
}

/* <constraints arch="NAME" cpus="EXPR" memory="EXPR"/> of task @p td;
 * memory (MiB) must be known at load time (parameters, lets, not loop
 * variables). */
static int compile_constraints(comp_t *c, const xmlNode *node,
                               wf_taskdef_t *td)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *cpus = att(&a, node, "cpus");
    const char *arch = att(&a, node, "arch");
    if (arch) {
        long off = *arch ? put_str(c, arch) : -1;
        if (!*arch) {
            err_attr(c, node, "arch", 0, "arch must name an architecture");
            goto out;
        }
        if (off < 0) {
            oom(c);
            goto out;
        }
        td->arch = (uint32_t)off + 1;
    }
    if (cpus) {
        cpus_ctx_t k = {.c = c, .formal = td->formal};
        uint32_t e;
        size_t n;
        if (cexpr_r(c, node, "cpus", cpus, 0, 1, resolve_cpus, &k, &e, &n) < 0)
            goto out;
        int64_t v;
        if (wf->exprs.v[e].cls == WF_CLS_CONST) {
            if (eval_now(c, e, &v) < 0)
                goto out;
            if (v < 1 || v > WF_MAX_CPUS) {
                err_attr(c, node, "cpus", 0, "cpus must be between 1 and %d "
                         "(it is %lld)", WF_MAX_CPUS, (long long)v);
                goto out;
            }
        }
        td->cpus = e + 1;
    }
    const char *mem = att(&a, node, "memory");
    if (mem) {
        uint32_t e;
        size_t n;
        int64_t v;
        if (cexpr(c, node, "memory", mem, 0, 1, &e, &n) < 0)
            goto out;
        if (wf->exprs.v[e].cls != WF_CLS_CONST) {
            err_attr(c, node, "memory", 0, "memory must be known when the "
                     "workflow is loaded (parameters and lets only)");
            goto out;
        }
        if (eval_now(c, e, &v) < 0)
            goto out;
        if (v < 1 || v > WF_MAX_MEMORY_MB) {
            err_attr(c, node, "memory", 0, "memory must be between 1 and %lld "
                     "MiB (it is %lld)", (long long)WF_MAX_MEMORY_MB,
                     (long long)v);
            goto out;
        }
        td->memory_mb = v;
    }
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_task(comp_t *c, const xmlNode *node)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *kernel = att(&a, node, "kernel");
    const char *prio = att(&a, node, "priority");
    if (!name || !kernel) {
        err_node(c, node, "<task> needs name and kernel");
        goto out;
    }
    long prev = nt_find(&c->tasks, wf, name, strlen(name));
    if (prev >= 0) {
        wf_loc_t l = wf->tasks.v[prev].loc;
        err_attr(c, node, "name", 0, "task '%s' is already defined at line "
                 "%u, column %u", name, l.line, l.col);
        goto out;
    }
    wf_taskdef_t td = {.flags = parse_bool(prio) ? TESS_PRIORITY : 0,
                       .formal = (uint32_t)wf->formals.n,
                       .impl = (uint32_t)wf->impls.n,
                       .loc = wf_xml_node_loc(c->x, node)};
    if (parse_kernel(c, node, kernel, &td.kernel, &td.lib, &td.symbol) < 0)
        goto out;
    long tname = put_str(c, name);
    long failure = tname < 0 ? -1 : put_str(c, "fail");
    if (failure < 0) {
        oom(c);
        goto out;
    }
    td.name = (uint32_t)tname;
    td.failure = (uint32_t)failure;
    for (xmlNode *n = first_elem(node->children); n; n = next_elem(n)) {
        if (is(n, "param")) {
            if (compile_formal(c, n, td.formal) < 0)
                goto out;
        } else if (is(n, "implementation")) {
            if (compile_impl(c, n, &td, name) < 0)
                goto out;
        } else if (is(n, "constraints")) {
            if (compile_constraints(c, n, &td) < 0)
                goto out;
        } else if (is(n, "on-failure")) {
            atts_t b = {0};
            const char *pol = att(&b, n, "policy");
            const char *ret = att(&b, n, "retries");
            long off = pol ? put_str(c, pol) : -1;
            if (off >= 0)
                td.failure = (uint32_t)off;
            td.retries = ret ? atoi(ret) : 0;
            atts_free(&b);
        }
    }
    /* an architecture constraint is exclusive: other implementations could
     * never run */
    for (uint32_t k = td.impl; td.arch && k < td.impl + td.nimpl; k++) {
        const wf_impl_t *im = &wf->impls.v[k];
        const char *ia = wf_str(wf, im->arch);
        if (strcmp(ia, wf_str(wf, td.arch - 1)) != 0) {
            errno = EINVAL;
            wf_err_at(wf, c->err, im->loc, "the implementation of '%s' for "
                      "architecture '%s' can never run: the task is "
                      "constrained to architecture '%s'", name, ia,
                      wf_str(wf, td.arch - 1));
            goto out;
        }
    }
    td.nformal = (uint32_t)(wf->formals.n - td.formal);
    long i = WF_PUSH(wf->tasks);
    if (i < 0 || nt_put(&c->tasks, wf, (uint32_t)tname, (uint32_t)i) < 0) {
        oom(c);
        goto out;
    }
    wf->tasks.v[i] = td;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

/* The implementations as the run API takes them (strs no longer moves). */
static int build_impl_view(comp_t *c)
{
    wf_t *wf = c->wf;
    if (!wf->impls.n)
        return 0;
    wf->impl_view = calloc(wf->impls.n, sizeof(*wf->impl_view));
    if (!wf->impl_view)
        return oom(c);
    for (size_t i = 0; i < wf->impls.n; i++) {
        wf->impl_view[i].arch = wf_str(wf, wf->impls.v[i].arch);
        wf->impl_view[i].kernel = wf_str(wf, wf->impls.v[i].kernel);
    }
    return 0;
}

/* ---------- calls ---------- */

static int compile_arg(comp_t *c, const xmlNode *node, const wf_taskdef_t *td,
                       uint32_t k, const char *tname)
{
    wf_t *wf = c->wf;
    const wf_formal_t *f = &wf->formals.v[td->formal + k];
    const char *fname = wf_str(wf, f->name);
    atts_t a = {0};
    int rc = -1;
    const char *name = att(&a, node, "name");
    const char *data = att(&a, node, "data");
    const char *rows = att(&a, node, "rows");
    const char *start = att(&a, node, "start");
    const char *count = att(&a, node, "count");
    const char *path = att(&a, node, "path");
    const char *value = att(&a, node, "value");
    const char *string = att(&a, node, "string");
    wf_arg_t arg = {.loc = wf_xml_node_loc(c->x, node), .dir = f->dir};
    int forms = !!data + !!path + !!value + !!string;

    if (name && strcmp(name, fname) != 0) {
        err_attr(c, node, "name", 0, "argument %u of '%s' is named '%s' but "
                 "the task's parameter %u is '%s'", k, tname, name, k, fname);
        goto out;
    }
    if (forms != 1) {
        err_node(c, node, "argument %u ('%s') of '%s' needs exactly one of "
                 "data=, path=, value=, string=", k, fname, tname);
        goto out;
    }
    if ((rows || start || count) && !data) {
        err_node(c, node, "rows, start and count apply to data= arguments");
        goto out;
    }
    if (rows && (start || count)) {
        err_node(c, node, "give either rows= or start= and count=, not both");
        goto out;
    }
    if (!!start != !!count) {
        err_node(c, node, "start= and count= go together");
        goto out;
    }
    switch (f->kind) {
    case WF_P_ARRAY:
    case WF_P_FILE: {
        bool arr = f->kind == WF_P_ARRAY;
        if (path && arr) {
            err_node(c, node, "argument %u ('%s') of '%s' is an array: give "
                     "data=\"NAME\"", k, fname, tname);
            goto out;
        }
        if (!data && !path) {
            err_node(c, node, "argument %u ('%s') of '%s' is a%s %s: give "
                     "data=\"NAME\"%s", k, fname, tname, arr ? "n" : "",
                     pkind_name(f->kind), arr ? "" : " or path=\"...\"");
            goto out;
        }
        if (path) {
            arg.kind = WF_A_PATH;
            if (ctpl(c, node, "path", path, &arg.tpl) < 0)
                goto out;
            break;
        }
        long d = lookup_data(c, node, "data", data);
        if (d < 0)
            goto out;
        const wf_data_t *dd = &wf->data.v[d];
        bool darr = dd->kind != WF_DATA_FILE;
        if (darr != arr) {
            err_attr(c, node, "data", 0, "argument %u ('%s') of '%s' is a%s "
                     "%s parameter but '%s' is a%s %s", k, fname, tname,
                     arr ? "n" : "", pkind_name(f->kind), data,
                     darr ? "n" : "", darr ? "array" : "file");
            goto out;
        }
        if (arr && f->elem && f->elem != dd->type) {
            err_attr(c, node, "data", 0, "argument %u ('%s') of '%s' takes "
                     "%s elements but '%s' has %s elements", k, fname, tname,
                     tess_type_name(f->elem), data, tess_type_name(dd->type));
            goto out;
        }
        if (arr && f->rank && f->rank != dd->rank) {
            err_attr(c, node, "data", 0, "argument %u ('%s') of '%s' takes a "
                     "rank-%u array but '%s' has rank %u", k, fname, tname,
                     f->rank, data, dd->rank);
            goto out;
        }
        if (!arr && (rows || start)) {
            err_node(c, node, "regions apply to arrays, not to file '%s'",
                     data);
            goto out;
        }
        arg.kind = WF_A_DATA;
        arg.data = (uint32_t)d;
        if (rows) {
            size_t n;
            if (cexpr(c, node, "rows", rows, ':', 2, &arg.expr, &n) < 0)
                goto out;
            if (n != 2) {
                err_attr(c, node, "rows", 0, "rows takes FIRST:END (rows "
                         "FIRST up to END-1)");
                goto out;
            }
            arg.region = WF_R_ROWS;
        } else if (start) {
            uint32_t s0, c0;
            size_t ns, nc;
            if (cexpr(c, node, "start", start, ',', TESS_MAX_RANK, &s0, &ns) < 0 ||
                cexpr(c, node, "count", count, ',', TESS_MAX_RANK, &c0, &nc) < 0)
                goto out;
            if (ns != dd->rank || nc != dd->rank) {
                err_attr(c, node, ns != dd->rank ? "start" : "count", 0,
                         "'%s' has rank %u: start and count need %u entries "
                         "each (%zu and %zu given)", data, dd->rank, dd->rank,
                         ns, nc);
                goto out;
            }
            if (c0 != s0 + ns) {
                err_node(c, node, "internal error: region not contiguous");
                goto out;
            }
            arg.region = WF_R_SLAB;
            arg.rank = dd->rank;
            arg.expr = s0;
        }
        /* the dependence the call creates: read before any write? */
        if ((f->dir == TESS_IN || f->dir == TESS_INOUT) && !c->written.v[d]) {
            err_attr(c, node, "data", 0, "'%s' reads array '%s' before any "
                     "task writes it (declare it with init=\"zero\" if "
                     "zeros are meant)", tname, data);
            goto out;
        }
        if (f->dir == TESS_OUT || f->dir == TESS_INOUT)
            c->written.v[d] = 1;
        break;
    }
    case WF_P_INT:
        if (!value) {
            err_node(c, node, "argument %u ('%s') of '%s' is an int: give "
                     "value=\"EXPRESSION\"", k, fname, tname);
            goto out;
        }
        arg.kind = WF_A_INT;
        if (cexpr1(c, node, "value", value, &arg.expr) < 0)
            goto out;
        break;
    case WF_P_FLOAT: {
        if (!value) {
            err_node(c, node, "argument %u ('%s') of '%s' is a float: give "
                     "value=\"NUMBER\"", k, fname, tname);
            goto out;
        }
        const char *v = value;
        while (*v == ' ')
            v++;
        long s = wf_is_ident(v, strlen(v)) ? nt_find(&c->vals, wf, v,
                                                     strlen(v)) : -1;
        if (s >= 0 && wf->syms.v[s].kind == WF_SYM_FLOAT) {
            arg.kind = WF_A_FLOAT;
            arg.d = wf->syms.v[s].d;
        } else if (parse_float(value, &arg.d) && strpbrk(value, ".eEnN")) {
            arg.kind = WF_A_FLOAT;
        } else {
            arg.kind = WF_A_FLOATX;
            if (cexpr1(c, node, "value", value, &arg.expr) < 0)
                goto out;
        }
        break;
    }
    case WF_P_STRING:
        if (!string) {
            err_node(c, node, "argument %u ('%s') of '%s' is a string: give "
                     "string=\"TEXT\"", k, fname, tname);
            goto out;
        }
        arg.kind = WF_A_STRING;
        if (ctpl(c, node, "string", string, &arg.tpl) < 0)
            goto out;
        break;
    }
    long i = WF_PUSH(wf->args);
    if (i < 0) {
        oom(c);
        goto out;
    }
    wf->args.v[i] = arg;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_call(comp_t *c, const xmlNode *node)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *task = att(&a, node, "task");
    if (!task) {
        err_node(c, node, "<call> needs task");
        goto out;
    }
    long t = nt_find(&c->tasks, wf, task, strlen(task));
    if (t < 0) {
        err_attr(c, node, "task", 0, "undefined task '%s'", task);
        goto out;
    }
    wf_taskdef_t td = wf->tasks.v[t];
    uint32_t nargs = 0;
    for (xmlNode *n = first_elem(node->children); n; n = next_elem(n))
        nargs++;
    if (nargs != td.nformal) {
        char list[256] = "";
        size_t o = 0;
        for (uint32_t k = 0; k < td.nformal && o < sizeof(list); k++)
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
                                  k ? ", " : "",
                                  wf_str(wf, wf->formals.v[td.formal + k].name));
        err_node(c, node, "call of '%s' has %u argument%s, the task takes %u "
                 "(%s)", task, nargs, nargs == 1 ? "" : "s", td.nformal, list);
        goto out;
    }
    uint32_t first = (uint32_t)wf->args.n, k = 0;
    for (xmlNode *n = first_elem(node->children); n; n = next_elem(n), k++)
        if (compile_arg(c, n, &td, k, task) < 0)
            goto out;
    long st = push_stmt(c, node, WF_ST_CALL);
    if (st < 0)
        goto out;
    wf->stmts.v[st].a = (uint32_t)t;
    wf->stmts.v[st].b = first;
    wf->stmts.v[st].c = nargs;
    wf->stmts.v[st].flags = td.flags;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_block(comp_t *c, xmlNode *first);

static void pop_scope(comp_t *c, size_t sym_mark, size_t data_mark)
{
    wf_t *wf = c->wf;
    while (c->sym_scope.n > sym_mark)
        nt_del(&c->vals, wf, wf->syms.v[c->sym_scope.v[--c->sym_scope.n]].name);
    while (c->data_scope.n > data_mark)
        nt_del(&c->datas, wf,
               wf->data.v[c->data_scope.v[--c->data_scope.n]].name);
}

static int compile_foreach(comp_t *c, xmlNode *node)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    const char *var = att(&a, node, "var");
    const char *from = att(&a, node, "from");
    const char *to = att(&a, node, "to");
    const char *step = att(&a, node, "step");
    uint32_t ef, et, es;
    if (!var || !from || !to) {
        err_node(c, node, "<foreach> needs var, from and to");
        goto out;
    }
    if (c->loop_depth >= WF_MAX_LOOP_DEPTH) {
        err_node(c, node, "loops nested deeper than %d", WF_MAX_LOOP_DEPTH);
        goto out;
    }
    if (cexpr1(c, node, "from", from, &ef) < 0 ||
        cexpr1(c, node, "to", to, &et) < 0 ||
        cexpr1(c, node, "step", step ? step : "1", &es) < 0)
        goto out;
    if (!step) /* the default step has no text of its own */
        wf->exprs.v[es].loc = wf_xml_node_loc(c->x, node);
    if (c->loop_depth == 0) {
        int64_t v;
        if ((wf->exprs.v[ef].cls == WF_CLS_CONST && eval_now(c, ef, &v) < 0) ||
            (wf->exprs.v[et].cls == WF_CLS_CONST && eval_now(c, et, &v) < 0))
            goto out;
    }
    if (wf->exprs.v[es].cls == WF_CLS_CONST || c->loop_depth == 0) {
        int64_t v = 1;
        if (wf->exprs.v[es].cls == WF_CLS_CONST && eval_now(c, es, &v) < 0)
            goto out;
        if (v == 0) {
            err_attr(c, node, "step", 0, "the step of a loop must not be 0");
            goto out;
        }
    }
    if (ef + 1 != et || et + 1 != es) {
        err_node(c, node, "internal error: bounds not contiguous");
        goto out;
    }
    long st = push_stmt(c, node, WF_ST_FOREACH);
    if (st < 0)
        goto out;
    size_t sym_mark = c->sym_scope.n, data_mark = c->data_scope.n;
    long s = declare_sym(c, node, "var", var, WF_SYM_LOOP, WF_CLS_LOOP);
    if (s < 0)
        goto out;
    c->loop_depth++;
    int r = compile_block(c, first_elem(node->children));
    c->loop_depth--;
    if (r < 0)
        goto out;
    /* arrays declared directly in this body: deleted after each iteration */
    uint32_t lfirst = (uint32_t)wf->locals.n, nloc = 0;
    for (size_t i = data_mark; i < c->data_scope.n; i++) {
        uint32_t d = c->data_scope.v[i];
        if (wf->data.v[d].kind != WF_DATA_ARRAY)
            continue;
        long k = WF_PUSH(wf->locals);
        if (k < 0) {
            oom(c);
            goto out;
        }
        wf->locals.v[k] = d;
        nloc++;
    }
    pop_scope(c, sym_mark, data_mark);
    wf_stmt_t *sp = &wf->stmts.v[st];
    sp->a = (uint32_t)s;
    sp->b = ef;
    sp->c = lfirst;
    sp->d = nloc;
    sp->end = (uint32_t)wf->stmts.n;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_sync(comp_t *c, const xmlNode *node, uint8_t kind)
{
    wf_t *wf = c->wf;
    atts_t a = {0};
    int rc = -1;
    long d = 0;
    if (kind != WF_ST_BARRIER) {
        const char *data = att(&a, node, "data");
        if (!data) {
            err_node(c, node, "<%s> needs data", node->name);
            goto out;
        }
        if ((d = lookup_data(c, node, "data", data)) < 0)
            goto out;
        if (kind == WF_ST_WAIT && !c->written.v[d]) {
            err_attr(c, node, "data", 0, "waits on '%s' but no task writes it "
                     "before", data);
            goto out;
        }
        if (kind == WF_ST_DELETE) {
            if (c->data_depth.v[d] < (uint32_t)c->loop_depth) {
                err_attr(c, node, "data", 0, "deletes '%s', declared outside "
                         "this loop: the next iteration would use it deleted",
                         data);
                goto out;
            }
            c->deleted.v[d] = wf_xml_node_loc(c->x, node);
        }
    }
    long st = push_stmt(c, node, kind);
    if (st < 0)
        goto out;
    wf->stmts.v[st].a = (uint32_t)d;
    rc = 0;
out:
    atts_free(&a);
    return rc;
}

static int compile_block(comp_t *c, xmlNode *first)
{
    for (xmlNode *n = first; n; n = next_elem(n)) {
        int r;
        if (++c->nelem > WF_MAX_STATEMENTS)
            return err_node(c, n, "too many elements (the limit is %d)",
                            WF_MAX_STATEMENTS);
        if (is(n, "let"))
            r = compile_let(c, n);
        else if (is(n, "input"))
            r = compile_input(c, n);
        else if (is(n, "array"))
            r = compile_array(c, n);
        else if (is(n, "file"))
            r = compile_file(c, n);
        else if (is(n, "call"))
            r = compile_call(c, n);
        else if (is(n, "foreach"))
            r = compile_foreach(c, n);
        else if (is(n, "barrier"))
            r = compile_sync(c, n, WF_ST_BARRIER);
        else if (is(n, "wait"))
            r = compile_sync(c, n, WF_ST_WAIT);
        else if (is(n, "delete"))
            r = compile_sync(c, n, WF_ST_DELETE);
        else
            r = err_node(c, n, "unexpected element <%s>", n->name);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int compile_results(comp_t *c, xmlNode *node)
{
    wf_t *wf = c->wf;
    for (xmlNode *n = first_elem(node->children); n; n = next_elem(n)) {
        atts_t a = {0};
        const char *data = att(&a, n, "data");
        const char *ds = att(&a, n, "dataset");
        int rc = -1;
        long d = data ? lookup_data(c, n, "data", data) : -1;
        if (d < 0)
            goto next;
        if (wf->data.v[d].kind == WF_DATA_FILE) {
            err_attr(c, n, "data", 0, "result '%s' is a file: results are "
                     "arrays", data);
            goto next;
        }
        if (!c->written.v[d]) {
            err_attr(c, n, "data", 0, "result '%s' is never written by any "
                     "task", data);
            goto next;
        }
        const char *dsn = ds ? ds : data;
        for (size_t i = 0; i < wf->results.n; i++)
            if (strcmp(wf_str(wf, wf->results.v[i].dataset), dsn) == 0) {
                err_node(c, n, "two results named '%s'", dsn);
                goto next;
            }
        long off = put_str(c, dsn);
        long i = off < 0 ? -1 : WF_PUSH(wf->results);
        if (i < 0) {
            oom(c);
            goto next;
        }
        wf->results.v[i] = (wf_result_t){.data = (uint32_t)d,
                                         .dataset = (uint32_t)off,
                                         .loc = wf_xml_node_loc(c->x, n)};
        rc = 0;
    next:
        atts_free(&a);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int wf_compile(wf_t *wf, const wf_xml_t *x,
               const wf_param_override_t *overrides, size_t noverrides,
               tess_error_t *err)
{
    comp_t c = {.wf = wf, .x = x, .err = err};
    xmlNode *root = wf_xml_root(x);
    xmlNode *results = NULL, *body = NULL;
    bool *used = calloc(noverrides + 1, sizeof(bool));
    int rc = -1;

    if (!used) {
        oom(&c);
        goto out;
    }
    xmlChar *name = xmlGetNoNsProp(root, BAD_CAST "name");
    wf->name = strdup(name ? (const char *)name : "");
    xmlFree(name);
    if (!wf->name) {
        oom(&c);
        goto out;
    }
    for (xmlNode *n = first_elem(root->children); n; n = next_elem(n)) {
        if (is(n, "param")) {
            if (compile_param(&c, n, overrides, noverrides, used) < 0)
                goto out;
        } else if (is(n, "data")) {
            for (size_t i = 0; i < noverrides; i++)
                if (!used[i])
                    goto unknown;
            if (compile_block(&c, first_elem(n->children)) < 0)
                goto out;
        } else if (is(n, "task")) {
            if (compile_task(&c, n) < 0)
                goto out;
        } else if (is(n, "results")) {
            results = n;
        } else if (is(n, "body")) {
            body = n;
        }
    }
    for (size_t i = 0; i < noverrides; i++)
        if (!used[i])
            goto unknown;
    if (!body) {
        err_node(&c, root, "missing <body>");
        goto out;
    }
    if (compile_block(&c, first_elem(body->children)) < 0)
        goto out;
    if (results && compile_results(&c, results) < 0)
        goto out;
    if (build_impl_view(&c) < 0)
        goto out;
    rc = 0;
    goto out;
unknown:
    for (size_t i = 0; i < noverrides; i++)
        if (!used[i]) {
            errno = EINVAL;
            tess_errprintf(err, "--param %s: workflow '%s' has no parameter "
                           "'%s'", overrides[i].name, wf->name,
                           overrides[i].name);
            break;
        }
out:
    free(used);
    nt_free(&c.vals);
    nt_free(&c.datas);
    nt_free(&c.tasks);
    nt_free(&c.libs);
    free(c.sym_scope.v);
    free(c.data_scope.v);
    free(c.written.v);
    free(c.deleted.v);
    free(c.data_depth.v);
    if (rc < 0 && errno != ENOMEM)
        errno = EINVAL;
    return rc;
}
