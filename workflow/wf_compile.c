/*
 * wf_compile.c - compile a validated workflow document (see wf_compile.h
 * for the files of the compiler): the compiler's state and messages, the
 * walk over the document, parameters, declarations, loops, syncs and
 * results.
 *
 * Attribute values are fetched into the state and released by the walk
 * after each element, so the compile functions return at their first
 * error without cleaning up.
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

#include "base/types.h"
#include "workflow/wf_compile.h"

/* ---------- messages, strings, attributes, the walk ---------- */

int wf_compile_oom(wf_comp_t *c)
{
    errno = ENOMEM;
    return tess_errprintf(c->err, "%s: out of memory", c->wf->path);
}

/* The message at @p loc; errno EINVAL. */
static int verr_at(wf_comp_t *c, wf_loc_t loc, const char *fmt, va_list ap)
{
    char msg[400];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    errno = EINVAL;
    return wf_err_at(c->wf, c->err, loc, "%s", msg);
}

int wf_compile_err_node(wf_comp_t *c, const xmlNode *node, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verr_at(c, wf_xml_node_loc(c->x, node), fmt, ap);
    va_end(ap);
    return rc;
}

int wf_compile_err_attr(wf_comp_t *c, const xmlNode *node, const char *attr,
                        size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verr_at(c, wf_xml_attr_loc(c->x, node, attr, pos), fmt, ap);
    va_end(ap);
    return rc;
}

long wf_compile_strn(wf_comp_t *c, const char *s, size_t len)
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

long wf_compile_str(wf_comp_t *c, const char *s)
{
    return wf_compile_strn(c, s, strlen(s));
}

const char *wf_compile_att(wf_comp_t *c, const xmlNode *node,
                           const char *name)
{
    xmlChar *s = xmlGetNoNsProp(node, BAD_CAST name);
    if (!s)
        return NULL;
    if (WF_PUSH(c->atts) < 0) {
        xmlFree(s);
        c->atts_oom = true;
        return NULL;
    }
    c->atts.v[c->atts.n - 1] = s;
    return (const char *)s;
}

int wf_compile_need(wf_comp_t *c, const xmlNode *node, ...)
{
    const char *names[8];
    int n = 0, missing = 0;
    va_list ap;
    va_start(ap, node);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char **value = va_arg(ap, const char **);
        *value = wf_compile_att(c, node, name);
        missing |= !*value;
        if (n < (int)(sizeof(names) / sizeof(names[0])))
            names[n++] = name;
    }
    va_end(ap);
    if (!missing)
        return 0;
    char list[256];
    size_t o = 0;
    for (int i = 0; i < n && o < sizeof(list); i++)
        o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
                              i == 0 ? "" : i == n - 1 ? " and " : ", ",
                              names[i]);
    return wf_compile_err_node(c, node, "<%s> needs %s", node->name, list);
}

static void atts_release(wf_comp_t *c, size_t mark)
{
    while (c->atts.n > mark)
        xmlFree(c->atts.v[--c->atts.n]);
}

bool wf_compile_is(const xmlNode *n, const char *name)
{
    return strcmp((const char *)n->name, name) == 0;
}

