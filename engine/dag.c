/* dag.c - dependence analysis over versions of array regions and files. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "engine/dag.h"
#include "engine/pool.h"
#include "engine/rmap.h"

/* A piece found while analysing a submission, before the task's parameter
 * block is allocated (its size depends on how many pieces there are). */
struct scratch_src {
    dag_version_t *v;
    region_t piece;
};

struct dag {
    dag_hooks_t hooks;
    pool_t *tasks;
    pool_t *nodes;
    pool_blobs_t *blobs;

    dag_data_t **data; /* by id - 1 */
    size_t ndata, data_cap;

    dag_task_t *hi_head, *hi_tail; /* ready, priority */
    dag_task_t *lo_head, *lo_tail; /* ready, normal */

    struct scratch_src *scr;
    size_t nscr, scr_cap;

    uint64_t next_task_id;
    dag_stats_t st;
};

/* ---- versions and data ---------------------------------------------- */

static size_t version_size(int rank)
{
    return sizeof(dag_version_t) + 2 * sizeof(int64_t) * (size_t)rank;
}

static void data_unref(dag_data_t *d)
{
    if (--d->refs > 0)
        return;
    dag_t *dag = d->dag;
    if (dag->hooks.data_free)
        dag->hooks.data_free(dag->hooks.ctx, d);
    dag->data[d->id - 1] = NULL;
    free(d->name);
    free(d);
}

void dag_version_retain(dag_version_t *v)
{
    v->refs++;
}

void dag_version_release(dag_t *dag, dag_version_t *v)
{
    if (--v->refs > 0)
        return;
    dag_data_t *d = v->data;
    if (dag->hooks.version_free)
        dag->hooks.version_free(dag->hooks.ctx, v);
    pool_blobs_free(dag->blobs, v, version_size(d->rank));
    dag->st.live_versions--;
    data_unref(d);
}

static void map_retain(void *val)
{
    dag_version_retain(val);
}

static void map_release(void *val)
{
    dag_version_t *v = val;
    dag_version_release(v->data->dag, v);
}

static const rmap_ops_t map_ops = {map_retain, map_release};

static dag_version_t *version_new(dag_t *dag, dag_data_t *d,
                                  const region_t *box)
{
    dag_version_t *v = pool_blobs_alloc(dag->blobs, version_size(d->rank));
    if (!v)
        return NULL;
    v->data = d;
    v->writer = NULL;
    v->writer_id = 0;
    v->payload = NULL;
    v->number = d->next_version++;
    v->refs = 0;
    v->state = DAG_V_PENDING;
    v->undefined = 0;
    for (int i = 0; i < d->rank; i++) {
        v->box[i] = box->start[i];
        v->box[d->rank + i] = box->count[i];
    }
    d->refs++;
    dag->st.versions++;
    dag->st.live_versions++;
    return v;
}

static dag_data_t *data_new(dag_t *dag, enum dag_data_kind kind,
                            const char *name, tess_type_t type, int rank,
                            const int64_t *shape, dag_version_t **v0,
                            tess_error_t *err)
{
    if (dag->ndata == dag->data_cap) {
        size_t cap = dag->data_cap ? dag->data_cap * 2 : 64;
        dag_data_t **nd = realloc(dag->data, cap * sizeof(*nd));
        if (!nd)
            goto nomem;
        dag->data = nd;
        dag->data_cap = cap;
    }
    dag_data_t *d = calloc(1, sizeof(*d));
    if (!d)
        goto nomem;
    d->name = strdup(name);
    if (!d->name) {
        free(d);
        goto nomem;
    }
    d->dag = dag;
    d->id = dag->ndata + 1;
    d->kind = kind;
    d->type = type;
    d->rank = rank;
    if (rank)
        memcpy(d->shape, shape, sizeof(int64_t) * (size_t)rank);
    d->refs = 1; /* held until dag_delete */
    dag->data[dag->ndata++] = d;

    region_t full;
    region_full(&full, rank, shape);
    dag_version_t *v = version_new(dag, d, &full);
    if (!v)
        goto nomem_data;
    v->state = DAG_V_DONE;
    d->map = rmap_create(rank, shape, v, &map_ops, dag->nodes);
    if (!d->map) {
        v->refs = 1;
        dag_version_release(dag, v);
        goto nomem_data;
    }
    if (v0)
        *v0 = v;
    return d;
nomem_data:
    /* d stays registered with refs 1; delete it properly. */
    dag_delete(dag, d);
nomem:
    errno = ENOMEM;
    tess_errprintf(err, "out of memory declaring '%s'", name);
    return NULL;
}

