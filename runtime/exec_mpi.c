/*
 * exec_mpi.c - the executor whose workers are the other ranks of an MPI job.
 *
 * Rank 0 (this process) keeps, per version, where its elements are
 * (struct mver): nowhere (zeros: payload NULL), inline (small values, held
 * here and shipped inside task descriptors), or in its HDF5 fragment file
 * under RUN_DIR/frags (large values, written by the worker that produced
 * them and cached in that worker's memory; the scheduler prefers that
 * worker for the readers). Files are paths (see io/filever.h).
 *
 * Messages are batched: one MPI message per worker per dispatch round
 * carries every task descriptor for it, one message per worker wake-up
 * carries every completion. See docs/design.md, "Protocol"; every record
 * is encoded and decoded by proto/proto.c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/box.h"
#include "base/clock.h"
#include "base/namelist.h"
#include "engine/kclass.h"
#include "io/filever.h"
#include "io/h5frag.h"
#include "proto/backoff.h"
#include "proto/comm.h"
#include "proto/proto.h"
#include "runtime/exec.h"
#include "runtime/exec_mpi.h"
#include "runtime/sched.h"

enum { LOC_INLINE = 1, LOC_FRAG = 2, LOC_PATH = 3 };

struct mver {
    uint8_t loc;
    int owner;     /* worker index holding it in cache, -1 none */
    size_t bytes;
    void *data;    /* LOC_INLINE */
    char *path;    /* LOC_PATH (file versions) */
};

struct mworker {
    proto_hello_t hello; /* slots 0: not heard from yet */
    int rank;
    int hello_ok;
    pbuf_t out;       /* records to send */
    pbuf_t drops;     /* (id, version) pairs to forget */
    uint8_t *known;   /* kernels announced */
    size_t nknown;
    int running;
    uint64_t done;
    proto_bye_t bye;
    int got_bye;
    /* the tasks out on this worker and when each should end (dispatch +
     * its kernel's typical duration): when the engine may sleep */
    struct outtask {
        const dag_task_t *t;
        double expect; /* monotonic seconds, 0: no estimate */
    } *out_tasks;
    int nout, outcap;
    double wake_for;  /* the expected end the last WAKE announced */
};

typedef struct xmpi {
    exec_t base;
    MPI_Comm mpicomm;
    int nw;
    struct mworker *w;
    sched_t *sched;
    comm_t *comm;
    const kreg_t *kernels;
    char *run_dir, *workdir;
    size_t inline_max;
    uint8_t default_flags; /* PROTO_TASK_* for tasks of the default class */
    exec_done_f done;
    void *done_ctx;
    int ndone;
    double *kdur;          /* per kernel: typical duration (EWMA), s */
    size_t nkdur;
    double queue_ahead_s;  /* tasks shorter than this may queue on a busy
                              worker (TESS_QUEUE_AHEAD_US) */
    char fatal[700];       /* a worker could not serve */
    tess_error_t err;
} xmpi_t;

/* ---- scheduling hooks ------------------------------------------------------ */

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
    return w->hello.arch[0] ? w->hello.arch : "default";
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

static double kernel_duration(const xmpi_t *x, uint32_t k)
{
    return k < x->nkdur ? x->kdur[k] : 0;
}

/* Tasks known to be short wait in a busy worker's queue, enough of them
 * to cover a round trip to the engine (queue_ahead_s of work, at least
 * one); longer or unknown ones never (a queued long task could wait while
 * another worker idles). */
static int queue_ahead(void *ctx, const dag_task_t *t)
{
    const xmpi_t *x = ctx;
    double d = kernel_duration(x, t->kernel);
    if (d <= 0 || d >= x->queue_ahead_s)
        return 0;
    double n = x->queue_ahead_s / d;
    return n > 256 ? 256 : n < 1 ? 1 : (int)n;
}

static const sched_ops_t sched_ops = {locality, eligible, cost, memory,
                                      queue_ahead};

/* ---- encoding tasks ------------------------------------------------------- */

