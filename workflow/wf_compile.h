/*
 * wf_compile.h - from a validated workflow document to the compiled program
 * of wf_private.h (workflow/ only).
 *
 * wf_compile() is the entry point (wf_load.c). The rest is the compiler's
 * own, shared by its files, one concept each:
 *   wf_compile.c  the state, messages, the document walk: parameters,
 *                 declarations, loops, syncs, results;
 *   wf_scope.c    names: the two namespaces (values, data) and task names,
 *                 declarations, lookups, scopes of loop bodies;
 *   wf_cexpr.c    expressions and templates written in attributes;
 *   wf_taskdef.c  task definitions: parameters, kernels, implementations,
 *                 constraints;
 *   wf_call.c     calls: arguments checked against a task definition.
 * One pass in document order: names must be defined before use, which also
 * makes the "read before any task writes it" check a linear walk.
 */
#ifndef TESS_WORKFLOW_WF_COMPILE_H
#define TESS_WORKFLOW_WF_COMPILE_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "workflow/wf_private.h"
#include "workflow/wf_xml.h"

/* Resolve parameters (applying @p overrides), compile declarations, task
 * definitions and the body into @p wf, and run the checks that need no
 * file system. -1/EINVAL with @p err "file:line:col: message" or
 * "--param NAME: message". */
int wf_compile(wf_t *wf, const wf_xml_t *x,
               const wf_param_override_t *overrides, size_t noverrides,
               tess_error_t *err);

/* ------------------------------------------------------------------ */
/* The compiler's state                                                */
/* ------------------------------------------------------------------ */

/* A name table (wf_scope.c): strs offsets to indices, open addressing. */
typedef struct wf_scope_tab {
    uint32_t *keys; /* strs offsets, UINT32_MAX: empty */
    uint32_t *vals;
    uint32_t *hash;
    size_t cap, n;
} wf_scope_tab_t;

/* Indices declared in scopes, innermost last. */
typedef WF_VEC(uint32_t) wf_scope_vec_t;

typedef struct wf_comp {
    wf_t *wf;
    const wf_xml_t *x;
    tess_error_t *err;
    wf_scope_tab_t vals, datas, tasks, libs;
    wf_scope_vec_t sym_scope;    /* symbols declared */
    wf_scope_vec_t data_scope;   /* data declared */
    WF_VEC(uint8_t) written;     /* per data: some task wrote it (or init) */
    WF_VEC(wf_loc_t) deleted;    /* per data: line 0, or where deleted */
    WF_VEC(uint32_t) data_depth; /* per data: loop depth of declaration */
    WF_VEC(xmlChar *) atts;      /* attribute values fetched (wf_compile_att) */
    bool atts_oom;               /* one could not be kept */
    int loop_depth;
    size_t nelem;
} wf_comp_t;

/* ------------------------------------------------------------------ */
/* wf_compile.c: messages, strings, attributes, statements             */
/* ------------------------------------------------------------------ */

/* Out of memory: errno ENOMEM, "FILE: out of memory". Return -1. */
int wf_compile_oom(wf_comp_t *c);

/* "file:line:col: message" at element @p node, or at character @p pos of
 * the value of its attribute @p attr; errno EINVAL. Return -1. */
