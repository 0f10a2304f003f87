/*
 * exec_mpi.c - the executor whose workers are the other ranks of an MPI job.
 *
 * Rank 0 (this process) keeps, per version, where its elements are
 * (struct mver): nowhere (zeros: payload NULL), inline (small values, held
 * here and shipped inside task descriptors), or in its HDF5 fragment file
 * under RUN_DIR/frags (large values, written by the worker that produced
 * them and cached in that worker's memory; the scheduler prefers that
 * worker for the readers). Files are paths (see filever.h).
 *
 * Messages are batched: one MPI message per worker per dispatch round
 * carries every task descriptor for it, one message per worker wake-up
 * carries every completion. See docs/design.md, "Protocol".
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/namelist.h"
#include "proto/backoff.h"
#include "runtime/exec.h"
#include "runtime/exec_mpi.h"
#include "io/filever.h"
#include "engine/kclass.h"
#include "proto/proto.h"
#include "runtime/sched.h"
#include "proto/sendq.h"
#include "base/box.h"
#include "io/h5frag.h"

enum { LOC_INLINE = 1, LOC_FRAG = 2, LOC_PATH = 3 };

struct mver {
    uint8_t loc;
    int owner;     /* worker index holding it in cache, -1 none */
    size_t bytes;
    void *data;    /* LOC_INLINE */
    char *path;    /* LOC_PATH (file versions) */
};

struct mworker {
    int rank;
    int slots;
    int64_t memory_mb; /* what the worker may use, 0: not known */
    char host[64], node[64], arch[32], exe[256];
    pbuf_t out;       /* records to send */
    pbuf_t drops;     /* (id, version) pairs to forget */
    uint8_t *known;   /* kernels announced */
    size_t nknown;
    uint64_t tasks, frag_bytes, inline_bytes, cache_peak, cache_reads,
        frag_reads;
    int bye;
};

typedef struct xmpi {
    exec_t base;
    MPI_Comm comm;
    int nw;
    struct mworker *w;
    sched_t *sched;
    sendq_t *sendq;
    const kreg_t *kernels;
    char *run_dir, *workdir;
    size_t inline_max;
    uint8_t *in;
    size_t incap;
    FILE *trace;
    exec_done_f done;
    void *done_ctx;
    int ndone;
    char err[512];
} xmpi_t;

static int mpi_err(xmpi_t *x, int rc, const char *what)
{
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, s, &n);
    snprintf(x->err, sizeof(x->err), "MPI %s: %s", what, s);
    return -1;
}

/* ---- locality ------------------------------------------------------------ */

static uint64_t locality(void *ctx, const dag_task_t *t, int w)
{
    (void)ctx;
    uint64_t bytes = 0;
    for (int i = 0; i < t->nparams; i++) {
        const dag_param_t *dp = &t->params[i];
        for (uint32_t s = 0; s < dp->nsrc; s++) {
            const struct mver *m = dp->src[s].v->payload;
            if (m && m->loc == LOC_FRAG && m->owner == w)
                bytes += m->bytes;
        }
    }
    return bytes;
}

static const char *arch_of(const struct mworker *w)
{
    return w->arch[0] ? w->arch : "default";
}

static int eligible(void *ctx, const dag_task_t *t, int w)
{
    const xmpi_t *x = ctx;
    return kclass_allows(t->kclass, arch_of(&x->w[w]));
}

static int cost(void *ctx, const dag_task_t *t)
{
    (void)ctx;
    return t->kclass ? t->kclass->cpus : 1;
}

static int64_t memory(void *ctx, const dag_task_t *t)
{
    (void)ctx;
    return t->kclass ? t->kclass->memory_mb : 0;
}

static const sched_ops_t sched_ops = {locality, eligible, cost, memory};

/* ---- encoding tasks ---------------------------------------------------- */

static size_t elsize_of(const dag_data_t *d)
{
    return tess_type_size(d->type);
}

