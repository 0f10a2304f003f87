/*
 * wf_taskdef.c - task definitions: <task name= kernel= priority= timeout=
 * isolation=> with its
 * <param>s (the formal parameters calls must match), its kernel libraries,
 * <implementation>s per architecture, <constraints> (arch, cpus, memory)
 * and <on-failure>.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/types.h"
#include "workflow/wf_compile.h"

/* A task definition being compiled, for its children. */
typedef struct taskctx {
    wf_taskdef_t td;
    const char *name;
} taskctx_t;

const char *wf_taskdef_pkind_name(uint8_t k)
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

static uint8_t parse_pkind(const char *type)
{
    static const char *const names[] = {
        [WF_P_ARRAY] = "array", [WF_P_FILE] = "file", [WF_P_INT] = "int",
        [WF_P_FLOAT] = "float", [WF_P_STRING] = "string",
    };
    for (uint8_t k = 1; type && k < sizeof(names) / sizeof(names[0]); k++)
        if (strcmp(type, names[k]) == 0)
            return k;
    return 0;
}

/* <param name= type= dir= elem= rank=> of the task in @p t. */
static int compile_formal(wf_comp_t *c, xmlNode *node, taskctx_t *t)
{
    wf_t *wf = c->wf;
    const char *name, *type;
    const char *dir = wf_compile_att(c, node, "dir");
    const char *elem = wf_compile_att(c, node, "elem");
    const char *rank = wf_compile_att(c, node, "rank");
    if (wf_compile_need(c, node, "name", &name, "type", &type, NULL) < 0)
        return -1;
    uint8_t kind = parse_pkind(type);
    if (!kind)
        return wf_compile_err_attr(c, node, "type", 0, "unknown parameter "
                                   "type '%s'", type);
    for (size_t i = t->td.formal; i < wf->formals.n; i++)
        if (strcmp(wf_str(wf, wf->formals.v[i].name), name) == 0)
            return wf_compile_err_attr(c, node, "name", 0, "parameter '%s' "
                                       "appears twice in this task", name);
    bool data = kind == WF_P_ARRAY || kind == WF_P_FILE;
    if (data && !dir)
        return wf_compile_err_node(c, node, "%s parameter '%s' needs "
                                   "dir=\"in\", \"out\" or \"inout\"",
                                   wf_taskdef_pkind_name(kind), name);
    if (!data && dir)
        return wf_compile_err_attr(c, node, "dir", 0, "dir applies to array "
                                   "and file parameters only ('%s' is %s)",
                                   name, wf_taskdef_pkind_name(kind));
    if (kind != WF_P_ARRAY && (elem || rank))
        return wf_compile_err_node(c, node, "elem and rank apply to array "
                                   "parameters only");
    long off = wf_compile_str(c, name);
    long i = off < 0 ? -1 : WF_PUSH(wf->formals);
    if (i < 0)
        return wf_compile_oom(c);
    wf->formals.v[i] = (wf_formal_t){
        .name = (uint32_t)off, .kind = kind,
        .dir = (uint8_t)wf_compile_dir(dir), .elem = (uint8_t)types_parse(elem),
        .rank = rank ? (uint8_t)atoi(rank) : 0,
        .loc = wf_xml_node_loc(c->x, node)};
    return 0;
}

/* Split kernel "lib:symbol" (attribute "kernel" of @p node) and register
 * its library; fills the strs offsets and the library index. */
static int parse_kernel(wf_comp_t *c, const xmlNode *node, const char *kernel,
                        uint32_t *kname, uint32_t *lib, uint32_t *symbol)
{
    wf_t *wf = c->wf;
    const char *colon = strrchr(kernel, ':');
    if (!colon || colon == kernel || !wf_is_ident(colon + 1, strlen(colon + 1)))
        return wf_compile_err_attr(c, node, "kernel", 0, "kernel '%s' is not "
                                   "LIBRARY:SYMBOL", kernel);
    long lname = wf_compile_strn(c, kernel, (size_t)(colon - kernel));
    long sym = wf_compile_str(c, colon + 1);
    long kn = wf_compile_str(c, kernel);
    if (lname < 0 || sym < 0 || kn < 0)
        return wf_compile_oom(c);
    long l = wf_scope_find(&c->libs, wf, wf_str(wf, (uint32_t)lname),
                           (size_t)(colon - kernel));
    if (l < 0) {
        l = WF_PUSH(wf->libs);
        if (l < 0 ||
            wf_scope_put(&c->libs, wf, (uint32_t)lname, (uint32_t)l) < 0)
            return wf_compile_oom(c);
        wf->libs.v[l].name = (uint32_t)lname;
        wf->libs.v[l].loc = wf_xml_attr_loc(c->x, node, "kernel", 0);
    }
    *kname = (uint32_t)kn;
    *lib = (uint32_t)l;
    *symbol = (uint32_t)sym;
    return 0;
}