dag_data_t *dag_array(dag_t *dag, const char *name, tess_type_t type,
                      int rank, const int64_t *shape, dag_version_t **v0,
                      tess_error_t *err)
{
    if (tess_type_size(type) == 0) {
        errno = EINVAL;
        tess_errprintf(err, "array '%s': unknown element type %d", name,
                       (int)type);
        return NULL;
    }
    if (rank < 1 || rank > TESS_MAX_RANK) {
        errno = EINVAL;
        tess_errprintf(err, "array '%s': rank %d is not in 1..%d", name,
                       rank, TESS_MAX_RANK);
        return NULL;
    }
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0) {
            errno = EINVAL;
            tess_errprintf(err, "array '%s': dimension %d is negative (%lld)",
                           name, i, (long long)shape[i]);
            return NULL;
        }
        if (shape[i] > 0 && numel > INT64_MAX / 16 / shape[i]) {
            errno = EOVERFLOW;
            tess_errprintf(err, "array '%s': too many elements", name);
            return NULL;
        }
        numel *= shape[i];
    }
    return data_new(dag, DAG_ARRAY, name, type, rank, shape, v0, err);
}

dag_data_t *dag_file(dag_t *dag, const char *path, dag_version_t **v0,
                     tess_error_t *err)
{
    return data_new(dag, DAG_FILE, path, TESS_U8, 0, NULL, v0, err);
}

dag_data_t *dag_data_get(const dag_t *dag, uint64_t id)
{
    if (id == 0 || id > dag->ndata)
        return NULL;
    dag_data_t *d = dag->data[id - 1];
    return d && d->map ? d : NULL;
}

uint64_t dag_data_count(const dag_t *dag)
{
    return dag->ndata;
}

int dag_delete(dag_t *dag, dag_data_t *d)
{
    if (!d || !d->map) {
        errno = ENOENT;
        return -1;
    }
    rmap_t *m = d->map;
    d->map = NULL;
    rmap_destroy(m);
    data_unref(d);
    return 0;
}

/* ---- the graph -------------------------------------------------------- */

dag_t *dag_create(const dag_hooks_t *hooks)
{
    dag_t *dag = calloc(1, sizeof(*dag));
    if (!dag)
        return NULL;
    if (hooks)
        dag->hooks = *hooks;
    dag->tasks = pool_create(sizeof(dag_task_t));
    dag->nodes = pool_create(rmap_node_size());
    dag->blobs = pool_blobs_create();
    if (!dag->tasks || !dag->nodes || !dag->blobs) {
        dag_destroy(dag);
        errno = ENOMEM;
        return NULL;
    }
    dag->next_task_id = 1;
    return dag;
}

static void task_release(dag_t *dag, dag_task_t *t);

void dag_destroy(dag_t *dag)
{
    int saved = errno;
    if (!dag)
        return;
    /* Ready tasks are the only ones the dag can still reach; waiting or
     * running tasks belong to an executor that is gone by now. Their
     * records go with the pools. */
    while (dag->hi_head || dag->lo_head) {
        dag_task_t *t = dag_pop_ready(dag);
        task_release(dag, t);
    }
    for (size_t i = 0; i < dag->ndata; i++) {
        dag_data_t *d = dag->data[i];
        if (d && d->map)
            dag_delete(dag, d);
    }
    /* Data still referenced by versions of dropped tasks: their records
     * go with the pools, the data objects here. */
    for (size_t i = 0; i < dag->ndata; i++) {
        dag_data_t *d = dag->data[i];
        if (!d)
            continue;
        if (dag->hooks.data_free)
            dag->hooks.data_free(dag->hooks.ctx, d);
        free(d->name);
        free(d);
    }
    free(dag->data);
    free(dag->scr);
    pool_destroy(dag->tasks);
    pool_destroy(dag->nodes);
    pool_blobs_destroy(dag->blobs);
    free(dag);
    errno = saved;
}