static int encode_data(xmpi_t *x, pbuf_t *b, dag_param_t *dp)
{
    dag_data_t *d = dp->data;
    int r = dp->rank;
    proto_param_t p;
    memset(&p, 0, sizeof(p));
    p.kind = TESS_P_DATA;
    p.dir = dp->dir;
    p.data_id = d->id;
    p.dkind = d->kind == DAG_FILE ? PROTO_DATA_FILE : PROTO_DATA_ARRAY;
    p.type = (uint8_t)d->type;
    p.rank = (uint8_t)r;
    memcpy(p.box, dp->box, 2 * sizeof(int64_t) * (size_t)r);
    if (d->kind == DAG_FILE) {
        if (dp->dir != TESS_OUT) {
            const struct mver *m = dp->src[0].v->payload;
            p.path_in = m ? m->path : d->name;
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
            p.path_out = m->path;
        }
        proto_put_param(b, &p);
        return 0;
    }
    p.nsrc = dp->dir != TESS_OUT ? dp->nsrc : 0;
    if (dp->dir != TESS_IN) {
        int64_t n = 1;
        for (int k = 0; k < r; k++)
            n *= dp->box[r + k];
        p.out_version = dp->out->number;
        p.out_mode = (size_t)n * tess_type_size(d->type) <= x->inline_max
                         ? PROTO_OUT_INLINE
                         : PROTO_OUT_FRAG;
    }
    proto_put_param(b, &p);
    for (uint32_t s = 0; s < p.nsrc; s++) {
        const dag_src_t *src = &dp->src[s];
        const struct mver *m = src->v->payload;
        proto_src_t ps;
        ps.version = src->v->number;
        memcpy(ps.piece, src->box, 2 * sizeof(int64_t) * (size_t)r);
        ps.loc = !m ? PROTO_LOC_ZERO
                    : m->loc == LOC_INLINE ? PROTO_LOC_INLINE : PROTO_LOC_FRAG;
        ps.bytes = NULL;
        proto_put_src(b, &p, &ps, m ? m->data : NULL, src->v->box);
    }
    proto_put_out(b, &p);
    return 0;
}

/* The wire flags, time limit and memory limit of a task's class. */
static void task_limits(const xmpi_t *x, const dag_task_t *t, proto_task_t *pt)
{
    const kclass_t *c = t->kclass;
    pt->flags = x->default_flags;
    if (c && c->isolation == TESS_ISOLATION_PROCESS)
        pt->flags = PROTO_TASK_ISOLATE;
    else if (c && c->isolation == TESS_ISOLATION_NONE)
        pt->flags = PROTO_TASK_INPROC;
    pt->timeout_ms = c ? c->timeout_ms : 0;
    pt->memory_mb = c ? c->memory_mb : 0;
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
        proto_put_kernel(b, kernel, kreg_name(x->kernels, kernel));
        w->known[kernel] = 1;
    }
    proto_task_t pt = {.cookie = (uint64_t)(uintptr_t)t, .id = t->id,
                       .kernel = kernel, .nparams = t->nparams,
                       .attempt = t->attempt};
    task_limits(x, t, &pt);
    size_t rec = proto_put_task_begin(b, &pt);
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        if (dp->kind == TESS_P_DATA) {
            if (encode_data(x, b, dp) < 0)
                return -1;
            continue;
        }
        proto_param_t p;
        memset(&p, 0, sizeof(p));
        p.kind = dp->kind;
        p.dir = dp->dir;
        p.i = dp->value.i;
        if (dp->kind == TESS_P_DOUBLE)
            p.d = dp->value.d;
        if (dp->kind == TESS_P_STRING)
            p.str = dp->value.s;
        proto_put_param(b, &p);
    }
    proto_put_task_end(b, rec);
    t->exec = (void *)(uintptr_t)(wi + 1);
    w->running++;
    if (w->nout == w->outcap) {
        int cap = w->outcap ? w->outcap * 2 : 16;
        struct outtask *o = realloc(w->out_tasks, (size_t)cap * sizeof(*o));
        if (!o)
            return -1;
        w->out_tasks = o;
        w->outcap = cap;
    }
    double d = kernel_duration(x, t->kernel);
    w->out_tasks[w->nout++] = (struct outtask){t, d > 0 ? clock_mono_s() + d : 0};
    return b->err ? -1 : 0;
}