/* <implementation arch="NAME" kernel="lib:symbol"/> of the task in @p t. */
static int compile_impl(wf_comp_t *c, xmlNode *node, taskctx_t *t)
{
    wf_t *wf = c->wf;
    wf_taskdef_t *td = &t->td;
    const char *arch, *kernel;
    if (wf_compile_need(c, node, "arch", &arch, "kernel", &kernel, NULL) < 0)
        return -1;
    if (!*arch)
        return wf_compile_err_attr(c, node, "arch", 0, "arch must name an "
                                   "architecture");
    if (td->nimpl >= WF_MAX_IMPLS)
        return wf_compile_err_node(c, node, "task '%s' has more than %d "
                                   "implementations", t->name, WF_MAX_IMPLS);
    for (uint32_t k = td->impl; k < td->impl + td->nimpl; k++) {
        const wf_impl_t *o = &wf->impls.v[k];
        if (strcmp(wf_str(wf, o->arch), arch) == 0)
            return wf_compile_err_attr(c, node, "arch", 0, "task '%s' has two "
                                       "implementations for architecture "
                                       "'%s' (the first at line %u, column "
                                       "%u)", t->name, arch, o->loc.line,
                                       o->loc.col);
    }
    wf_impl_t im = {.loc = wf_xml_node_loc(c->x, node)};
    long aoff = wf_compile_str(c, arch);
    if (aoff < 0)
        return wf_compile_oom(c);
    im.arch = (uint32_t)aoff;
    if (parse_kernel(c, node, kernel, &im.kernel, &im.lib, &im.symbol) < 0)
        return -1;
    long i = WF_PUSH(wf->impls);
    if (i < 0)
        return wf_compile_oom(c);
    wf->impls.v[i] = im;
    td->nimpl++;
    return 0;
}

/* Names in a cpus expression: the task's int parameters (per call), then
 * the workflow's integer names. */
typedef struct cpus_ctx {
    wf_comp_t *c;
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
                     name, wf_taskdef_pkind_name(f->kind));
            return -1;
        }
        if (!f->slot) {
            uint32_t s = wf_scope_slot(k->c);
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
    return wf_scope_resolve_int(k->c, name, len, slot, cls, e);
}

/* Expression @p e (attribute @p an of @p node), known now, lies in
 * 1..@p max (@p unit after max in the message). */
static int check_range(wf_comp_t *c, const xmlNode *node, const char *an,
                       uint32_t e, int64_t max, const char *unit, int64_t *v)
{
    if (wf_cexpr_eval(c, e, v) < 0)
        return -1;
    if (*v < 1 || *v > max)
        return wf_compile_err_attr(c, node, an, 0, "%s must be between 1 and "
                                   "%lld%s (it is %lld)", an, (long long)max,
                                   unit, (long long)*v);
    return 0;
}

/* <constraints arch="NAME" cpus="EXPR" memory="EXPR"/> of the task in @p t;
 * memory (MiB) must be known at load time (parameters, lets, not loop
 * variables). */