static int encode_data(xmpi_t *x, pbuf_t *b, dag_param_t *dp)
{
    dag_data_t *d = dp->data;
    int r = dp->rank;
    pbuf_u64(b, d->id);
    pbuf_u8(b, (uint8_t)d->kind);
    pbuf_u8(b, (uint8_t)d->type);
    pbuf_u8(b, (uint8_t)r);
    pbuf_i64s(b, dp->box, 2 * (size_t)r);
    if (d->kind == DAG_FILE) {
        if (dp->dir != TESS_OUT) {
            const struct mver *m = dp->src[0].v->payload;
            pbuf_str(b, m ? m->path : d->name);
        }
        if (dp->dir != TESS_IN) {
            struct mver *m = calloc(1, sizeof(*m));
            if (!m || !(m->path = filever_path(x->workdir, d->id,
                                               dp->out->number, d->name))) {
                free(m);
                return -1;
            }
            m->loc = LOC_PATH;
            m->owner = -1;
            dp->out->payload = m;
            pbuf_str(b, m->path);
        }
        return 0;
    }
    if (dp->dir != TESS_OUT) {
        pbuf_u32(b, dp->nsrc);
        for (uint32_t s = 0; s < dp->nsrc; s++) {
            const dag_src_t *src = &dp->src[s];
            const struct mver *m = src->v->payload;
            pbuf_u32(b, src->v->number);
            pbuf_i64s(b, src->box, 2 * (size_t)r);
            if (!m) {
                pbuf_u8(b, PROTO_LOC_ZERO);
            } else if (m->loc == LOC_INLINE) {
                pbuf_u8(b, PROTO_LOC_INLINE);
                int64_t n = 1, vstart[TESS_MAX_RANK], zero[TESS_MAX_RANK] = {0};
                for (int k = 0; k < r; k++) {
                    n *= src->box[r + k];
                    vstart[k] = src->box[k] - src->v->box[k];
                }
                void *dst = pbuf_grow(b, (size_t)n * elsize_of(d));
                if (!dst)
                    return -1;
                box_copy(elsize_of(d), r, m->data, src->v->box + r, vstart, dst,
                         src->box + r, zero, src->box + r);
            } else {
                pbuf_u8(b, PROTO_LOC_FRAG);
            }
        }
    }
    if (dp->dir != TESS_IN) {
        int64_t n = 1;
        for (int k = 0; k < r; k++)
            n *= dp->box[r + k];
        pbuf_u32(b, dp->out->number);
        pbuf_u8(b, (size_t)n * elsize_of(d) <= x->inline_max ? PROTO_OUT_INLINE
                                                               : PROTO_OUT_FRAG);
    }
    return 0;
}

static int encode_task(xmpi_t *x, int wi, dag_task_t *t)
{
    struct mworker *w = &x->w[wi];
    pbuf_t *b = &w->out;
    /* The worker's own implementation of the task, if it has one. */
    uint32_t kernel = t->kclass ? kclass_kernel_for(t->kclass, arch_of(w))
                                : t->kernel;
    if (kernel >= w->nknown) {
        size_t n = kernel + 32;
        uint8_t *k = realloc(w->known, n);
        if (!k)
            return -1;
        memset(k + w->nknown, 0, n - w->nknown);
        w->known = k;
        w->nknown = n;
    }
    if (!w->known[kernel]) {
        size_t rec = pbuf_begin_record(b, PROTO_KERNEL);
        pbuf_u32(b, kernel);
        pbuf_str(b, kreg_name(x->kernels, kernel));
        pbuf_end_record(b, rec);
        w->known[kernel] = 1;
    }
    size_t rec = pbuf_begin_record(b, PROTO_TASK);
    pbuf_u64(b, (uint64_t)(uintptr_t)t);
    pbuf_u64(b, t->id);
    pbuf_u32(b, kernel);
    pbuf_u16(b, t->nparams);
    pbuf_u8(b, t->flags);
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        pbuf_u8(b, dp->kind);
        pbuf_u8(b, dp->dir);
        switch (dp->kind) {
        case TESS_P_INT:
            pbuf_u64(b, (uint64_t)dp->value.i);
            break;
        case TESS_P_DOUBLE:
            pbuf_f64(b, dp->value.d);
            break;
        case TESS_P_STRING:
            pbuf_str(b, dp->value.s);
            break;
        default:
            if (encode_data(x, b, dp) < 0)
                return -1;
        }
    }
    pbuf_end_record(b, rec);
    t->exec = (void *)(uintptr_t)(wi + 1);
    return b->err ? -1 : 0;
}

static int flush_worker(xmpi_t *x, struct mworker *w)
{
    if (w->drops.len) {
        size_t rec = pbuf_begin_record(&w->out, PROTO_DROP);
        pbuf_bytes(&w->out, w->drops.data, w->drops.len);
        pbuf_end_record(&w->out, rec);
        pbuf_reset(&w->drops);
    }
    if (!w->out.len)
        return 0;
    if (w->out.err) {
        snprintf(x->err, sizeof(x->err), "out of memory encoding tasks");
        return -1;
    }
    return sendq_post(x->sendq, &w->out, w->rank, x->err, sizeof(x->err));
}