uint64_t dag_now_ns(void)
{
    return clock_wall_ns();
}

static void ready_push(dag_t *dag, dag_task_t *t)
{
    t->state = DAG_T_READY;
    if (!t->ready_ns)
        t->ready_ns = dag_now_ns();
    t->next = NULL;
    dag_task_t **head = &dag->lo_head, **tail = &dag->lo_tail;
    if (t->flags & TESS_PRIORITY) {
        head = &dag->hi_head;
        tail = &dag->hi_tail;
    }
    if (*tail)
        (*tail)->next = t;
    else
        *head = t;
    *tail = t;
    dag->st.ready++;
}

dag_task_t *dag_pop_ready(dag_t *dag)
{
    dag_task_t **head = &dag->hi_head, **tail = &dag->hi_tail;
    if (!*head) {
        head = &dag->lo_head;
        tail = &dag->lo_tail;
    }
    dag_task_t *t = *head;
    if (!t)
        return NULL;
    *head = t->next;
    if (!*head)
        *tail = NULL;
    t->next = NULL;
    t->state = DAG_T_RUNNING;
    dag->st.ready--;
    return t;
}

void dag_requeue(dag_t *dag, dag_task_t *t)
{
    ready_push(dag, t);
}

static int add_edge(dag_t *dag, dag_task_t *from, dag_task_t *to,
                    const dag_version_t *v)
{
    /* Edges to one task are added consecutively, so a duplicate can only be
     * the last successor added. */
    if (from->nsucc && from->succ[from->nsucc - 1] == to)
        return 0;
    if (from->nsucc == from->succ_cap) {
        uint32_t cap = from->succ_cap ? from->succ_cap * 2 : 4;
        dag_task_t **ns = pool_blobs_alloc(dag->blobs, cap * sizeof(*ns));
        if (!ns)
            return -1;
        if (from->nsucc)
            memcpy(ns, from->succ, from->nsucc * sizeof(*ns));
        pool_blobs_free(dag->blobs, from->succ, from->succ_cap * sizeof(*ns));
        from->succ = ns;
        from->succ_cap = cap;
    }
    from->succ[from->nsucc++] = to;
    to->npending++;
    dag->st.edges++;
    (void)v;
    return 0;
}

static int scratch_visit(void *ctx, void *val, const region_t *piece)
{
    dag_t *dag = ctx;
    if (dag->nscr == dag->scr_cap) {
        size_t cap = dag->scr_cap ? dag->scr_cap * 2 : 64;
        struct scratch_src *n = realloc(dag->scr, cap * sizeof(*n));
        if (!n)
            return -1;
        dag->scr = n;
        dag->scr_cap = cap;
    }
    dag->scr[dag->nscr].v = val;
    dag->scr[dag->nscr].piece = *piece;
    dag->nscr++;
    return 0;
}