static int compile_constraints(wf_comp_t *c, xmlNode *node, taskctx_t *t)
{
    wf_t *wf = c->wf;
    wf_taskdef_t *td = &t->td;
    const char *cpus = wf_compile_att(c, node, "cpus");
    const char *arch = wf_compile_att(c, node, "arch");
    const char *mem = wf_compile_att(c, node, "memory");
    uint32_t e;
    int64_t v;
    if (arch && !*arch)
        return wf_compile_err_attr(c, node, "arch", 0, "arch must name an "
                                   "architecture");
    if (arch) {
        long off = wf_compile_str(c, arch);
        if (off < 0)
            return wf_compile_oom(c);
        td->arch = (uint32_t)off + 1;
    }
    if (cpus) {
        cpus_ctx_t k = {.c = c, .formal = td->formal};
        if (wf_cexpr_list(c, node, "cpus", cpus, 0, 1, resolve_cpus, &k, &e,
                          NULL) < 0 ||
            (wf->exprs.v[e].cls == WF_CLS_CONST &&
             check_range(c, node, "cpus", e, WF_MAX_CPUS, "", &v) < 0))
            return -1;
        td->cpus = e + 1;
    }
    if (mem) {
        if (wf_cexpr_one(c, node, "memory", mem, &e) < 0)
            return -1;
        if (wf->exprs.v[e].cls != WF_CLS_CONST)
            return wf_compile_err_attr(c, node, "memory", 0, "memory must be "
                                       "known when the workflow is loaded "
                                       "(parameters and lets only)");
        if (check_range(c, node, "memory", e, WF_MAX_MEMORY_MB, " MiB", &v) < 0)
            return -1;
        td->memory_mb = v;
    }
    return 0;
}

/* <on-failure policy="fail|retry|cancel-successors|ignore" retries="N">:
 * what a failure of a call does to the run (COMPSs on_failure). */
static int compile_on_failure(wf_comp_t *c, xmlNode *node, taskctx_t *t)
{
    static const struct {
        const char *name;
        tess_on_failure_t v;
    } pols[] = {{"fail", TESS_ON_FAILURE_FAIL},
                {"retry", TESS_ON_FAILURE_RETRY},
                {"cancel-successors", TESS_ON_FAILURE_CANCEL_SUCCESSORS},
                {"ignore", TESS_ON_FAILURE_IGNORE}};
    const char *pol = wf_compile_att(c, node, "policy");
    const char *ret = wf_compile_att(c, node, "retries");
    size_t k = 0;
    while (pol && k < sizeof(pols) / sizeof(pols[0]) &&
           strcmp(pol, pols[k].name) != 0)
        k++;
    if (!pol || k == sizeof(pols) / sizeof(pols[0]))
        return wf_compile_err_attr(c, node, "policy", 0, "policy must be "
                                   "fail, retry, cancel-successors or ignore");
    long off = wf_compile_str(c, pol);
    if (off < 0)
        return wf_compile_oom(c);
    t->td.failure = (uint32_t)off;
    t->td.on_failure = (uint8_t)pols[k].v;
    t->td.retries = ret ? atoi(ret) : (pols[k].v == TESS_ON_FAILURE_RETRY);
    if (ret && pols[k].v != TESS_ON_FAILURE_RETRY)
        return wf_compile_err_attr(c, node, "retries", 0, "retries only "
                                   "applies to policy=\"retry\"");
    if (t->td.retries < 0 || t->td.retries > 100)
        return wf_compile_err_attr(c, node, "retries", 0, "retries must be "
                                   "between 0 and 100");
    return 0;
}

/* <task timeout="SECONDS" isolation="process|none">: how a call runs. */
static int compile_run_attrs(wf_comp_t *c, xmlNode *node, wf_taskdef_t *td)
{
    const char *to = wf_compile_att(c, node, "timeout");
    const char *iso = wf_compile_att(c, node, "isolation");
    if (to) {
        char *end;
        errno = 0;
        double v = strtod(to, &end);
        if (errno || end == to || *end || !(v > 0) || v > 4e6)
            return wf_compile_err_attr(c, node, "timeout", 0, "timeout must "
                                       "be a number of seconds > 0 (at most "
                                       "4000000), not '%s'", to);
        td->timeout = v;
    }
    if (iso) {
        if (strcmp(iso, "process") == 0)
            td->isolation = TESS_ISOLATION_PROCESS;
        else if (strcmp(iso, "none") == 0)
            td->isolation = TESS_ISOLATION_NONE;
        else if (strcmp(iso, "default") != 0)
            return wf_compile_err_attr(c, node, "isolation", 0, "isolation "
                                       "must be process, none or default");
        if (td->timeout > 0 && td->isolation == TESS_ISOLATION_NONE)
            return wf_compile_err_attr(c, node, "isolation", 0, "a task with "
                                       "a timeout runs in an executor "
                                       "process: isolation=\"none\" cannot "
                                       "hold");
    }
    return 0;
}