/* Place every queued task that has a free slot, then send the batches. */
static int assign(xmpi_t *x)
{
    dag_task_t *t;
    int wi, rc = 0;
    while ((t = sched_pick(x->sched, &wi)) != NULL)
        if (encode_task(x, wi, t) < 0) {
            snprintf(x->err, sizeof(x->err), "out of memory encoding tasks");
            rc = -1;
        }
    for (int i = 0; i < x->nw; i++)
        if (flush_worker(x, &x->w[i]) < 0)
            rc = -1;
    return rc;
}

static int xm_dispatch(exec_t *e, dag_task_t *list)
{
    xmpi_t *x = (xmpi_t *)e;
    while (list) {
        dag_task_t *t = list;
        list = t->next;
        sched_push(x->sched, t);
    }
    return assign(x);
}

/* ---- receiving ----------------------------------------------------------- */

static int worker_of_rank(const xmpi_t *x, int rank)
{
    for (int i = 0; i < x->nw; i++)
        if (x->w[i].rank == rank)
            return i;
    return -1;
}

static void handle_done(xmpi_t *x, int wi, preader_t *p)
{
    dag_task_t *t = (dag_task_t *)(uintptr_t)preader_u64(p);
    int ok = preader_u8(p);
    char msg[512];
    preader_str(p, msg, sizeof(msg));
    uint64_t t0 = preader_u64(p), t1 = preader_u64(p);
    int nouts = preader_u16(p);
    for (int k = 0; k < nouts && !p->err; k++) {
        int pi = preader_u16(p);
        uint8_t mode = preader_u8(p);
        if (pi >= t->nparams || !t->params[pi].out) {
            p->err = 1;
            break;
        }
        dag_version_t *v = t->params[pi].out;
        struct mver *m = calloc(1, sizeof(*m));
        if (!m) {
            ok = 0;
            snprintf(msg, sizeof(msg), "engine: out of memory");
            break;
        }
        m->owner = wi;
        if (mode == PROTO_OUT_INLINE) {
            uint64_t n = preader_u64(p);
            const void *src = preader_bytes(p, n);
            m->loc = LOC_INLINE;
            m->bytes = n;
            m->data = malloc(n ? n : 1);
            if (m->data && src)
                memcpy(m->data, src, n);
        } else {
            int64_t n = 1;
            for (int d = 0; d < v->data->rank; d++)
                n *= v->box[v->data->rank + d];
            m->loc = LOC_FRAG;
            m->bytes = (size_t)n * tess_type_size(v->data->type);
        }
        v->payload = m;
    }
    if (p->err) {
        ok = 0;
        snprintf(msg, sizeof(msg), "corrupt completion from rank %d",
                 x->w[wi].rank);
    }
    if (x->trace) {
        uint32_t k = t->kclass ? kclass_kernel_for(t->kclass, arch_of(&x->w[wi]))
                               : t->kernel;
        fprintf(x->trace, "%" PRIu64 ",%s,%d,%s,%s,%" PRIu64 ",%" PRIu64 ",%d\n",
                t->id, kreg_name(x->kernels, k), x->w[wi].rank, x->w[wi].node,
                arch_of(&x->w[wi]), t0, t1, ok);
    }
    sched_release(x->sched, wi, t);
    x->done(x->done_ctx, t, ok, ok ? NULL : msg);
    x->ndone++;
}

static void handle_hello(xmpi_t *x, int wi, preader_t *p)
{
    struct mworker *w = &x->w[wi];
    uint32_t bom = preader_u32(p);
    w->slots = (int)preader_u32(p);
    preader_str(p, w->host, sizeof(w->host));
    preader_str(p, w->arch, sizeof(w->arch));
    preader_str(p, w->node, sizeof(w->node));
    preader_str(p, w->exe, sizeof(w->exe));
    w->memory_mb = (int64_t)preader_u64(p);
    if (bom != PROTO_BOM || p->err)
        w->slots = -1;
}

static void handle_bye(xmpi_t *x, int wi, preader_t *p)
{
    struct mworker *w = &x->w[wi];
    w->tasks = preader_u64(p);
    w->frag_bytes = preader_u64(p);
    w->inline_bytes = preader_u64(p);
    w->cache_peak = preader_u64(p);
    w->cache_reads = preader_u64(p);
    w->frag_reads = preader_u64(p);
    w->bye = 1;
}