xmlNode *wf_compile_first(xmlNode *n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

xmlNode *wf_compile_next(xmlNode *n)
{
    return wf_compile_first(n->next);
}

int wf_compile_elems(wf_comp_t *c, xmlNode *parent, wf_compile_elem_f fn,
                     void *arg)
{
    for (xmlNode *n = wf_compile_first(parent->children); n;
         n = wf_compile_next(n)) {
        size_t mark = c->atts.n;
        int rc = fn(c, n, arg);
        atts_release(c, mark);
        if (c->atts_oom) /* an attribute read as missing: not the reason */
            return wf_compile_oom(c);
        if (rc < 0)
            return -1;
    }
    return 0;
}

long wf_compile_stmt(wf_comp_t *c, const xmlNode *node, uint8_t kind,
                     uint32_t a)
{
    wf_t *wf = c->wf;
    if (wf->stmts.n >= WF_MAX_STATEMENTS)
        return wf_compile_err_node(c, node, "too many statements (the limit "
                                   "is %d)", WF_MAX_STATEMENTS);
    long i = WF_PUSH(wf->stmts);
    if (i < 0)
        return wf_compile_oom(c);
    wf->stmts.v[i].kind = kind;
    wf->stmts.v[i].loc = wf_xml_node_loc(c->x, node);
    wf->stmts.v[i].a = a;
    return i;
}

/* ---------- small parsers ---------- */

int wf_compile_dir(const char *s)
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

bool wf_compile_bool(const char *s)
{
    return s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

bool wf_compile_float(const char *s, double *out)
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

/* The --param overrides, and which ones a <param> used. */
typedef struct overrides {
    const wf_param_override_t *v;
    size_t n;
    bool *used;
} overrides_t;

static const wf_param_override_t *find_override(overrides_t *ov,
                                                const char *name)
{
    const wf_param_override_t *hit = NULL;
    for (size_t i = 0; i < ov->n; i++)
        if (ov->v[i].name && strcmp(ov->v[i].name, name) == 0) {
            hit = &ov->v[i]; /* the last one wins */
            ov->used[i] = true;
        }
    return hit;
}

/* A bad value of parameter @p name: "--param NAME: MESSAGE" when it comes
 * from an override, else at character @p pos of its default. */
static int bad_value(wf_comp_t *c, const xmlNode *node, const char *name,
                     bool override, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int bad_value(wf_comp_t *c, const xmlNode *node, const char *name,
                     bool override, size_t pos, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!override)
        return wf_compile_err_attr(c, node, "default", pos, "%s", msg);
    errno = EINVAL;
    return tess_errprintf(c->err, "--param %s: %s", name, msg);
}

/* The value of a string or path parameter (caller frees): an override as
 * given, or the default template expanded; paths made absolute (overrides
 * against the current directory, defaults against the workflow's). */
static int text_value(wf_comp_t *c, const xmlNode *node, const char *name,
                      uint8_t kind, const char *ov, const char *def,
                      char **out)
{
    wf_t *wf = c->wf;
    char tmp[WF_MAX_PATH], cwd[PATH_MAX];
    uint32_t t;
    if (ov && strlen(ov) >= WF_MAX_PATH) {
        errno = EINVAL;
        return tess_errprintf(c->err, "--param %s: value longer than %d "
                              "bytes", name, WF_MAX_PATH - 1);
    }
    if (ov)
        snprintf(tmp, sizeof(tmp), "%s", ov);
    else if (wf_cexpr_tpl(c, node, "default", def, &t) < 0 ||
             wf_tpl_eval(wf, &wf->tpls.v[t], wf->env, tmp, sizeof(tmp),
                         c->err) < 0)
        return -1;
    if (kind == WF_SYM_PATH && !tmp[0])
        return bad_value(c, node, name, ov, 0, "empty path");
    if (kind == WF_SYM_PATH)
        *out = wf_path_join(ov ? (getcwd(cwd, sizeof(cwd)) ? cwd : NULL)
                               : wf->dir, tmp);
    else
        *out = strdup(tmp);
    return *out ? 0 : wf_compile_oom(c);
}

static uint8_t parse_param_type(const char *type)
{
    static const char *const names[] = {
        [WF_SYM_INT] = "int", [WF_SYM_FLOAT] = "float",
        [WF_SYM_STRING] = "string", [WF_SYM_PATH] = "path",
    };
    for (uint8_t k = WF_SYM_INT; type && k <= WF_SYM_PATH; k++)
        if (strcmp(type, names[k]) == 0)
            return k;
    return 0;
}

static const char *param_type_name(uint8_t kind)
{
    return kind == WF_SYM_INT ? "int" : kind == WF_SYM_FLOAT ? "float"
         : kind == WF_SYM_STRING ? "string" : "path";
}

/* min= and max= of an int or float parameter: the value must lie in
 * [min, max] (each optional). Bounds are literal numbers. */
static int check_range(wf_comp_t *c, xmlNode *node, const char *name,
                       uint8_t kind, bool override, int64_t iv, double dv)
{
    static const char *const attrs[2] = {"min", "max"};
    for (int k = 0; k < 2; k++) {
        const char *b = wf_compile_att(c, node, attrs[k]);
        if (!b)
            continue;
        if (kind != WF_SYM_INT && kind != WF_SYM_FLOAT)
            return wf_compile_err_attr(c, node, attrs[k], 0, "%s= applies "
                                       "to int and float parameters only",
                                       attrs[k]);
        double bound = 0;
        char *end = NULL;
        errno = 0;
        long long ib = kind == WF_SYM_INT ? strtoll(b, &end, 10) : 0;
        if (kind == WF_SYM_INT ? (errno || end == b || *end)
                               : !wf_compile_float(b, &bound))
            return wf_compile_err_attr(c, node, attrs[k], 0, "'%s' is not "
                                       "%s", b, kind == WF_SYM_INT
                                       ? "an integer"
                                       : "a finite floating-point number");
        bool out = kind == WF_SYM_INT ? (k == 0 ? iv < ib : iv > ib)
                                      : (k == 0 ? dv < bound : dv > bound);
        if (!out)
            continue;
        if (kind == WF_SYM_INT)
            return bad_value(c, node, name, override, 0, "%lld is %s its "
                             "%s %s", (long long)iv, k ? "above" : "below",
                             k ? "maximum" : "minimum", b);
        return bad_value(c, node, name, override, 0, "%.17g is %s its %s %s",
                         dv, k ? "above" : "below", k ? "maximum" : "minimum",
                         b);
    }
    return 0;
}

/* <param name= type= default= min= max=>: its value (the override, else
 * the default) is known now. */
static int compile_param(wf_comp_t *c, xmlNode *node, void *arg)
{
    wf_t *wf = c->wf;
    const char *name = wf_compile_att(c, node, "name");
    const char *def = wf_compile_att(c, node, "default");
    uint8_t kind = parse_param_type(wf_compile_att(c, node, "type"));
    const wf_param_override_t *o = find_override(arg, name ? name : "");
    const char *value = o ? o->value : def;
    char num[64], *text = NULL;
    int64_t iv = 0;
    double dv = 0;

    if (!name || !kind)
        return wf_compile_err_node(c, node, "parameter without a name or a "
                                   "known type");
    if (!value)
        return wf_compile_err_attr(c, node, "name", 0, "parameter '%s' has "
                                   "no default: give --param %s=VALUE", name,
                                   name);
    if (kind == WF_SYM_INT) {
        wf_expr_t x;
        wf_exprerr_t e;
        size_t n;
        if (wf_expr_compile(value, strlen(value), 0, 1,
                            wf_scope_resolve_int, c, &wf->code, &x, &n,
                            &e) < 0 ||
            wf_expr_eval(wf->code.v, &x, wf->env, &iv, &e) < 0) {
            if (errno == ENOMEM)
                return wf_compile_oom(c);
            return o ? bad_value(c, node, name, true, 0, "'%s' is not a "
                                 "valid integer: %s", value, e.msg)
                     : bad_value(c, node, name, false, e.pos, "%s", e.msg);
        }
        snprintf(num, sizeof(num), "%lld", (long long)iv);
    } else if (kind == WF_SYM_FLOAT) {
        if (!wf_compile_float(value, &dv))
            return bad_value(c, node, name, o, 0, "'%s' is not a finite "
                             "floating-point number", value);
        snprintf(num, sizeof(num), "%.17g", dv);
    } else if (text_value(c, node, name, kind, o ? o->value : NULL, def,
                          &text) < 0) {
        return -1;
    }
    if (check_range(c, node, name, kind, o != NULL, iv, dv) < 0) {
        free(text);
        return -1;
    }
    long s = wf_scope_declare_sym(c, node, "name", name, kind, WF_CLS_CONST);
    long pi = s < 0 ? -1 : WF_PUSH(wf->params);
    long t = pi < 0 ? -1 : wf_compile_str(c, text ? text : num);
    free(text);
    if (s < 0)
        return -1;
    if (pi < 0 || t < 0)
        return wf_compile_oom(c);
    wf_sym_t *sym = &wf->syms.v[s];
    if (kind == WF_SYM_INT)
        wf->env[sym->slot] = iv;
    else if (kind == WF_SYM_FLOAT)
        sym->d = dv;
    else
        sym->str = (uint32_t)t;
    wf->params.v[pi] = (wf_param_t){.sym = (uint32_t)s,
                                    .type = param_type_name(kind),
                                    .text = (uint32_t)t};
    return 0;
}

/* ---------- declarations ---------- */

static int compile_let(wf_comp_t *c, xmlNode *node)
{
    wf_t *wf = c->wf;
    const char *name, *value;
    uint32_t e;
    if (wf_compile_need(c, node, "name", &name, "value", &value, NULL) < 0)
        return -1;
    if (wf_cexpr_one(c, node, "value", value, &e) < 0)
        return -1;
    uint8_t cls = wf->exprs.v[e].cls;
    long s = wf_scope_declare_sym(c, node, "name", name, WF_SYM_LET, cls);
    long st = s < 0 ? -1 : wf_compile_stmt(c, node, WF_ST_LET, (uint32_t)s);
    if (st < 0)
        return -1;
    wf->stmts.v[st].b = e;
    /* outside loops, values known now are checked now */
    if (c->loop_depth == 0 && cls == WF_CLS_CONST)
        return wf_cexpr_eval(c, e, &wf->env[wf->syms.v[s].slot]);
    return 0;
}

/* The dims of an input: whitespace-separated names, one per dimension,
 * declared as consecutive symbols from *first; their number. -1 with the
 * message. */
static int input_dims(wf_comp_t *c, const xmlNode *node, const char *dims,
                      uint32_t *first)
{
    static const char ws[] = " \t\n\r";
    int rank = 0;
    *first = (uint32_t)c->wf->syms.n;
    for (const char *p = dims + strspn(dims, ws); *p; p += strspn(p, ws)) {
        size_t n = strcspn(p, ws);
        char nm[WF_MAX_NAME + 1];
        if (rank == TESS_MAX_RANK)
            return wf_compile_err_attr(c, node, "dims", (size_t)(p - dims),
                                       "more than %d dimensions",
                                       TESS_MAX_RANK);
        if (n > WF_MAX_NAME)
            return wf_compile_err_attr(c, node, "dims", (size_t)(p - dims),
                                       "name too long");
        memcpy(nm, p, n);
        nm[n] = '\0';
        long s = wf_scope_declare_sym(c, node, "dims", nm, WF_SYM_DIM,
                                      WF_CLS_INPUT);
        if (s < 0)
            return -1;
        if ((uint32_t)s != *first + (uint32_t)rank) /* contiguous */
            return wf_compile_err_node(c, node, "internal error: dims not "
                                       "contiguous");
        rank++;
        p += n;
    }
    if (rank == 0)
        return wf_compile_err_attr(c, node, "dims", 0, "an input needs at "
                                   "least one dimension");
    return rank;
}

static int compile_input(wf_comp_t *c, xmlNode *node)
{
    wf_t *wf = c->wf;
    const char *name, *file, *dataset, *type, *dims;
    uint32_t t, first;
    if (wf_compile_need(c, node, "name", &name, "file", &file, "dataset",
                        &dataset, "type", &type, "dims", &dims, NULL) < 0)
        return -1;
    if (wf_cexpr_tpl(c, node, "file", file, &t) < 0)
        return -1;
    if (wf->tpls.v[t].cls != WF_CLS_CONST)
        return wf_compile_err_attr(c, node, "file", 0, "the file of an input "
                                   "may only use parameters");
    long ds = wf_compile_str(c, dataset);
    if (ds < 0)
        return wf_compile_oom(c);
    long d = wf_scope_declare_data(c, node, name, WF_DATA_INPUT);
    int rank = d < 0 ? -1 : input_dims(c, node, dims, &first);
    if (rank < 0)
        return -1;
    wf_data_t *dd = &wf->data.v[d];
    dd->type = (uint8_t)types_parse(type);
    dd->rank = (uint8_t)rank;
    dd->tpl = t;
    dd->dataset = (uint32_t)ds;
    dd->dim_sym = first;
    c->written.v[d] = 1;
    return wf_compile_stmt(c, node, WF_ST_INPUT, (uint32_t)d) < 0 ? -1 : 0;
}

/* Shape expressions first..first+rank of array @p name, if known now:
 * extents >= 1, size within 64 bits. */
static int check_shape_now(wf_comp_t *c, const xmlNode *node, const char *name,
                           uint32_t first, size_t rank, tess_type_t type)
{
    wf_t *wf = c->wf;
    int64_t bytes = (int64_t)tess_type_size(type);
    for (size_t k = 0; k < rank; k++)
        if (wf->exprs.v[first + k].cls != WF_CLS_CONST)
            return 0;
    for (size_t k = 0; k < rank; k++) {
        int64_t v;
        if (wf_cexpr_eval(c, first + (uint32_t)k, &v) < 0)
            return -1;
        if (v < 1)
            return wf_compile_err_attr(c, node, "shape", 0, "dimension %zu of "
                                       "'%s' is %lld: extents must be >= 1",
                                       k, name, (long long)v);
        if (__builtin_mul_overflow(bytes, v, &bytes))
            return wf_compile_err_attr(c, node, "shape", 0, "array '%s' is too "
                                       "large (its size overflows 64 bits)",
                                       name);
    }
    return 0;
}

static int compile_array(wf_comp_t *c, xmlNode *node)
{
    wf_t *wf = c->wf;
    const char *name, *tname, *shape;
    const char *init = wf_compile_att(c, node, "init");
    uint32_t first;
    size_t rank;
    if (wf_compile_need(c, node, "name", &name, "type", &tname, "shape",
                        &shape, NULL) < 0)
        return -1;
    tess_type_t type = types_parse(tname);
    if (!type)
        return wf_compile_err_attr(c, node, "type", 0, "unknown element type "
                                   "'%s'", tname);
    if (wf_cexpr_list(c, node, "shape", shape, ',', TESS_MAX_RANK + 1, NULL,
                      NULL, &first, &rank) < 0)
        return -1;
    if (rank > TESS_MAX_RANK)
        return wf_compile_err_attr(c, node, "shape", 0, "array '%s' has %zu "
                                   "dimensions: at most %d", name, rank,
                                   TESS_MAX_RANK);
    if (c->loop_depth == 0 &&
        check_shape_now(c, node, name, first, rank, type) < 0)
        return -1;
    long d = wf_scope_declare_data(c, node, name, WF_DATA_ARRAY);
    if (d < 0)
        return -1;
    wf_data_t *dd = &wf->data.v[d];
    dd->type = (uint8_t)type;
    dd->rank = (uint8_t)rank;
    dd->shape = first;
    dd->zero = init && strcmp(init, "zero") == 0;
    c->written.v[d] = dd->zero;
    return wf_compile_stmt(c, node, WF_ST_ARRAY, (uint32_t)d) < 0 ? -1 : 0;
}

static int compile_file(wf_comp_t *c, xmlNode *node)
{
    const char *name, *path;
    uint32_t t;
    if (wf_compile_need(c, node, "name", &name, "path", &path, NULL) < 0)
        return -1;
    if (wf_cexpr_tpl(c, node, "path", path, &t) < 0)
        return -1;
    long d = wf_scope_declare_data(c, node, name, WF_DATA_FILE);
    if (d < 0)
        return -1;
    c->wf->data.v[d].tpl = t;
    /* files: whether a read finds the file written or on disk depends on
     * the path, checked by the dry run (wf_validate WF_CHECK_EXPAND) */
    c->written.v[d] = 1;
    return wf_compile_stmt(c, node, WF_ST_FILE, (uint32_t)d) < 0 ? -1 : 0;
}

/* The name in the store that template @p t (of attribute @p an) makes:
 * templates over parameters only, checked now. -1 with the message. */
static int object_name(wf_comp_t *c, const xmlNode *node, const char *an,
                       const char *text, uint32_t *t)
{
    char name[WF_MAX_PATH];
    tess_error_t e;
    if (wf_cexpr_tpl(c, node, an, text, t) < 0)
        return -1;
    if (c->wf->tpls.v[*t].cls != WF_CLS_CONST)
        return wf_compile_err_attr(c, node, an, 0, "the name of an object "
                                   "may only use parameters");
    if (wf_tpl_eval(c->wf, &c->wf->tpls.v[*t], c->wf->env, name,
                    sizeof(name), c->err) < 0)
        return -1;
    if (tess_store_check_name(name, &e) < 0)
        return wf_compile_err_attr(c, node, an, 0, "%s", e.text);
    return 0;
}

/* <persistent name= object= open= type= (shape= | dims=) blocks= wait=>:
 * an object of the store as an array of its whole shape. */
static int compile_persistent(wf_comp_t *c, xmlNode *node)
{
    wf_t *wf = c->wf;
    const char *name, *object, *open, *tname;
    const char *shape = wf_compile_att(c, node, "shape");
    const char *dims = wf_compile_att(c, node, "dims");
    const char *blocks = wf_compile_att(c, node, "blocks");
    const char *wait = wf_compile_att(c, node, "wait");
    uint32_t t, first = 0, nb = 0;
    size_t rank = 0;
    double w = 0;
    if (wf_compile_need(c, node, "name", &name, "object", &object, "open",
                        &open, "type", &tname, NULL) < 0)
        return -1;
    bool create = strcmp(open, "create") == 0;
    tess_type_t type = types_parse(tname);
    if (!type)
        return wf_compile_err_attr(c, node, "type", 0, "unknown element type "
                                   "'%s'", tname);
    if (object_name(c, node, "object", object, &t) < 0)
        return -1;
    if (!!shape == !!dims)
        return wf_compile_err_node(c, node, "persistent object '%s' needs "
                                   "shape= (its whole shape) or, to read it, "
                                   "dims= (names bound to its shape), not "
                                   "both", name);
    if (dims && create)
        return wf_compile_err_attr(c, node, "dims", 0, "an object the run "
                                   "creates needs its shape: shape=");
    if (blocks && !create)
        return wf_compile_err_attr(c, node, "blocks", 0, "blocks= announces "
                                   "the blocks of an object the run "
                                   "creates");
    if (wait && create)
        return wf_compile_err_attr(c, node, "wait", 0, "wait= applies to "
                                   "objects read");
    if (wait && (!wf_compile_float(wait, &w) || w < 0 || w > 1e7))
        return wf_compile_err_attr(c, node, "wait", 0, "'%s' is not a number "
                                   "of seconds (0 to 10^7)", wait);
    if (blocks) {
        if (wf_cexpr_one(c, node, "blocks", blocks, &nb) < 0)
            return -1;
        if (wf->exprs.v[nb].cls == WF_CLS_LOOP)
            return wf_compile_err_attr(c, node, "blocks", 0, "blocks= may "
                                       "only use parameters, lets and "
                                       "input dims");
        nb++;
    }
    if (shape) {
        if (wf_cexpr_list(c, node, "shape", shape, ',', TESS_MAX_RANK + 1,
                          NULL, NULL, &first, &rank) < 0)
            return -1;
        if (rank > TESS_MAX_RANK)
            return wf_compile_err_attr(c, node, "shape", 0, "object '%s' has "
                                       "%zu dimensions: at most %d", name,
                                       rank, TESS_MAX_RANK);
        if (check_shape_now(c, node, name, first, rank, type) < 0)
            return -1;
    }
    long d = wf_scope_declare_data(c, node, name, WF_DATA_OBJECT);
    if (d < 0)
        return -1;
    if (dims) {
        int r = input_dims(c, node, dims, &first);
        if (r < 0)
            return -1;
        rank = (size_t)r;
    }
    wf_data_t *dd = &wf->data.v[d];
    dd->type = (uint8_t)type;
    dd->rank = (uint8_t)rank;
    dd->shape = shape ? first : 0;
    dd->dim_sym = dims ? first : 0;
    dd->dims = dims != NULL; /* the shape comes from the store */
    dd->tpl = t;
    dd->create = create;
    dd->nblocks = nb;
    dd->wait = w;
    /* the blocks of an object read are its value; those of an object
     * created are written by calls */
    c->written.v[d] = !create;
    return wf_compile_stmt(c, node, WF_ST_OBJECT, (uint32_t)d) < 0 ? -1 : 0;
}

/* ---------- loops and syncs ---------- */

static int statement(wf_comp_t *c, xmlNode *node, void *arg);

/* The bounds of a loop: from and to known now are evaluated (outside
 * loops); a step known now must not be 0. */
static int check_bounds(wf_comp_t *c, const xmlNode *node, uint32_t ef)
{
    wf_t *wf = c->wf;
    const wf_expr_t *x = &wf->exprs.v[ef];
    int64_t v = 1;
    if (c->loop_depth == 0)
        for (int i = 0; i < 2; i++)
            if (x[i].cls == WF_CLS_CONST && wf_cexpr_eval(c, ef + i, &v) < 0)
                return -1;
    if (x[2].cls != WF_CLS_CONST && c->loop_depth > 0)
        return 0;
    v = 1;
    if (x[2].cls == WF_CLS_CONST && wf_cexpr_eval(c, ef + 2, &v) < 0)
        return -1;
    if (v == 0)
        return wf_compile_err_attr(c, node, "step", 0, "the step of a loop "
                                   "must not be 0");
    return 0;
}

/* The arrays declared directly in a loop body (data_scope from @p mark):
 * deleted after each iteration. Their first index in wf->locals, number
 * in *n. */
static int loop_locals(wf_comp_t *c, size_t mark, uint32_t *first,
                       uint32_t *n)
{
    wf_t *wf = c->wf;
    *first = (uint32_t)wf->locals.n;
    *n = 0;
    for (size_t i = mark; i < c->data_scope.n; i++) {
        uint32_t d = c->data_scope.v[i];
        if (wf->data.v[d].kind != WF_DATA_ARRAY)
            continue;
        long k = WF_PUSH(wf->locals);
        if (k < 0)
            return wf_compile_oom(c);
        wf->locals.v[k] = d;
        (*n)++;
    }
    return 0;
}

/* The body of a loop whose statement is @p st: its variable @p var
 * declared, its statements compiled, its local arrays recorded. */
static int loop_body(wf_comp_t *c, xmlNode *node, long st, const char *var)
{
    wf_t *wf = c->wf;
    uint32_t lfirst, nloc;
    size_t sym_mark = c->sym_scope.n, data_mark = c->data_scope.n;
    long s = wf_scope_declare_sym(c, node, "var", var, WF_SYM_LOOP,
                                  WF_CLS_LOOP);
    if (s < 0)
        return -1;
    c->loop_depth++;
    int rc = wf_compile_elems(c, node, statement, NULL);
    c->loop_depth--;
    if (rc < 0 || loop_locals(c, data_mark, &lfirst, &nloc) < 0)
        return -1;
    wf_scope_pop(c, sym_mark, data_mark);
    wf_stmt_t *sp = &wf->stmts.v[st];
    sp->a = (uint32_t)s;
    sp->c = lfirst;
    sp->d = nloc;
    sp->end = (uint32_t)wf->stmts.n;
    return 0;
}

/* <foreach var= blocks= [from=] [to=]>: over the ids of the blocks of a
 * persistent object. */
static int compile_blocks_loop(wf_comp_t *c, xmlNode *node, const char *var,
                               const char *obj)
{
    wf_t *wf = c->wf;
    const char *from = wf_compile_att(c, node, "from");
    const char *to = wf_compile_att(c, node, "to");
    uint32_t ef = 0, et = 0;
    unsigned flags = 0;
    if (wf_compile_att(c, node, "step"))
        return wf_compile_err_attr(c, node, "step", 0, "a loop over blocks "
                                   "has no step");
    long d = wf_scope_data(c, node, "blocks", obj);
    if (d < 0)
        return -1;
    if (wf->data.v[d].kind != WF_DATA_OBJECT)
        return wf_compile_err_attr(c, node, "blocks", 0, "'%s' is not a "
                                   "persistent object: blocks= iterates over "
                                   "the blocks of one", obj);
    /* bounds: two consecutive expressions, "0" for one not given */
    if (wf_cexpr_one(c, node, from ? "from" : "blocks", from ? from : "0",
                     &ef) < 0 ||
        wf_cexpr_one(c, node, to ? "to" : "blocks", to ? to : "0", &et) < 0)
        return -1;
    if (ef + 1 != et)
        return wf_compile_err_node(c, node, "internal error: bounds not "
                                   "contiguous");
    flags = (from ? WF_BLOCKS_FROM : 0) | (to ? WF_BLOCKS_TO : 0);
    long st = wf_compile_stmt(c, node, WF_ST_BLOCKS, 0);
    if (st < 0)
        return -1;
    wf->stmts.v[st].b = ef;
    wf->stmts.v[st].e = (uint32_t)d;
    wf->stmts.v[st].flags = flags;
    return loop_body(c, node, st, var);
}

static int compile_foreach(wf_comp_t *c, xmlNode *node)
{
    wf_t *wf = c->wf;
    const char *var, *from, *to;
    const char *step = wf_compile_att(c, node, "step");
    const char *blocks = wf_compile_att(c, node, "blocks");
    uint32_t ef, et, es;
    if (c->loop_depth >= WF_MAX_LOOP_DEPTH)
        return wf_compile_err_node(c, node, "loops nested deeper than %d",
                                   WF_MAX_LOOP_DEPTH);
    if (blocks) {
        if (wf_compile_need(c, node, "var", &var, NULL) < 0)
            return -1;
        return compile_blocks_loop(c, node, var, blocks);
    }
    if (wf_compile_need(c, node, "var", &var, "from", &from, "to", &to,
                        NULL) < 0)
        return -1;
    if (wf_cexpr_one(c, node, "from", from, &ef) < 0 ||
        wf_cexpr_one(c, node, "to", to, &et) < 0 ||
        wf_cexpr_one(c, node, "step", step ? step : "1", &es) < 0)
        return -1;
    if (!step) /* the default step has no text of its own */
        wf->exprs.v[es].loc = wf_xml_node_loc(c->x, node);
    if (ef + 1 != et || et + 1 != es)
        return wf_compile_err_node(c, node, "internal error: bounds not "
                                   "contiguous");
    if (check_bounds(c, node, ef) < 0)
        return -1;
    long st = wf_compile_stmt(c, node, WF_ST_FOREACH, 0);
    if (st < 0)
        return -1;
    wf->stmts.v[st].b = ef;
    return loop_body(c, node, st, var);
}

/* <barrier/>, <wait data=>, <delete data=>. */
static int compile_sync(wf_comp_t *c, xmlNode *node, uint8_t kind)
{
    long d = 0;
    if (kind != WF_ST_BARRIER) {
        const char *data;
        if (wf_compile_need(c, node, "data", &data, NULL) < 0 ||
            (d = wf_scope_data(c, node, "data", data)) < 0)
            return -1;
        bool obj = c->wf->data.v[d].kind == WF_DATA_OBJECT;
        if (kind == WF_ST_WAIT && obj)
            return wf_compile_err_attr(c, node, "data", 0, "'%s' is a "
                                       "persistent object: its blocks stay "
                                       "in the store (<complete> makes it "
                                       "complete now)", data);
        if (kind == WF_ST_COMPLETE && (!obj || !c->wf->data.v[d].create))
            return wf_compile_err_attr(c, node, "data", 0, "'%s' is not a "
                                       "persistent object the run creates",
                                       data);
        if (kind == WF_ST_WAIT && !c->written.v[d])
            return wf_compile_err_attr(c, node, "data", 0, "waits on '%s' but "
                                       "no task writes it before", data);
        if (kind == WF_ST_DELETE &&
            c->data_depth.v[d] < (uint32_t)c->loop_depth)
            return wf_compile_err_attr(c, node, "data", 0, "deletes '%s', "
                                       "declared outside this loop: the next "
                                       "iteration would use it deleted", data);
        if (kind == WF_ST_DELETE)
            c->deleted.v[d] = wf_xml_node_loc(c->x, node);
    }
    return wf_compile_stmt(c, node, kind, (uint32_t)d) < 0 ? -1 : 0;
}

/* <delete-object object=>: an object of the store. */
static int compile_delete_object(wf_comp_t *c, xmlNode *node)
{
    const char *object;
    uint32_t t;
    if (wf_compile_need(c, node, "object", &object, NULL) < 0 ||
        object_name(c, node, "object", object, &t) < 0)
        return -1;
    return wf_compile_stmt(c, node, WF_ST_DELETE_OBJECT, t) < 0 ? -1 : 0;
}

/* One element of <data>, <body> or a loop body. */
static int statement(wf_comp_t *c, xmlNode *n, void *arg)
{
    (void)arg;
    if (++c->nelem > WF_MAX_STATEMENTS)
        return wf_compile_err_node(c, n, "too many elements (the limit is "
                                   "%d)", WF_MAX_STATEMENTS);
    if (wf_compile_is(n, "let"))
        return compile_let(c, n);
    if (wf_compile_is(n, "input"))
        return compile_input(c, n);
    if (wf_compile_is(n, "array"))
        return compile_array(c, n);
    if (wf_compile_is(n, "file"))
        return compile_file(c, n);
    if (wf_compile_is(n, "call"))
        return wf_call_compile(c, n, NULL);
    if (wf_compile_is(n, "foreach"))
        return compile_foreach(c, n);
    if (wf_compile_is(n, "barrier"))
        return compile_sync(c, n, WF_ST_BARRIER);
    if (wf_compile_is(n, "wait"))
        return compile_sync(c, n, WF_ST_WAIT);
    if (wf_compile_is(n, "delete"))
        return compile_sync(c, n, WF_ST_DELETE);
    if (wf_compile_is(n, "persistent"))
        return compile_persistent(c, n);
    if (wf_compile_is(n, "complete"))
        return compile_sync(c, n, WF_ST_COMPLETE);
    if (wf_compile_is(n, "delete-object"))
        return compile_delete_object(c, n);
    return wf_compile_err_node(c, n, "unexpected element <%s>", n->name);
}

/* ---------- results ---------- */

/* <result data= dataset=>: an array some task writes, one dataset name. */
static int compile_result(wf_comp_t *c, xmlNode *n, void *arg)
{
    wf_t *wf = c->wf;
    const char *data = wf_compile_att(c, n, "data");
    const char *ds = wf_compile_att(c, n, "dataset");
    long d = data ? wf_scope_data(c, n, "data", data) : -1;
    (void)arg;
    if (d < 0)
        return -1;
    if (wf->data.v[d].kind == WF_DATA_FILE)
        return wf_compile_err_attr(c, n, "data", 0, "result '%s' is a file: "
                                   "results are arrays", data);
    if (wf->data.v[d].kind == WF_DATA_OBJECT)
        return wf_compile_err_attr(c, n, "data", 0, "result '%s' is a "
                                   "persistent object: it stays in the "
                                   "store", data);
    if (!c->written.v[d])
        return wf_compile_err_attr(c, n, "data", 0, "result '%s' is never "
                                   "written by any task", data);
    const char *dsn = ds ? ds : data;
    for (size_t i = 0; i < wf->results.n; i++)
        if (strcmp(wf_str(wf, wf->results.v[i].dataset), dsn) == 0)
            return wf_compile_err_node(c, n, "two results named '%s'", dsn);
    long off = wf_compile_str(c, dsn);
    long i = off < 0 ? -1 : WF_PUSH(wf->results);
    if (i < 0)
        return wf_compile_oom(c);
    wf->results.v[i] = (wf_result_t){.data = (uint32_t)d,
                                     .dataset = (uint32_t)off,
                                     .loc = wf_xml_node_loc(c->x, n)};
    return 0;
}

/* ---------- the document ---------- */

/* The first override no <param> used, if any: -1 with "--param NAME: the
 * workflow has no such parameter". */
static int unknown_override(wf_comp_t *c, const overrides_t *ov)
{
    for (size_t i = 0; i < ov->n; i++)
        if (!ov->used[i]) {
            errno = EINVAL;
            return tess_errprintf(c->err, "--param %s: workflow '%s' has no "
                                  "parameter '%s'", ov->v[i].name,
                                  c->wf->name, ov->v[i].name);
        }
    return 0;
}

/* The sections of <workflow>, in order: <param>s, <data>, <task>s; the
 * <results> and <body> are kept for after the walk. */
typedef struct sections {
    overrides_t ov;
    xmlNode *results, *body;
} sections_t;

static int section(wf_comp_t *c, xmlNode *n, void *arg)
{
    sections_t *s = arg;
    if (wf_compile_is(n, "param"))
        return compile_param(c, n, &s->ov);
    if (wf_compile_is(n, "data")) /* parameters are over: all known */
        return unknown_override(c, &s->ov) < 0 ? -1
               : wf_compile_elems(c, n, statement, NULL);
    if (wf_compile_is(n, "task"))
        return wf_taskdef_compile(c, n, NULL);
    if (wf_compile_is(n, "results"))
        s->results = n;
    else if (wf_compile_is(n, "body"))
        s->body = n;
    return 0;
}

static int compile_document(wf_comp_t *c, xmlNode *root, sections_t *s)
{
    xmlChar *name = xmlGetNoNsProp(root, BAD_CAST "name");
    c->wf->name = strdup(name ? (const char *)name : "");
    xmlFree(name);
    if (!c->wf->name)
        return wf_compile_oom(c);
    if (wf_compile_elems(c, root, section, s) < 0 ||
        unknown_override(c, &s->ov) < 0)
        return -1;
    if (!s->body)
        return wf_compile_err_node(c, root, "missing <body>");
    if (wf_compile_elems(c, s->body, statement, NULL) < 0 ||
        (s->results && wf_compile_elems(c, s->results, compile_result,
                                        NULL) < 0))
        return -1;
    return wf_taskdef_impl_view(c);
}

int wf_compile(wf_t *wf, const wf_xml_t *x,
               const wf_param_override_t *overrides, size_t noverrides,
               tess_error_t *err)
{
    wf_comp_t c = {.wf = wf, .x = x, .err = err};
    sections_t s = {.ov = {.v = overrides, .n = noverrides,
                           .used = calloc(noverrides + 1, sizeof(bool))}};
    int rc = s.ov.used ? compile_document(&c, wf_xml_root(x), &s)
                       : wf_compile_oom(&c);

    free(s.ov.used);
    atts_release(&c, 0);
    free(c.atts.v);
    wf_scope_tab_free(&c.vals);
    wf_scope_tab_free(&c.datas);
    wf_scope_tab_free(&c.tasks);
    wf_scope_tab_free(&c.libs);
    free(c.sym_scope.v);
    free(c.data_scope.v);
    free(c.written.v);
    free(c.deleted.v);
    free(c.data_depth.v);
    if (rc < 0 && errno != ENOMEM)
        errno = EINVAL;
    return rc;
}