static int flush_worker(xmpi_t *x, struct mworker *w)
{
    if (w->drops.len) {
        proto_put_drops(&w->out, &w->drops);
        pbuf_reset(&w->drops);
    }
    if (!w->out.len)
        return 0;
    return comm_send(x->comm, &w->out, w->rank, &x->err);
}

/* The window around a task's expected end in which a waiter polls
 * instead of sleeping: 2% of the kernel's typical duration, between 50 us
 * and 5 ms, plus the spin time (a sleep's wake-up is late by tens of us). */
static double wake_margin(double dur)
{
    double m = 0.02 * dur;
    m = m < 50e-6 ? 50e-6 : m > 5e-3 ? 5e-3 : m;
    return m + 1e-9 * (double)backoff_spin_ns();
}

/* An idle worker's back-off grows to 20 ms: a task made ready by a long
 * one would wait that long to be seen. The engine knows when the next
 * completion is expected (the earliest expected end of a task out), so it
 * tells every worker with a free slot to be polling from shortly before
 * it, for a bounded while: low latency after long tasks, no CPU while
 * idle (docs/design.md, "Waiting"). Each expected end is announced once. */
static void announce_wake(xmpi_t *x)
{
    double now = clock_mono_s(), earliest = 0, dur = 0;
    for (int i = 0; i < x->nw; i++)
        for (int k = 0; k < x->w[i].nout; k++) {
            double e = x->w[i].out_tasks[k].expect;
            if (e > 0 && (earliest == 0 || e < earliest)) {
                earliest = e;
                dur = kernel_duration(x, x->w[i].out_tasks[k].t->kernel);
            }
        }
    if (earliest <= now)
        return;
    double margin = wake_margin(dur);
    double in = earliest - now - margin, spin = 2 * margin;
    for (int i = 0; i < x->nw; i++) {
        struct mworker *w = &x->w[i];
        if (!w->hello_ok || w->running >= (int)w->hello.slots ||
            w->wake_for == earliest)
            continue;
        w->wake_for = earliest;
        proto_put_wake(&w->out, in > 0 ? (uint32_t)(in * 1e6) : 0,
                       (uint32_t)(spin * 1e6));
    }
}