/* Receive and handle one message if one is there (or wait for one when
 * block). Returns 1 if a message was handled, 0 if none, -1 on error. */
static int receive(xmpi_t *x, int block)
{
    backoff_t b;
    backoff_reset(&b);
    for (;;) {
        int flag = 0;
        MPI_Status st;
        sendq_progress(x->sendq);
        int rc = MPI_Iprobe(MPI_ANY_SOURCE, PROTO_TAG, x->comm, &flag, &st);
        if (rc != MPI_SUCCESS)
            return mpi_err(x, rc, "probe");
        if (flag) {
            int count;
            MPI_Get_count(&st, MPI_BYTE, &count);
            if ((size_t)count > x->incap) {
                uint8_t *n = realloc(x->in, (size_t)count);
                if (!n) {
                    snprintf(x->err, sizeof(x->err), "out of memory");
                    return -1;
                }
                x->in = n;
                x->incap = (size_t)count;
            }
            rc = MPI_Recv(x->in, count, MPI_BYTE, st.MPI_SOURCE, PROTO_TAG,
                          x->comm, MPI_STATUS_IGNORE);
            if (rc != MPI_SUCCESS)
                return mpi_err(x, rc, "receive");
            int wi = worker_of_rank(x, st.MPI_SOURCE);
            preader_t r, p;
            uint8_t type;
            int more;
            preader_init(&r, x->in, (size_t)count);
            while (wi >= 0 && (more = preader_record(&r, &type, &p)) > 0) {
                if (type == PROTO_DONE)
                    handle_done(x, wi, &p);
                else if (type == PROTO_HELLO)
                    handle_hello(x, wi, &p);
                else if (type == PROTO_BYE)
                    handle_bye(x, wi, &p);
            }
            return 1;
        }
        if (!block)
            return 0;
        backoff_pause(&b);
    }
}

static int xm_poll(exec_t *e, int block, exec_done_f done, void *ctx)
{
    xmpi_t *x = (xmpi_t *)e;
    x->done = done;
    x->done_ctx = ctx;
    x->ndone = 0;
    int rc;
    /* Everything already arrived, then (if asked) wait for a completion. */
    while ((rc = receive(x, 0)) > 0)
        ;
    while (rc == 0 && block && x->ndone == 0)
        rc = receive(x, 1);
    if (rc < 0)
        return -1;
    if (x->ndone && assign(x) < 0)
        return -1;
    return x->ndone;
}

static int xm_unqueue(exec_t *e, exec_done_f done, void *ctx, const char *msg)
{
    xmpi_t *x = (xmpi_t *)e;
    dag_task_t *t;
    int n = 0;
    while ((t = sched_take(x->sched)) != NULL) {
        done(ctx, t, 0, msg);
        n++;
    }
    return n;
}

/* ---- versions ------------------------------------------------------------- */

static int xm_read(exec_t *e, const dag_version_t *v, const region_t *piece,
                   void *dst, const int64_t *dst_shape,
                   const int64_t *dst_start, tess_error_t *err)
{
    xmpi_t *x = (xmpi_t *)e;
    const struct mver *m = v->payload;
    int r = v->data->rank;
    if (!m)
        return 0; /* zeros */
    if (m->loc == LOC_INLINE) {
        int64_t vstart[TESS_MAX_RANK];
        for (int d = 0; d < r; d++)
            vstart[d] = piece->start[d] - v->box[d];
        return box_copy(tess_type_size(v->data->type), r, m->data, v->box + r,
                        vstart, dst, dst_shape, dst_start, piece->count);
    }
    char path[PATH_MAX];
    if (h5frag_path(path, sizeof(path), x->run_dir, v->data->id, v->number) < 0)
        return tess_errprintf(err, "%s: run directory path too long",
                              v->data->name);
    return h5frag_read(path, v->data->type, r, piece->start, piece->count, dst,
                       dst_shape, dst_start, err);
}

static int xm_publish_file(exec_t *e, const dag_version_t *v,
                           tess_error_t *err)
{
    (void)e;
    tess_error_t fe;
    const struct mver *m = v->payload;
    if (v->number == 0 || !m || !m->path)
        return 0;
    if (filever_publish(m->path, v->data->name, &fe) < 0)
        return tess_errprintf(err, "file %s: %s", v->data->name, fe.text);
    return 0;
}