/* Check one parameter and compute the region it accesses. */
static int check_param(const dag_t *dag, int i, const tess_param_t *p,
                       const char *kname, region_t *reg, dag_data_t **dout,
                       tess_error_t *err)
{
    *dout = NULL;
    reg->rank = 0;
    switch (p->kind) {
    case TESS_P_INT:
    case TESS_P_DOUBLE:
        return 0;
    case TESS_P_STRING:
        if (!p->value.s) {
            errno = EINVAL;
            return tess_errprintf(err, "task %s: parameter %d: NULL string",
                                  kname, i);
        }
        return 0;
    case TESS_P_DATA:
        break;
    default:
        errno = EINVAL;
        return tess_errprintf(err, "task %s: parameter %d: unknown kind %d",
                              kname, i, (int)p->kind);
    }
    dag_data_t *d = dag_data_get(dag, p->data);
    if (!d) {
        errno = ENOENT;
        return tess_errprintf(err,
                              "task %s: parameter %d: no such data (handle "
                              "%llu: never declared or deleted)",
                              kname, i, (unsigned long long)p->data);
    }
    if (p->dir != TESS_IN && p->dir != TESS_OUT && p->dir != TESS_INOUT) {
        errno = EINVAL;
        return tess_errprintf(err, "task %s: parameter %d (%s): bad direction %d",
                              kname, i, d->name, (int)p->dir);
    }
    char buf[256];
    if (p->rank == 0) {
        region_full(reg, d->rank, d->shape);
    } else if (p->rank == TESS_ROWS_RANK) {
        /* tess_rows(): a range of the first dimension, the rest whole. */
        if (d->kind == DAG_FILE) {
            errno = EINVAL;
            return tess_errprintf(err, "task %s: parameter %d (%s): a file "
                                  "has no rows", kname, i, d->name);
        }
        region_full(reg, d->rank, d->shape);
        reg->start[0] = p->start[0];
        reg->count[0] = p->count[0];
    } else {
        if (d->kind == DAG_FILE || p->rank != d->rank) {
            errno = EINVAL;
            return tess_errprintf(err,
                                  "task %s: parameter %d (%s): region of rank "
                                  "%d on data of rank %d",
                                  kname, i, d->name, p->rank, d->rank);
        }
        reg->rank = p->rank;
        memcpy(reg->start, p->start, sizeof(int64_t) * (size_t)p->rank);
        memcpy(reg->count, p->count, sizeof(int64_t) * (size_t)p->rank);
    }
    if (p->rank != 0 && !region_within(reg, d->rank, d->shape)) {
        bool rows = p->rank == TESS_ROWS_RANK;
        errno = ERANGE;
        return tess_errprintf(err, "task %s: parameter %d (%s): %s %s %s "
                              "outside the array", kname, i, d->name,
                              rows ? "rows" : "region",
                              region_format(reg, buf, sizeof(buf)),
                              rows ? "are" : "is");
    }
    *dout = d;
    return 0;
}