/* Place every queued task that has a free slot, then send the batches. */
static int assign(xmpi_t *x)
{
    dag_task_t *t;
    int wi, rc = 0;
    while ((t = sched_pick(x->sched, &wi)) != NULL)
        if (encode_task(x, wi, t) < 0) {
            tess_errprintf(&x->err, "out of memory encoding tasks");
            rc = -1;
        }
    announce_wake(x);
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

/* ---- receiving ------------------------------------------------------------- */

static int worker_of_rank(const xmpi_t *x, int rank)
{
    for (int i = 0; i < x->nw; i++)
        if (x->w[i].rank == rank)
            return i;
    return -1;
}

/* What a task of kernel k took (worker clock): the kernel's typical
 * duration, an exponentially weighted mean. */
static void learn_duration(xmpi_t *x, uint32_t k, uint64_t start,
                           uint64_t end)
{
    if (end < start)
        return;
    if (k >= x->nkdur) {
        size_t n = k + 64;
        double *d = realloc(x->kdur, n * sizeof(*d));
        if (!d)
            return;
        memset(d + x->nkdur, 0, (n - x->nkdur) * sizeof(*d));
        x->kdur = d;
        x->nkdur = n;
    }
    double s = (double)(end - start) * 1e-9, m = x->kdur[k];
    /* a mean of recent runs; a run more than twice as long or short as
     * it starts a new regime (another phase of the program) at once */
    x->kdur[k] = m > 0 && s < 2 * m && 2 * s > m ? 0.8 * m + 0.2 * s : s;
}

static int tasks_out(const xmpi_t *x)
{
    for (int i = 0; i < x->nw; i++)
        if (x->w[i].nout)
            return 1;
    return 0;
}

enum wait_plan { WAIT_BACKOFF = 0, WAIT_SLEEP = 1, WAIT_POLL = 2 };

/* How the engine waits for the next completion: asleep (*s seconds)
 * until the window around the earliest expected end of a task out, polling
 * inside it, backing off as usual when a task out has no estimate or the
 * earliest overran its window. */
static enum wait_plan wait_plan(const xmpi_t *x, double now, double *s)
{
    double earliest = 0, dur = 0;
    for (int i = 0; i < x->nw; i++)
        for (int k = 0; k < x->w[i].nout; k++) {
            double e = x->w[i].out_tasks[k].expect;
            if (e <= 0)
                return WAIT_BACKOFF; /* no estimate */
            if (earliest == 0 || e < earliest) {
                earliest = e;
                dur = kernel_duration(x, x->w[i].out_tasks[k].t->kernel);
            }
        }
    if (earliest == 0)
        return WAIT_BACKOFF;
    double margin = wake_margin(dur);
    if (now < earliest - margin) {
        *s = earliest - margin - now;
        return WAIT_SLEEP;
    }
    return now < earliest + margin ? WAIT_POLL : WAIT_BACKOFF;
}

static void handle_done(xmpi_t *x, int wi, preader_t *p)
{
    struct mworker *w = &x->w[wi];
    proto_done_t d;
    char msg[600];
    int bad = proto_get_done(p, &d) < 0;
    dag_task_t *t = bad ? NULL : (dag_task_t *)(uintptr_t)d.cookie;
    if (!t) {
        snprintf(x->fatal, sizeof(x->fatal),
                 "corrupt completion from worker rank %d", w->rank);
        return;
    }
    snprintf(msg, sizeof(msg), "%.*s", (int)d.msg_len, d.msg ? d.msg : "");
    int state = d.state;
    proto_outval_t o;
    for (uint16_t k = 0; state == PROTO_ST_OK && k < d.nouts; k++) {
        if (proto_get_outval(&d, &o) < 0 || o.param >= t->nparams ||
            !t->params[o.param].out) {
            state = PROTO_ST_ERROR;
            snprintf(msg, sizeof(msg), "corrupt completion from rank %d",
                     w->rank);
            break;
        }
        dag_version_t *v = t->params[o.param].out;
        struct mver *m = calloc(1, sizeof(*m));
        if (!m) {
            state = PROTO_ST_ERROR;
            snprintf(msg, sizeof(msg), "engine: out of memory");
            break;
        }
        m->owner = wi;
        if (o.mode == PROTO_OUT_INLINE) {
            m->loc = LOC_INLINE;
            m->bytes = o.len;
            m->data = malloc(o.len ? o.len : 1);
            if (m->data && o.len)
                memcpy(m->data, o.bytes, o.len);
        } else {
            int64_t n = 1;
            for (int k2 = 0; k2 < v->data->rank; k2++)
                n *= v->box[v->data->rank + k2];
            m->loc = LOC_FRAG;
            m->bytes = (size_t)n * tess_type_size(v->data->type);
        }
        v->payload = m;
    }
    uint32_t k = t->kclass ? kclass_kernel_for(t->kclass, arch_of(w))
                           : t->kernel;
    w->running--;
    if (state != PROTO_ST_NOT_RUN) {
        w->done++;
        learn_duration(x, t->kernel, d.start_ns, d.end_ns);
    }
    for (int i = 0; i < w->nout; i++)
        if (w->out_tasks[i].t == t) {
            w->out_tasks[i] = w->out_tasks[--w->nout];
            break;
        }
    sched_release(x->sched, wi, t);
    t->exec = NULL;
    exec_result_t r = {.state = state, .code = d.code, .msg = msg,
                       .worker = state == PROTO_ST_NOT_RUN ? -1 : w->rank,
                       .windex = state == PROTO_ST_NOT_RUN ? -1 : wi,
                       .slot = d.slot, .node = w->hello.node,
                       .arch = arch_of(w), .kernel = kreg_name(x->kernels, k),
                       .start_ns = d.start_ns, .end_ns = d.end_ns,
                       .bytes_in = d.bytes_in, .bytes_out = d.bytes_out,
                       .cache_hits = d.cache_hits};
    x->done(x->done_ctx, t, &r);
    x->ndone++;
}

static void handle_hello(xmpi_t *x, int wi, preader_t *p)
{
    struct mworker *w = &x->w[wi];
    if (proto_get_hello(p, &w->hello) < 0 || w->hello.bom != PROTO_BOM) {
        snprintf(x->fatal, sizeof(x->fatal), "worker rank %d speaks another "
                 "protocol or byte order", w->rank);
        return;
    }
    if (w->hello.slots < 1)
        w->hello.slots = 1;
    w->hello_ok = 1;
}

/* Receive and handle one message if one is there (or wait for one when
 * block, but at most until the monotonic time `until` when non-zero).
 * 1 if a message was handled, 0 if none, -1 on error (x->err). */
static int receive(xmpi_t *x, int block, double until)
{
    backoff_t b;
    backoff_reset(&b);
    for (;;) {
        const uint8_t *buf;
        size_t len;
        int src;
        int got = comm_recv(x->comm, MPI_ANY_SOURCE, &src, &buf, &len, &x->err);
        if (got < 0)
            return -1;
        if (got) {
            int wi = worker_of_rank(x, src);
            preader_t r, p;
            uint8_t type;
            preader_init(&r, buf, len);
            while (wi >= 0 && preader_record(&r, &type, &p) > 0) {
                if (type == PROTO_DONE) {
                    handle_done(x, wi, &p);
                } else if (type == PROTO_HELLO) {
                    handle_hello(x, wi, &p);
                } else if (type == PROTO_BYE) {
                    x->w[wi].got_bye = proto_get_bye(&p, &x->w[wi].bye) == 0;
                } else if (type == PROTO_FATAL) {
                    char m[600];
                    proto_get_fatal(&p, m, sizeof(m));
                    snprintf(x->fatal, sizeof(x->fatal), "%s", m);
                }
            }
            if (x->fatal[0]) {
                tess_errprintf(&x->err, "%s", x->fatal);
                return -1;
            }
            return 1;
        }
        if (!block)
            return 0;
        double now = clock_mono_s();
        if (until > 0 && now >= until)
            return 0;
        /* asleep while no completion is due, polling when one is */
        double hint = 0;
        switch (wait_plan(x, now, &hint)) {
        case WAIT_SLEEP:
            if (until > 0 && now + hint > until)
                hint = until - now;
            if (hint > 0.02)
                hint = 0.02;
            backoff_sleep((long)(hint * 1e9));
            backoff_reset(&b);
            break;
        case WAIT_POLL:
            backoff_sleep(0);
            backoff_reset(&b);
            break;
        case WAIT_BACKOFF:
            /* a task out without a (right) estimate: it may end any
             * moment; nothing out: idle, the long pauses */
            b.max_ns = tasks_out(x) ? BACKOFF_ALERT_NS : BACKOFF_MAX_NS;
            backoff_pause(&b);
            break;
        }
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
    while ((rc = receive(x, 0, 0)) > 0)
        ;
    /* bounded: the run looks at its deadline, cancellation and status
     * file between waits */
    double until = clock_mono_s() + 0.5;
    while (rc == 0 && block && x->ndone == 0) {
        rc = receive(x, 1, until);
        if (rc == 0 && clock_mono_s() >= until)
            break;
    }
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
        exec_result_t r = {.state = EXEC_NOT_RUN, .msg = msg, .worker = -1,
                           .windex = -1,
                           .node = "", .arch = "",
                           .kernel = kreg_name(x->kernels, t->kernel)};
        done(ctx, t, &r);
        n++;
    }
    /* tasks waiting in workers' queues come back as NOT_RUN completions */
    for (int i = 0; i < x->nw; i++)
        if (x->w[i].running > 0 && x->w[i].hello_ok) {
            proto_put_empty(&x->w[i].out, PROTO_CANCEL);
            flush_worker(x, &x->w[i]);
        }
    return n;
}

/* ---- versions ----------------------------------------------------------------- */

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
    const struct mver *m = v->payload;
    if (v->number == 0 || !m || !m->path)
        return 0;
    return filever_publish(m->path, v->data->name, err);
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
    int keep = e->keep_files && v->number > 0;
    if (m->loc == LOC_FRAG) {
        char path[PATH_MAX];
        if (!keep && h5frag_path(path, sizeof(path), x->run_dir, v->data->id,
                                 v->number) == 0)
            h5frag_remove(path);
        if (m->owner >= 0)
            proto_drop_pair(&x->w[m->owner].drops, v->data->id, v->number);
    } else if (m->loc == LOC_PATH && v->number > 0 && !keep) {
        unlink(m->path);
    }
    free(m->data);
    free(m->path);
    free(m);
    v->payload = NULL;
}