static int xm_init_version(exec_t *e, dag_version_t *v, void *buf,
                           tess_error_t *err)
{
    xmpi_t *x = (xmpi_t *)e;
    dag_data_t *d = v->data;
    struct mver *m = calloc(1, sizeof(*m));
    if (!m) {
        free(buf);
        return tess_errprintf(err, "out of memory");
    }
    m->owner = -1;
    if (d->kind == DAG_FILE) {
        m->loc = LOC_PATH;
        if (!(m->path = strdup(d->name))) {
            free(m);
            return tess_errprintf(err, "out of memory");
        }
        v->payload = m;
        return 0;
    }
    if (!buf) {
        free(m);
        return 0; /* zeros */
    }
    int64_t n = 1;
    for (int k = 0; k < d->rank; k++)
        n *= d->shape[k];
    m->bytes = (size_t)n * tess_type_size(d->type);
    if (m->bytes <= x->inline_max) {
        m->loc = LOC_INLINE;
        m->data = buf;
        v->payload = m;
        return 0;
    }
    /* Large initial values become fragment files the workers read. */
    char path[PATH_MAX];
    int64_t zero[TESS_MAX_RANK] = {0};
    if (h5frag_path(path, sizeof(path), x->run_dir, d->id, v->number) < 0 ||
        h5frag_write(path, d->type, d->rank, zero, d->shape, buf, err) < 0) {
        free(buf);
        free(m);
        return -1;
    }
    free(buf);
    m->loc = LOC_FRAG;
    v->payload = m;
    return 0;
}

static void xm_version_free(exec_t *e, dag_version_t *v)
{
    xmpi_t *x = (xmpi_t *)e;
    struct mver *m = v->payload;
    if (!m)
        return;
    if (m->loc == LOC_FRAG) {
        char path[PATH_MAX];
        if (h5frag_path(path, sizeof(path), x->run_dir, v->data->id,
                        v->number) == 0)
            h5frag_remove(path);
        if (m->owner >= 0) {
            pbuf_u64(&x->w[m->owner].drops, v->data->id);
            pbuf_u32(&x->w[m->owner].drops, v->number);
        }
    } else if (m->loc == LOC_PATH && v->number > 0) {
        unlink(m->path);
    }
    free(m->data);
    free(m->path);
    free(m);
    v->payload = NULL;
}

/* ---- life cycle ------------------------------------------------------------- */

static void write_stats(xmpi_t *x)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/workers.txt", x->run_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "# rank node host arch slots memory_mb tasks frag_bytes_written "
               "inline_bytes cache_peak_bytes cache_reads frag_reads exe\n");
    for (int i = 0; i < x->nw; i++) {
        struct mworker *w = &x->w[i];
        fprintf(f, "%d %s %s %s %d %lld %" PRIu64 " %" PRIu64 " %" PRIu64
                   " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
                w->rank, w->node, w->host, arch_of(w), w->slots,
                (long long)w->memory_mb, w->tasks,
                w->frag_bytes, w->inline_bytes, w->cache_peak, w->cache_reads,
                w->frag_reads, w->exe[0] ? w->exe : "-");
    }
    fclose(f);
}

static void xm_destroy(exec_t *e)
{
    xmpi_t *x = (xmpi_t *)e;
    if (!x)
        return;
    /* Every task is finished: tell the workers, collect their statistics. */
    int nbye = 0;
    for (int i = 0; i < x->nw; i++) {
        if (x->w[i].slots < 0)
            continue;
        size_t rec = pbuf_begin_record(&x->w[i].out, PROTO_SHUTDOWN);
        pbuf_end_record(&x->w[i].out, rec);
        if (flush_worker(x, &x->w[i]) == 0)
            nbye++;
    }
    for (int got = 0; got < nbye;) {
        if (receive(x, 1) < 0)
            break;
        got = 0;
        for (int i = 0; i < x->nw; i++)
            got += x->w[i].bye;
    }
    sendq_destroy(x->sendq);
    write_stats(x);
    if (x->trace)
        fclose(x->trace);
    for (int i = 0; i < x->nw; i++) {
        pbuf_free(&x->w[i].out);
        pbuf_free(&x->w[i].drops);
        free(x->w[i].known);
    }
    sched_destroy(x->sched);
    free(x->w);
    free(x->in);
    free(x->run_dir);
    free(x->workdir);
    free(x);
}

