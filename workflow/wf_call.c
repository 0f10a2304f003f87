/*
 * wf_call.c - calls: <call task=> with one <arg> per parameter of the task
 * definition, each checked against it (form, kind, element type, rank,
 * region), and the dependence a call creates: an array read before any
 * task writes it is an error here, on the program text.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "workflow/wf_compile.h"

/* The call being compiled, for its arguments. */
typedef struct callctx {
    const wf_taskdef_t *td;
    const char *task;
    uint32_t k; /* the argument being compiled */
} callctx_t;

/* The attributes of one <arg>. */
typedef struct argatts {
    const char *name, *data, *rows, *start, *count, *path, *value, *string;
    const char *block;
} argatts_t;

/* The region of data argument @p a (rows= or start= and count=) of data
 * @p dd, into @p arg. */
static int compile_region(wf_comp_t *c, const xmlNode *node,
                          const argatts_t *a, const wf_data_t *dd,
                          wf_arg_t *arg)
{
    size_t ns, nc;
    uint32_t c0;
    if (a->rows) {
        if (wf_cexpr_list(c, node, "rows", a->rows, ':', 2, NULL, NULL,
                          &arg->expr, &ns) < 0)
            return -1;
        if (ns != 2)
            return wf_compile_err_attr(c, node, "rows", 0, "rows takes "
                                       "FIRST:END (rows FIRST up to END-1)");
        arg->region = WF_R_ROWS;
        return 0;
    }
    if (!a->start)
        return 0;
    if (wf_cexpr_list(c, node, "start", a->start, ',', TESS_MAX_RANK, NULL,
                      NULL, &arg->expr, &ns) < 0 ||
        wf_cexpr_list(c, node, "count", a->count, ',', TESS_MAX_RANK, NULL,
                      NULL, &c0, &nc) < 0)
        return -1;
    if (ns != dd->rank || nc != dd->rank)
        return wf_compile_err_attr(c, node, ns != dd->rank ? "start" : "count",
                                   0, "'%s' has rank %u: start and count need "
                                   "%u entries each (%zu and %zu given)",
                                   a->data, dd->rank, dd->rank, ns, nc);
    if (c0 != arg->expr + ns)
        return wf_compile_err_node(c, node, "internal error: region not "
                                   "contiguous");
    arg->region = WF_R_SLAB;
    arg->rank = dd->rank;
    return 0;
}

/* block= of a data argument: only, and always, for persistent objects.
 * With start= and count= it declares a block the call writes (objects
 * created); alone it names a block of an object read, or one written
 * before. */
static int compile_block(wf_comp_t *c, const xmlNode *node,
                         const callctx_t *x, const wf_formal_t *f,
                         const argatts_t *a, const wf_data_t *dd,
                         wf_arg_t *arg)
{
    const char *fname = wf_str(c->wf, f->name);
    if (dd->kind != WF_DATA_OBJECT) {
        if (a->block)
            return wf_compile_err_attr(c, node, "block", 0, "'%s' is not a "
                                       "persistent object: block= names a "
                                       "block of one", a->data);
        return 0;
    }
    if (!a->block)
        return wf_compile_err_attr(c, node, "data", 0, "'%s' is a persistent "
                                   "object: give the block the call takes, "
                                   "block=\"ID\"", a->data);
    if (a->rows)
        return wf_compile_err_attr(c, node, "rows", 0, "a block is taken "
                                   "whole: block= with start= and count= "
                                   "declares its box");
    if (!dd->create && f->dir != TESS_IN)
        return wf_compile_err_attr(c, node, "block", 0, "argument %u ('%s') "
                                   "of '%s' writes a block of '%s', an object "
                                   "read from the store: its blocks cannot "
                                   "be written", x->k, fname, x->task,
                                   a->data);
    if (a->start && !dd->create)
        return wf_compile_err_attr(c, node, "start", 0, "'%s' is read from "
                                   "the store: its blocks have their boxes "
                                   "already", a->data);
    if (dd->create && f->dir != TESS_IN && !a->start)
        return wf_compile_err_attr(c, node, "block", 0, "argument %u ('%s') "
                                   "of '%s' writes a block of '%s': declare "
                                   "its box with start= and count=", x->k,
                                   fname, x->task, a->data);
    if (a->start && f->dir != TESS_OUT)
        return wf_compile_err_attr(c, node, "start", 0, "a block is declared "
                                   "by the call that writes it, dir=\"out\" "
                                   "(blocks are written once)");
    if (wf_cexpr_one(c, node, "block", a->block, &arg->block) < 0)
        return -1;
    arg->block++;
    return 0;
}

/* An array or file argument: data= (maybe a region), or for files an
 * inline path=. */