static int xm_fill_defaults(exec_t *e, dag_task_t *t, tess_error_t *err)
{
    (void)e;
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        if (dp->kind != TESS_P_DATA || !dp->out)
            continue;
        struct mver *m = dp->out->payload;
        if (dp->data->kind != DAG_FILE) {
            /* the task's outputs it may have reported are dropped: zeros */
            continue;
        }
        if (!m || !m->path)
            continue;
        if (dp->dir == TESS_INOUT) {
            const struct mver *in = dp->src[0].v->payload;
            if (filever_copy(in ? in->path : dp->data->name, m->path, err) < 0)
                return -1;
        } else if (filever_copy("/dev/null", m->path, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static void xm_locate(exec_t *e, const dag_version_t *v, exec_vloc_t *loc)
{
    (void)e;
    const struct mver *m = v->payload;
    memset(loc, 0, sizeof(*loc));
    if (!m)
        loc->kind = EXEC_V_ZERO;
    else if (m->loc == LOC_INLINE) {
        loc->kind = EXEC_V_INLINE;
        loc->bytes = m->data;
        loc->len = m->bytes;
    } else if (m->loc == LOC_FRAG)
        loc->kind = EXEC_V_FRAG;
    else {
        loc->kind = EXEC_V_FILE;
        loc->path = m->path;
    }
}

static int xm_adopt(exec_t *e, dag_version_t *v, const exec_vloc_t *loc,
                    tess_error_t *err)
{
    (void)e;
    if (loc->kind == EXEC_V_ZERO) {
        v->payload = NULL;
        return 0;
    }
    struct mver *m = calloc(1, sizeof(*m));
    if (!m)
        return tess_errprintf(err, "out of memory");
    m->owner = -1; /* in no worker's cache: read from its file */
    if (loc->kind == EXEC_V_INLINE) {
        m->loc = LOC_INLINE;
        m->bytes = loc->len;
        if (!(m->data = malloc(loc->len ? loc->len : 1))) {
            free(m);
            return tess_errprintf(err, "out of memory");
        }
        memcpy(m->data, loc->bytes, loc->len);
    } else if (loc->kind == EXEC_V_FRAG) {
        int64_t n = 1;
        for (int k = 0; k < v->data->rank; k++)
            n *= v->box[v->data->rank + k];
        m->loc = LOC_FRAG;
        m->bytes = (size_t)n * tess_type_size(v->data->type);
    } else {
        m->loc = LOC_PATH;
        if (!(m->path = strdup(loc->path ? loc->path : ""))) {
            free(m);
            return tess_errprintf(err, "out of memory");
        }
    }
    v->payload = m;
    return 0;
}

static int xm_version_path(exec_t *e, const dag_version_t *v, char *buf,
                           size_t len)
{
    xmpi_t *x = (xmpi_t *)e;
    const struct mver *m = v->payload;
    if (!m)
        return -1;
    if (m->loc == LOC_FRAG)
        return h5frag_path(buf, len, x->run_dir, v->data->id, v->number);
    if (m->loc == LOC_PATH && m->path &&
        snprintf(buf, len, "%s", m->path) < (int)len)
        return 0;
    return -1;
}

/* ---- life cycle ------------------------------------------------------------------ */

static void write_stats(xmpi_t *x)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/workers.txt", x->run_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "# rank node host arch slots memory_mb tasks frag_bytes_written "
               "inline_bytes cache_peak_bytes cache_reads frag_reads "
               "executor_crashes pid exe\n");
    for (int i = 0; i < x->nw; i++) {
        struct mworker *w = &x->w[i];
        fprintf(f, "%d %s %s %s %u %lld %" PRIu64 " %" PRIu64 " %" PRIu64
                   " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %lld %s\n",
                w->rank, w->hello.node[0] ? w->hello.node : "-",
                w->hello.host[0] ? w->hello.host : "-", arch_of(w),
                w->hello.slots, (long long)w->hello.memory_mb, w->bye.tasks,
                w->bye.frag_bytes, w->bye.inline_bytes, w->bye.cache_peak,
                w->bye.cache_reads, w->bye.frag_reads, w->bye.crashes,
                (long long)w->hello.pid, w->hello.exe[0] ? w->hello.exe : "-");
    }
    fclose(f);
}

static void xm_destroy(exec_t *e)
{
    xmpi_t *x = (xmpi_t *)e;
    if (!x)
        return;
    /* Every task is finished: tell the workers, collect their statistics
     * (bounded: a worker that does not answer is not waited for). */
    int nbye = 0;
    for (int i = 0; x->comm && i < x->nw; i++) {
        if (!x->w[i].hello_ok)
            continue;
        proto_put_empty(&x->w[i].out, PROTO_SHUTDOWN);
        if (flush_worker(x, &x->w[i]) == 0)
            nbye++;
    }
    double until = clock_mono_s() + 30;
    for (int got = 0; got < nbye;) {
        if (receive(x, 1, until) <= 0)
            break;
        got = 0;
        for (int i = 0; i < x->nw; i++)
            got += x->w[i].got_bye;
    }
    comm_destroy(x->comm, 10);
    if (x->run_dir)
        write_stats(x);
    for (int i = 0; x->w && i < x->nw; i++) {
        pbuf_free(&x->w[i].out);
        pbuf_free(&x->w[i].drops);
        free(x->w[i].known);
        free(x->w[i].out_tasks);
    }
    free(x->kdur);
    sched_destroy(x->sched);
    free(x->w);
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
        if ((int)x->w[i].hello.slots > *max_slots)
            *max_slots = (int)x->w[i].hello.slots;
        if (x->w[i].hello.memory_mb > *max_memory_mb)
            *max_memory_mb = x->w[i].hello.memory_mb;
        namelist_add(archs, len, arch_of(&x->w[i]));
    }
}