dag_task_t *dag_submit(dag_t *dag, uint32_t kernel, const char *kname,
                       unsigned flags, int nparams, const tess_param_t *params,
                       tess_error_t *err)
{
    region_t regs[nparams > 0 ? nparams : 1];
    dag_data_t *datas[nparams > 0 ? nparams : 1];
    uint32_t first_src[nparams > 0 ? nparams : 1];
    uint32_t nsrc[nparams > 0 ? nparams : 1];

    if (nparams < 0 || nparams > UINT16_MAX) {
        errno = EINVAL;
        tess_errprintf(err, "task %s: %d parameters", kname, nparams);
        return NULL;
    }

    /* Pass 1: validate, find the pieces read, size the parameter block. */
    size_t bytes = sizeof(dag_param_t) * (size_t)nparams;
    dag->nscr = 0;
    for (int i = 0; i < nparams; i++) {
        const tess_param_t *p = &params[i];
        if (check_param(dag, i, p, kname, &regs[i], &datas[i], err) < 0)
            return NULL;
        first_src[i] = (uint32_t)dag->nscr;
        nsrc[i] = 0;
        if (p->kind == TESS_P_STRING)
            bytes += strlen(p->value.s) + 1;
        if (!datas[i])
            continue;
        bytes += 2 * sizeof(int64_t) * (size_t)datas[i]->rank;
        if (p->dir != TESS_OUT) {
            if (rmap_query(datas[i]->map, &regs[i], scratch_visit, dag) < 0) {
                errno = ENOMEM;
                tess_errprintf(err, "task %s: out of memory", kname);
                return NULL;
            }
            nsrc[i] = (uint32_t)dag->nscr - first_src[i];
            bytes += nsrc[i] * (sizeof(dag_src_t) +
                                2 * sizeof(int64_t) * (size_t)datas[i]->rank);
            /* reading what nobody wrote, of an array without an initial
             * value, is a mistake of the program, not zeros */
            for (uint32_t k = first_src[i]; k < dag->nscr; k++) {
                const dag_version_t *v = dag->scr[k].v;
                if (v->undefined) {
                    char buf[256];
                    errno = EINVAL;
                    tess_errprintf(err, "task %s: parameter %d reads %s%s, "
                                   "which no task has written, and array "
                                   "'%s' has no initial value", kname, i,
                                   datas[i]->name,
                                   region_format(&dag->scr[k].piece, buf,
                                                 sizeof(buf)),
                                   datas[i]->name);
                    return NULL;
                }
            }
        }
    }
    bytes = (bytes + 15) & ~(size_t)15;

    dag_task_t *t = pool_alloc(dag->tasks);
    char *blk = bytes ? pool_blobs_alloc(dag->blobs, bytes) : NULL;
    if (!t || (bytes && !blk)) {
        pool_free(dag->tasks, t);
        errno = ENOMEM;
        tess_errprintf(err, "task %s: out of memory", kname);
        return NULL;
    }
    memset(t, 0, sizeof(*t));
    t->id = dag->next_task_id++;
    t->kernel = kernel;
    t->nparams = (uint16_t)nparams;
    t->flags = (uint8_t)(flags & TESS_PRIORITY);
    t->params = (dag_param_t *)blk;
    t->params_bytes = bytes;
    t->state = DAG_T_WAITING;
    t->attempt = 1;
    t->submit_ns = dag_now_ns();
    dag->st.submitted++;
    if (++dag->st.live_tasks > dag->st.peak_live_tasks)
        dag->st.peak_live_tasks = dag->st.live_tasks;
    if (dag->hooks.trace_task)
        dag->hooks.trace_task(dag->hooks.ctx, t);

    /* Pass 2: fill the block; reads first, so a task never depends on its
     * own writes. Failed inputs doom the task. */
    char *cur = blk + sizeof(dag_param_t) * (size_t)nparams;
    uint64_t last_traced = 0;
    for (int i = 0; i < nparams; i++) {
        const tess_param_t *p = &params[i];
        dag_param_t *dp = &t->params[i];
        memset(dp, 0, sizeof(*dp));
        dp->kind = (uint8_t)p->kind;
        dp->dir = (uint8_t)(p->kind == TESS_P_DATA ? p->dir : TESS_IN);
        switch (p->kind) {
        case TESS_P_INT:
            dp->value.i = p->value.i;
            continue;
        case TESS_P_DOUBLE:
            dp->value.d = p->value.d;
            continue;
        case TESS_P_STRING: {
            size_t n = strlen(p->value.s) + 1;
            memcpy(cur, p->value.s, n);
            dp->value.s = cur;
            cur += n;
            continue;
        }
        default:
            break;
        }
        dag_data_t *d = datas[i];
        int r = d->rank;
        dp->data = d;
        dp->rank = (uint8_t)r;
        cur = (char *)(((uintptr_t)cur + 7) & ~(uintptr_t)7);
        dp->box = (int64_t *)cur;
        cur += 2 * sizeof(int64_t) * (size_t)r;
        for (int k = 0; k < r; k++) {
            dp->box[k] = regs[i].start[k];
            dp->box[r + k] = regs[i].count[k];
        }
        dp->nsrc = nsrc[i];
        if (!nsrc[i])
            continue;
        dp->src = (dag_src_t *)cur;
        cur += sizeof(dag_src_t) * nsrc[i];
        for (uint32_t s = 0; s < nsrc[i]; s++) {
            struct scratch_src *sc = &dag->scr[first_src[i] + s];
            dag_src_t *ds = &dp->src[s];
            ds->v = sc->v;
            ds->box = (int64_t *)cur;
            cur += 2 * sizeof(int64_t) * (size_t)r;
            for (int k = 0; k < r; k++) {
                ds->box[k] = sc->piece.start[k];
                ds->box[r + k] = sc->piece.count[k];
            }
            dag_version_retain(sc->v);
            if (dag->hooks.trace_edge && sc->v->writer_id &&
                sc->v->writer_id != last_traced) {
                last_traced = sc->v->writer_id;
                dag->hooks.trace_edge(dag->hooks.ctx, sc->v->writer_id, t,
                                      sc->v);
            }
            if (sc->v->state == DAG_V_FAILED)
                t->flags |= DAG_TASK_DOOMED;
            else if (sc->v->state == DAG_V_PENDING &&
                     add_edge(dag, sc->v->writer, t, sc->v) < 0)
                goto nomem;
        }
    }
    for (int i = 0; i < nparams; i++) {
        dag_param_t *dp = &t->params[i];
        if (dp->kind != TESS_P_DATA || dp->dir == TESS_IN ||
            region_is_empty(&regs[i]))
            continue;
        dag_version_t *v = version_new(dag, dp->data, &regs[i]);
        if (!v)
            goto nomem;
        v->writer = t;
        v->writer_id = t->id;
        v->refs = 1; /* the writer's reference */
        dp->out = v;
        if (rmap_write(dp->data->map, &regs[i], v) < 0)
            goto nomem;
    }
    if (t->npending == 0)
        ready_push(dag, t);
    return t;

nomem:
    /* The graph already points at this task: it cannot be unwound
     * cleanly, so it is doomed, and fails instead of running. */
    t->flags |= DAG_TASK_DOOMED;
    if (t->npending == 0)
        ready_push(dag, t);
    errno = ENOMEM;
    tess_errprintf(err, "task %s: out of memory during analysis", kname);
    return t;
}