int wf_compile_err_node(wf_comp_t *c, const xmlNode *node, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));
int wf_compile_err_attr(wf_comp_t *c, const xmlNode *node, const char *attr,
                        size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Append s[0..len) (or the string @p s) to wf->strs; its offset, or
 * -1/ENOMEM. */
long wf_compile_strn(wf_comp_t *c, const char *s, size_t len);
long wf_compile_str(wf_comp_t *c, const char *s);

/* The value of attribute @p name of @p node (no namespace), NULL if absent.
 * Valid until the element that fetched it is compiled: the walks
 * (wf_compile_elems) release them after each element. */
const char *wf_compile_att(wf_comp_t *c, const xmlNode *node,
                           const char *name);

/* The required attributes of @p node: pairs (const char *name, const char
 * **value) ended by NULL; each value fetched as by wf_compile_att(). -1
 * with "<ELEMENT> needs A, B and C" if one is missing. */
int wf_compile_need(wf_comp_t *c, const xmlNode *node, ...)
    __attribute__((sentinel));

/* Element children: the first element at or after @p n, the next one. */
xmlNode *wf_compile_first(xmlNode *n);
xmlNode *wf_compile_next(xmlNode *n);
/* Is element @p n named @p name? */
bool wf_compile_is(const xmlNode *n, const char *name);

/* Compile every element child of @p parent with @p fn(c, child, arg),
 * releasing the attributes each fetched; stops at the first error. */
typedef int (*wf_compile_elem_f)(wf_comp_t *c, xmlNode *node, void *arg);
int wf_compile_elems(wf_comp_t *c, xmlNode *parent, wf_compile_elem_f fn,
                     void *arg);

/* Append a statement of @p kind at @p node with field a = @p a; its index,
 * or -1 (limit of statements, ENOMEM) with the message. */
long wf_compile_stmt(wf_comp_t *c, const xmlNode *node, uint8_t kind,
                     uint32_t a);

/* Small parsers of attribute values: "in"/"out"/"inout" (0 otherwise),
 * "true"/"1", a finite float literal (the whole trimmed text). */
int wf_compile_dir(const char *s);
bool wf_compile_bool(const char *s);
bool wf_compile_float(const char *s, double *out);

/* ------------------------------------------------------------------ */
/* wf_scope.c: names                                                   */
/* ------------------------------------------------------------------ */

/* Index of name[0..len) in @p t, or -1. */
long wf_scope_find(const wf_scope_tab_t *t, const wf_t *wf, const char *name,
                   size_t len);
/* Add @p key (strs offset) -> @p val. -1/ENOMEM. */
int wf_scope_put(wf_scope_tab_t *t, const wf_t *wf, uint32_t key,
                 uint32_t val);
void wf_scope_tab_free(wf_scope_tab_t *t);

/* A new integer slot of the environment (UINT32_MAX: out of memory). */
uint32_t wf_scope_slot(wf_comp_t *c);

/* Declare value @p name (attribute @p attr of @p node) of @p kind and
 * class @p cls in the current scope; index in wf->syms, or -1 with the
 * message (invalid, reserved or visible name). */
long wf_scope_declare_sym(wf_comp_t *c, const xmlNode *node, const char *attr,
                          const char *name, uint8_t kind, uint8_t cls);
/* Declare data @p name (attribute "name" of @p node); index in wf->data,
 * or -1 with the message. */
long wf_scope_declare_data(wf_comp_t *c, const xmlNode *node,
                           const char *name, uint8_t kind);
/* The data named by attribute @p attr of @p node: index, or -1 with the
 * message (undefined, or used after its <delete>). */
long wf_scope_data(wf_comp_t *c, const xmlNode *node, const char *attr,
                   const char *name);
/* Forget the names declared since the marks (the end of a loop body). */
void wf_scope_pop(wf_comp_t *c, size_t sym_mark, size_t data_mark);

/* wf_resolve_f over the value names in scope: integer kinds only. */
int wf_scope_resolve_int(void *ctx, const char *name, size_t len,
                         uint32_t *slot, uint8_t *cls, wf_exprerr_t *e);

const char *wf_scope_sym_kind_name(uint8_t kind);

/* ------------------------------------------------------------------ */
/* wf_cexpr.c: expressions and templates of attributes                */
/* ------------------------------------------------------------------ */

/* Compile the value @p text of attribute @p an of @p node as up to @p max
 * expressions separated by @p sep, names resolved by @p resolve (NULL:
 * wf_scope_resolve_int); appended to wf->exprs from *first, their number
 * in *n (may be NULL). -1 with the message at the offending character. */
int wf_cexpr_list(wf_comp_t *c, const xmlNode *node, const char *an,
                  const char *text, char sep, size_t max,
                  wf_resolve_f resolve, void *rctx, uint32_t *first,
                  size_t *n);
/* One expression. */
int wf_cexpr_one(wf_comp_t *c, const xmlNode *node, const char *an,
                 const char *text, uint32_t *idx);
/* Evaluate expression @p i now (class CONST). -1 with the message. */
int wf_cexpr_eval(wf_comp_t *c, uint32_t i, int64_t *out);
/* Compile template @p text of attribute @p an; *out its index in wf->tpls.
 * -1 with the message. */
int wf_cexpr_tpl(wf_comp_t *c, const xmlNode *node, const char *an,
                 const char *text, uint32_t *out);

/* ------------------------------------------------------------------ */
/* wf_taskdef.c, wf_call.c                                             */
/* ------------------------------------------------------------------ */

/* <task>: a task definition. -1 with the message. */
int wf_taskdef_compile(wf_comp_t *c, xmlNode *node, void *arg);
/* The implementations as tess_impl_t (wf->impl_view), once wf->strs no
 * longer moves. -1/ENOMEM. */
int wf_taskdef_impl_view(wf_comp_t *c);
const char *wf_taskdef_pkind_name(uint8_t k);

/* <call>: a call of a defined task with its arguments. */
int wf_call_compile(wf_comp_t *c, xmlNode *node, void *arg);

#endif /* TESS_WORKFLOW_WF_COMPILE_H */