static int compile_data_arg(wf_comp_t *c, const xmlNode *node,
                            const callctx_t *x, const wf_formal_t *f,
                            const argatts_t *a, wf_arg_t *arg)
{
    wf_t *wf = c->wf;
    const char *fname = wf_str(wf, f->name);
    bool arr = f->kind == WF_P_ARRAY;
    if (a->path && arr)
        return wf_compile_err_node(c, node, "argument %u ('%s') of '%s' is an "
                                   "array: give data=\"NAME\"", x->k, fname,
                                   x->task);
    if (!a->data && !a->path)
        return wf_compile_err_node(c, node, "argument %u ('%s') of '%s' is "
                                   "a%s %s: give data=\"NAME\"%s", x->k, fname,
                                   x->task, arr ? "n" : "",
                                   wf_taskdef_pkind_name(f->kind),
                                   arr ? "" : " or path=\"...\"");
    if (a->path) {
        arg->kind = WF_A_PATH;
        return wf_cexpr_tpl(c, node, "path", a->path, &arg->tpl);
    }
    long d = wf_scope_data(c, node, "data", a->data);
    if (d < 0)
        return -1;
    const wf_data_t *dd = &wf->data.v[d];
    bool darr = dd->kind != WF_DATA_FILE;
    if (darr != arr)
        return wf_compile_err_attr(c, node, "data", 0, "argument %u ('%s') of "
                                   "'%s' is a%s %s parameter but '%s' is a%s "
                                   "%s", x->k, fname, x->task, arr ? "n" : "",
                                   wf_taskdef_pkind_name(f->kind), a->data,
                                   darr ? "n" : "", darr ? "array" : "file");
    if (arr && f->elem && f->elem != dd->type)
        return wf_compile_err_attr(c, node, "data", 0, "argument %u ('%s') of "
                                   "'%s' takes %s elements but '%s' has %s "
                                   "elements", x->k, fname, x->task,
                                   tess_type_name(f->elem), a->data,
                                   tess_type_name(dd->type));
    if (arr && f->rank && f->rank != dd->rank)
        return wf_compile_err_attr(c, node, "data", 0, "argument %u ('%s') of "
                                   "'%s' takes a rank-%u array but '%s' has "
                                   "rank %u", x->k, fname, x->task, f->rank,
                                   a->data, dd->rank);
    if (!arr && (a->rows || a->start))
        return wf_compile_err_node(c, node, "regions apply to arrays, not to "
                                   "file '%s'", a->data);
    arg->kind = WF_A_DATA;
    arg->data = (uint32_t)d;
    if (compile_block(c, node, x, f, a, dd, arg) < 0 ||
        compile_region(c, node, a, dd, arg) < 0)
        return -1;
    /* the dependence the call creates: read before any write? */
    if ((f->dir == TESS_IN || f->dir == TESS_INOUT) && !c->written.v[d])
        return wf_compile_err_attr(c, node, "data", 0, "'%s' reads array '%s' "
                                   "before any task writes it (declare it with "
                                   "init=\"zero\" if zeros are meant)",
                                   x->task, a->data);
    if (f->dir == TESS_OUT || f->dir == TESS_INOUT)
        c->written.v[d] = 1;
    return 0;
}

/* A float argument: a float parameter by name, a float literal, or an
 * integer expression converted. */
static int compile_float_arg(wf_comp_t *c, const xmlNode *node,
                             const char *value, wf_arg_t *arg)
{
    wf_t *wf = c->wf;
    const char *v = value;
    while (*v == ' ')
        v++;
    long s = wf_is_ident(v, strlen(v)) ? wf_scope_find(&c->vals, wf, v,
                                                       strlen(v)) : -1;
    if (s >= 0 && wf->syms.v[s].kind == WF_SYM_FLOAT) {
        arg->kind = WF_A_FLOAT;
        arg->d = wf->syms.v[s].d;
        return 0;
    }
    if (wf_compile_float(value, &arg->d) && strpbrk(value, ".eEnN")) {
        arg->kind = WF_A_FLOAT;
        return 0;
    }
    arg->kind = WF_A_FLOATX;
    return wf_cexpr_one(c, node, "value", value, &arg->expr);
}

/* The form an argument of kind @p kind takes: "value=\"EXPRESSION\"" for
 * an int ... (NULL for data kinds). */
static const char *scalar_form(uint8_t kind)
{
    switch (kind) {
    case WF_P_INT: return "value=\"EXPRESSION\"";
    case WF_P_FLOAT: return "value=\"NUMBER\"";
    case WF_P_STRING: return "string=\"TEXT\"";
    }
    return NULL;
}