static void xm_describe(exec_t *e, char *archs, size_t len, int *max_slots,
                        int64_t *max_memory_mb)
{
    xmpi_t *x = (xmpi_t *)e;
    archs[0] = '\0';
    *max_slots = 0;
    *max_memory_mb = 0;
    for (int i = 0; i < x->nw; i++) {
        if (x->w[i].slots > *max_slots)
            *max_slots = x->w[i].slots;
        if (x->w[i].memory_mb > *max_memory_mb)
            *max_memory_mb = x->w[i].memory_mb;
        namelist_add(archs, len, arch_of(&x->w[i]));
    }
}

static const exec_ops_t mpi_ops = {
    .name = "mpi",
    .dispatch = xm_dispatch,
    .poll = xm_poll,
    .unqueue = xm_unqueue,
    .read = xm_read,
    .publish_file = xm_publish_file,
    .init_version = xm_init_version,
    .version_free = xm_version_free,
    .describe = xm_describe,
    .destroy = xm_destroy,
};

exec_t *exec_mpi_create(MPI_Comm comm, const kreg_t *kernels,
                        const char *run_dir, const char *workdir,
                        const exec_mpi_config_t *cfg, tess_error_t *err)
{
    int size, me;
    MPI_Comm_size(comm, &size);
    MPI_Comm_rank(comm, &me);
    xmpi_t *x = calloc(1, sizeof(*x));
    if (!x) {
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    x->base.ops = &mpi_ops;
    x->comm = comm;
    x->kernels = kernels;
    x->inline_max = cfg && cfg->inline_max ? cfg->inline_max : 64 * 1024;
    x->nw = size - 1;
    x->w = calloc((size_t)(x->nw > 0 ? x->nw : 1), sizeof(*x->w));
    x->run_dir = strdup(run_dir);
    x->workdir = strdup(workdir);
    x->sendq = sendq_create(comm);
    if (!x->w || !x->run_dir || !x->workdir || !x->sendq)
        goto nomem;
    for (int r = 0, i = 0; r < size; r++) {
        if (r == me)
            continue;
        x->w[i].rank = r;
        pbuf_init(&x->w[i].out);
        pbuf_init(&x->w[i].drops);
        i++;
    }
    /* Every worker says HELLO first. */
    for (int got = 0; got < x->nw;) {
        if (receive(x, 1) < 0) {
            tess_errprintf(err, "waiting for workers: %s", x->err);
            goto fail;
        }
        got = 0;
        for (int i = 0; i < x->nw; i++)
            got += x->w[i].slots != 0;
    }
    int *slots = calloc((size_t)x->nw + 1, sizeof(int));
    int64_t *mem = calloc((size_t)x->nw + 1, sizeof(int64_t));
    if (!slots || !mem) {
        free(slots);
        free(mem);
        goto nomem;
    }
    for (int i = 0; i < x->nw; i++) {
        if (x->w[i].slots < 0) {
            free(slots);
            free(mem);
            tess_errprintf(err, "worker rank %d speaks another protocol or "
                           "byte order", x->w[i].rank);
            goto fail;
        }
        slots[i] = x->w[i].slots;
        mem[i] = x->w[i].memory_mb;
        size_t rec = pbuf_begin_record(&x->w[i].out, PROTO_CONFIG);
        pbuf_str(&x->w[i].out, run_dir);
        pbuf_end_record(&x->w[i].out, rec);
        if (flush_worker(x, &x->w[i]) < 0) {
            free(slots);
            free(mem);
            tess_errprintf(err, "%s", x->err);
            goto fail;
        }
    }
    x->sched = sched_create(x->nw, slots, mem, cfg ? cfg->policy : NULL,
                            &sched_ops, x);
    free(slots);
    free(mem);
    if (!x->sched) {
        tess_errprintf(err, "unknown scheduling policy '%s'",
                       cfg && cfg->policy ? cfg->policy : "?");
        goto fail;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/trace.csv", run_dir);
    x->trace = fopen(path, "w");
    if (x->trace)
        fputs("task,kernel,rank,node,arch,start_ns,end_ns,ok\n", x->trace);
    return &x->base;
nomem:
    tess_errprintf(err, "out of memory");
fail:
    xm_destroy(&x->base);
    return NULL;
}

int exec_mpi_workers(const exec_t *e)
{
    return ((const xmpi_t *)e)->nw;
}