static int xm_worker_info(exec_t *e, int i, exec_worker_t *out)
{
    xmpi_t *x = (xmpi_t *)e;
    if (i < 0 || i >= x->nw)
        return -1;
    const struct mworker *w = &x->w[i];
    out->rank = w->rank;
    snprintf(out->node, sizeof(out->node), "%s", w->hello.node);
    snprintf(out->arch, sizeof(out->arch), "%s", arch_of(w));
    out->slots = (int)w->hello.slots;
    out->running = w->running;
    out->done = w->done;
    out->pid = w->hello.pid;
    return 0;
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
    .worker_info = xm_worker_info,
    .fill_defaults = xm_fill_defaults,
    .locate = xm_locate,
    .adopt = xm_adopt,
    .version_path = xm_version_path,
    .destroy = xm_destroy,
};

/* Every worker says HELLO (or FATAL) first; one that says nothing within
 * the start-up time ends the run with its rank named. */
static int wait_hellos(xmpi_t *x, double timeout_s, tess_error_t *err)
{
    double until = clock_mono_s() + timeout_s;
    for (;;) {
        int got = 0;
        for (int i = 0; i < x->nw; i++)
            got += x->w[i].hello_ok;
        if (got == x->nw)
            return 0;
        int rc = receive(x, 1, until);
        if (rc < 0)
            return tess_errprintf(err, "%s", x->err.text);
        if (rc == 0 && clock_mono_s() >= until) {
            char missing[256] = "";
            for (int i = 0; i < x->nw; i++)
                if (!x->w[i].hello_ok) {
                    char r[16];
                    snprintf(r, sizeof(r), "%d", x->w[i].rank);
                    namelist_add(missing, sizeof(missing), r);
                }
            errno = ETIMEDOUT;
            return tess_errprintf(err, "worker rank%s %s did not report within "
                                  "%.0f s of the start (TESS_START_TIMEOUT)",
                                  strchr(missing, ',') ? "s" : "", missing,
                                  timeout_s);
        }
    }
}

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
    x->mpicomm = comm;
    x->kernels = kernels;
    x->inline_max = cfg && cfg->inline_max ? cfg->inline_max : 64 * 1024;
    x->default_flags = cfg && cfg->isolation == TESS_ISOLATION_NONE
                           ? PROTO_TASK_INPROC
                           : 0; /* workers isolate by default */
    x->nw = size - 1;
    x->w = calloc((size_t)(x->nw > 0 ? x->nw : 1), sizeof(*x->w));
    x->run_dir = strdup(run_dir);
    x->workdir = strdup(workdir);
    x->comm = comm_create(comm);
    if (!x->w || !x->run_dir || !x->workdir || !x->comm)
        goto nomem;
    for (int r = 0, i = 0; r < size; r++) {
        if (r == me)
            continue;
        x->w[i].rank = r;
        pbuf_init(&x->w[i].out);
        pbuf_init(&x->w[i].drops);
        i++;
    }
    const char *t = getenv("TESS_START_TIMEOUT");
    double timeout = t ? strtod(t, NULL) : 0;
    if (wait_hellos(x, timeout > 0 ? timeout : 60, err) < 0)
        goto fail;
    int *slots = calloc((size_t)x->nw + 1, sizeof(int));
    int64_t *mem = calloc((size_t)x->nw + 1, sizeof(int64_t));
    if (!slots || !mem) {
        free(slots);
        free(mem);
        goto nomem;
    }
    proto_config_t pc;
    memset(&pc, 0, sizeof(pc));
    snprintf(pc.run_dir, sizeof(pc.run_dir), "%s", run_dir);
    pc.flags = cfg && cfg->nosync ? PROTO_CONFIG_NOSYNC : 0;
    for (int i = 0; i < x->nw; i++) {
        slots[i] = (int)x->w[i].hello.slots;
        mem[i] = x->w[i].hello.memory_mb;
        proto_put_config(&x->w[i].out, &pc);
        if (flush_worker(x, &x->w[i]) < 0) {
            free(slots);
            free(mem);
            tess_errprintf(err, "%s", x->err.text);
            goto fail;
        }
    }
    /* short tasks may wait in a worker's queue: up to 1 ms of work
     * (TESS_QUEUE_AHEAD_US), at most 256 tasks */
    const char *qa = getenv("TESS_QUEUE_AHEAD_US");
    x->queue_ahead_s = (qa && *qa ? strtod(qa, NULL) : 1000) * 1e-6;
    int *ahead = calloc((size_t)x->nw + 1, sizeof(int));
    for (int i = 0; ahead && i < x->nw; i++)
        ahead[i] = 256;
    x->sched = sched_create(x->nw, slots, mem, ahead,
                            cfg ? cfg->policy : NULL, &sched_ops, x);
    free(ahead);
    free(slots);
    free(mem);
    if (!x->sched) {
        tess_errprintf(err, "unknown scheduling policy '%s'",
                       cfg && cfg->policy ? cfg->policy : "?");
        goto fail;
    }
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