/* <arg> number x->k of the call in @p arg. */
static int compile_arg(wf_comp_t *c, xmlNode *node, void *ctx)
{
    wf_t *wf = c->wf;
    callctx_t *x = ctx;
    const wf_formal_t *f = &wf->formals.v[x->td->formal + x->k];
    const char *fname = wf_str(wf, f->name);
    argatts_t a = {
        .name = wf_compile_att(c, node, "name"),
        .data = wf_compile_att(c, node, "data"),
        .rows = wf_compile_att(c, node, "rows"),
        .start = wf_compile_att(c, node, "start"),
        .count = wf_compile_att(c, node, "count"),
        .path = wf_compile_att(c, node, "path"),
        .value = wf_compile_att(c, node, "value"),
        .string = wf_compile_att(c, node, "string"),
        .block = wf_compile_att(c, node, "block"),
    };
    wf_arg_t arg = {.loc = wf_xml_node_loc(c->x, node), .dir = f->dir};
    int forms = !!a.data + !!a.path + !!a.value + !!a.string;
    const char *scalar = scalar_form(f->kind);
    int rc;

    if (a.name && strcmp(a.name, fname) != 0)
        return wf_compile_err_attr(c, node, "name", 0, "argument %u of '%s' is "
                                   "named '%s' but the task's parameter %u is "
                                   "'%s'", x->k, x->task, a.name, x->k, fname);
    if (forms != 1)
        return wf_compile_err_node(c, node, "argument %u ('%s') of '%s' needs "
                                   "exactly one of data=, path=, value=, "
                                   "string=", x->k, fname, x->task);
    if ((a.rows || a.start || a.count || a.block) && !a.data)
        return wf_compile_err_node(c, node, "rows, start, count and block "
                                   "apply to data= arguments");
    if (a.rows && (a.start || a.count))
        return wf_compile_err_node(c, node, "give either rows= or start= and "
                                   "count=, not both");
    if (!!a.start != !!a.count)
        return wf_compile_err_node(c, node, "start= and count= go together");
    if (scalar && !(f->kind == WF_P_STRING ? a.string : a.value))
        return wf_compile_err_node(c, node, "argument %u ('%s') of '%s' is "
                                   "a%s %s: give %s", x->k, fname, x->task,
                                   f->kind == WF_P_INT ? "n" : "",
                                   wf_taskdef_pkind_name(f->kind), scalar);
    switch (f->kind) {
    case WF_P_INT:
        arg.kind = WF_A_INT;
        rc = wf_cexpr_one(c, node, "value", a.value, &arg.expr);
        break;
    case WF_P_FLOAT:
        rc = compile_float_arg(c, node, a.value, &arg);
        break;
    case WF_P_STRING:
        arg.kind = WF_A_STRING;
        rc = wf_cexpr_tpl(c, node, "string", a.string, &arg.tpl);
        break;
    default:
        rc = compile_data_arg(c, node, x, f, &a, &arg);
    }
    if (rc < 0)
        return -1;
    long i = WF_PUSH(wf->args);
    if (i < 0)
        return wf_compile_oom(c);
    wf->args.v[i] = arg;
    x->k++;
    return 0;
}

int wf_call_compile(wf_comp_t *c, xmlNode *node, void *unused)
{
    wf_t *wf = c->wf;
    const char *task;
    (void)unused;
    if (wf_compile_need(c, node, "task", &task, NULL) < 0)
        return -1;
    long t = wf_scope_find(&c->tasks, wf, task, strlen(task));
    if (t < 0)
        return wf_compile_err_attr(c, node, "task", 0, "undefined task '%s'",
                                   task);
    const wf_taskdef_t *td = &wf->tasks.v[t]; /* no task is added here */
    uint32_t nargs = 0;
    for (xmlNode *n = wf_compile_first(node->children); n;
         n = wf_compile_next(n))
        nargs++;
    if (nargs != td->nformal) {
        char list[256] = "";
        size_t o = 0;
        for (uint32_t k = 0; k < td->nformal && o < sizeof(list); k++)
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
                                  k ? ", " : "",
                                  wf_str(wf, wf->formals.v[td->formal + k].name));
        return wf_compile_err_node(c, node, "call of '%s' has %u argument%s, "
                                   "the task takes %u (%s)", task, nargs,
                                   nargs == 1 ? "" : "s", td->nformal, list);
    }
    callctx_t x = {.td = td, .task = task};
    uint32_t first = (uint32_t)wf->args.n;
    if (wf_compile_elems(c, node, compile_arg, &x) < 0)
        return -1;
    long st = wf_compile_stmt(c, node, WF_ST_CALL, (uint32_t)t);
    if (st < 0)
        return -1;
    wf->stmts.v[st].b = first;
    wf->stmts.v[st].c = nargs;
    wf->stmts.v[st].flags = td->flags;
    return 0;
}