static int task_child(wf_comp_t *c, xmlNode *node, void *arg)
{
    if (wf_compile_is(node, "param"))
        return compile_formal(c, node, arg);
    if (wf_compile_is(node, "implementation"))
        return compile_impl(c, node, arg);
    if (wf_compile_is(node, "constraints"))
        return compile_constraints(c, node, arg);
    if (wf_compile_is(node, "on-failure"))
        return compile_on_failure(c, node, arg);
    return 0;
}

/* An architecture constraint is exclusive: an implementation for another
 * architecture could never run. */
static int check_impls(wf_comp_t *c, const wf_taskdef_t *td, const char *name)
{
    wf_t *wf = c->wf;
    for (uint32_t k = td->impl; td->arch && k < td->impl + td->nimpl; k++) {
        const wf_impl_t *im = &wf->impls.v[k];
        const char *ia = wf_str(wf, im->arch);
        if (strcmp(ia, wf_str(wf, td->arch - 1)) != 0) {
            errno = EINVAL;
            return wf_err_at(wf, c->err, im->loc, "the implementation of '%s' "
                             "for architecture '%s' can never run: the task "
                             "is constrained to architecture '%s'", name, ia,
                             wf_str(wf, td->arch - 1));
        }
    }
    return 0;
}

int wf_taskdef_compile(wf_comp_t *c, xmlNode *node, void *arg)
{
    wf_t *wf = c->wf;
    const char *name, *kernel;
    const char *prio = wf_compile_att(c, node, "priority");
    (void)arg;
    if (wf_compile_need(c, node, "name", &name, "kernel", &kernel, NULL) < 0)
        return -1;
    long prev = wf_scope_find(&c->tasks, wf, name, strlen(name));
    if (prev >= 0) {
        wf_loc_t l = wf->tasks.v[prev].loc;
        return wf_compile_err_attr(c, node, "name", 0, "task '%s' is already "
                                   "defined at line %u, column %u", name,
                                   l.line, l.col);
    }
    taskctx_t t = {.name = name,
                   .td = {.flags = wf_compile_bool(prio) ? TESS_PRIORITY : 0,
                          .formal = (uint32_t)wf->formals.n,
                          .impl = (uint32_t)wf->impls.n,
                          .loc = wf_xml_node_loc(c->x, node)}};
    if (parse_kernel(c, node, kernel, &t.td.kernel, &t.td.lib,
                     &t.td.symbol) < 0 ||
        compile_run_attrs(c, node, &t.td) < 0)
        return -1;
    long tname = wf_compile_str(c, name);
    long failure = tname < 0 ? -1 : wf_compile_str(c, "fail");
    if (failure < 0)
        return wf_compile_oom(c);
    t.td.name = (uint32_t)tname;
    t.td.failure = (uint32_t)failure;
    if (wf_compile_elems(c, node, task_child, &t) < 0 ||
        check_impls(c, &t.td, name) < 0)
        return -1;
    t.td.nformal = (uint32_t)(wf->formals.n - t.td.formal);
    long i = WF_PUSH(wf->tasks);
    if (i < 0 || wf_scope_put(&c->tasks, wf, (uint32_t)tname, (uint32_t)i) < 0)
        return wf_compile_oom(c);
    wf->tasks.v[i] = t.td;
    return 0;
}

int wf_taskdef_impl_view(wf_comp_t *c)
{
    wf_t *wf = c->wf;
    if (!wf->impls.n)
        return 0;
    wf->impl_view = calloc(wf->impls.n, sizeof(*wf->impl_view));
    if (!wf->impl_view)
        return wf_compile_oom(c);
    for (size_t i = 0; i < wf->impls.n; i++) {
        wf->impl_view[i].arch = wf_str(wf, wf->impls.v[i].arch);
        wf->impl_view[i].kernel = wf_str(wf, wf->impls.v[i].kernel);
    }
    return 0;
}