static void task_release(dag_t *dag, dag_task_t *t)
{
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        for (uint32_t s = 0; s < dp->nsrc; s++)
            dag_version_release(dag, dp->src[s].v);
        if (dp->out) {
            if (dp->out->writer == t)
                dp->out->writer = NULL;
            dag_version_release(dag, dp->out);
        }
    }
    pool_blobs_free(dag->blobs, t->params, t->params_bytes);
    pool_blobs_free(dag->blobs, t->succ, t->succ_cap * sizeof(*t->succ));
    pool_free(dag->tasks, t);
    dag->st.live_tasks--;
}

void dag_complete(dag_t *dag, dag_task_t *t, int ok)
{
    for (int i = 0; i < t->nparams; i++) {
        dag_version_t *v = t->params[i].out;
        if (v) {
            v->state = ok ? DAG_V_DONE : DAG_V_FAILED;
            v->writer = NULL;
        }
    }
    for (uint32_t s = 0; s < t->nsucc; s++) {
        dag_task_t *n = t->succ[s];
        if (!ok)
            n->flags |= DAG_TASK_DOOMED;
        if (--n->npending == 0)
            ready_push(dag, n);
    }
    dag->st.completed++;
    task_release(dag, t);
}

dag_version_t *dag_put(dag_t *dag, dag_data_t *d, const region_t *box,
                       tess_error_t *err)
{
    region_t full;
    if (!d || !d->map || d->kind != DAG_ARRAY || box->rank != d->rank) {
        errno = EINVAL;
        tess_errprintf(err, "%s: not an array of this run, or deleted",
                       d ? d->name : "data");
        return NULL;
    }
    region_full(&full, d->rank, d->shape);
    if (region_is_empty(box) || !region_contains(&full, box)) {
        char b[256];
        errno = EINVAL;
        tess_errprintf(err, "%s%s: empty or outside the array", d->name,
                       region_format(box, b, sizeof(b)));
        return NULL;
    }
    dag_version_t *v = version_new(dag, d, box);
    if (!v) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", d->name);
        return NULL;
    }
    v->state = DAG_V_DONE;
    v->refs = 1; /* the caller's */
    return v;
}

int dag_put_commit(dag_t *dag, dag_version_t *v)
{
    region_t box;
    box_get(v->data->rank, v->box, &box);
    int rc = v->data->map ? rmap_write(v->data->map, &box, v) : -1;
    int e = v->data->map ? ENOMEM : ENOENT;
    dag_version_release(dag, v); /* the map holds it now, or nobody */
    if (rc < 0)
        errno = e;
    return rc;
}

struct current_ctx {
    dag_piece_f visit;
    void *ctx;
};

static int current_visit(void *ctx, void *val, const region_t *piece)
{
    struct current_ctx *c = ctx;
    return c->visit(c->ctx, val, piece);
}

int dag_current(const dag_t *dag, dag_data_t *d, const region_t *r,
                dag_piece_f visit, void *ctx)
{
    (void)dag;
    region_t full;
    struct current_ctx c = {visit, ctx};
    if (!d->map) {
        errno = ENOENT;
        return -1;
    }
    if (!r) {
        region_full(&full, d->rank, d->shape);
        r = &full;
    }
    return rmap_query(d->map, r, current_visit, &c);
}

void dag_get_stats(const dag_t *dag, dag_stats_t *st)
{
    *st = dag->st;
    st->bytes = pool_bytes(dag->tasks) + pool_bytes(dag->nodes) +
                pool_blobs_bytes(dag->blobs) + dag->data_cap * sizeof(void *) +
                dag->scr_cap * sizeof(struct scratch_src);
}
