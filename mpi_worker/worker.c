/* worker.c - the worker side of the engine/worker protocol. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/box.h"
#include "base/clock.h"
#include "io/filever.h"
#include "io/fragcache.h"
#include "io/h5frag.h"
#include "kernels/args.h"
#include "kernels/runner.h"
#include "kernels/sandbox.h"
#include "mpi_worker/worker.h"
#include "proto/backoff.h"
#include "proto/comm.h"
#include "proto/proto.h"

/* One task descriptor, queued for a slot. */
struct wjob {
    runner_job_t base;  /* first: the runner's link */
    uint8_t *rec;       /* the TASK record's payload (owned) */
    size_t len;
    tess_kernel_f fn;   /* NULL: kernel unknown here, see kerr */
    const char *kname;
    const char *kerr;
    pbuf_t out;         /* the DONE record, built by the slot */
};

struct kmap {
    uint32_t local;
    int ok;
    char err[640];
};

typedef struct worker {
    MPI_Comm mpicomm;
    int engine;
    comm_t *comm;
    kreg_t *kernels;
    char run_dir[PATH_MAX];
    uint32_t cfg_flags;
    fragcache_t *cache;
    struct kmap *kmap;
    size_t nk;
    runner_t *runner;
    runner_job_t *cancelled; /* given back by CANCEL, their DONE unsent */
    sandbox_t *sandbox;
    int isolation;
    int rank;
    char host[64];
    /* the engine's WAKE: poll without sleeping in [wake_at, wake_until),
     * then pause at most BACKOFF_ALERT_NS until alert_until (monotonic
     * ns; alert_until 0: none) */
    int64_t wake_at, wake_until, alert_until;

    /* statistics, from any slot */
    atomic_ullong tasks, frag_bytes, inline_bytes, frag_reads, cache_reads;
} worker_t;

/* ---- executing one task (slot threads) ------------------------------------- */

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)
#define MSG_LEN 512

/* Copy a piece of version (data_id, version) into dst, from the cache if
 * it holds it, else from its fragment file. 1 if the cache served it. */
static int read_piece(worker_t *w, const proto_param_t *pp,
                      const proto_src_t *s, void *dst, tess_error_t *err)
{
    int rank = pp->rank;
    const int64_t *box = pp->box;
    int64_t dstart[TESS_MAX_RANK], vstart[TESS_MAX_RANK];
    for (int d = 0; d < rank; d++)
        dstart[d] = s->piece[d] - box[d];
    fragcache_meta_t meta;
    const void *c = fragcache_get(w->cache, pp->data_id, s->version, &meta);
    if (c) {
        for (int d = 0; d < rank; d++)
            vstart[d] = s->piece[d] - meta.start[d];
        int rc = box_copy(tess_type_size((tess_type_t)pp->type), rank, c,
                          meta.count, vstart, dst, box + rank, dstart,
                          s->piece + rank);
        fragcache_unpin(w->cache, pp->data_id, s->version);
        atomic_fetch_add(&w->cache_reads, 1);
        if (rc < 0)
            return tess_errprintf(err, "cached version %u of data %llu does "
                                  "not hold the piece read", s->version,
                                  (unsigned long long)pp->data_id);
        return 1;
    }
    char path[PATH_MAX];
    if (h5frag_path(path, sizeof(path), w->run_dir, pp->data_id,
                    s->version) < 0)
        return tess_errprintf(err, "fragment path too long");
    if (h5frag_read(path, (tess_type_t)pp->type, rank, s->piece,
                    s->piece + rank, dst, box + rank, dstart, err) < 0)
        return -1;
    atomic_fetch_add(&w->frag_reads, 1);
    return 0;
}

/* Bytes of the arena a parameter needs (buffers, boxes, strings). */
static size_t arena_bytes(const proto_param_t *pp)
{
    switch (pp->kind) {
    case TESS_P_STRING:
        return ALIGN16((size_t)pp->str_len + 1);
    case TESS_P_DATA:
        break;
    default:
        return 0;
    }
    if (pp->dkind == PROTO_DATA_FILE)
        return ALIGN16((size_t)(pp->dir == TESS_IN ? pp->path_in_len
                                                   : pp->path_out_len) + 1);
    int r = pp->rank;
    return ALIGN16(2 * (size_t)r * sizeof(int64_t)) +
           ALIGN16((size_t)box_numel(r, pp->box + r) *
                   tess_type_size((tess_type_t)pp->type));
}

static char *put_string(uint8_t **at, const char *s, uint32_t n)
{
    char *p = (char *)*at;
    memcpy(p, s, n);
    p[n] = '\0';
    *at += ALIGN16((size_t)n + 1);
    return p;
}

/* Fill argument a from parameter pp, its storage carved from *at. */
static int prepare_param(worker_t *w, proto_param_t *pp, struct tess_arg *a,
                         uint8_t **at, proto_done_t *d, tess_error_t *err)
{
    a->kind = (tess_param_kind_t)pp->kind;
    a->dir = (tess_dir_t)pp->dir;
    switch (pp->kind) {
    case TESS_P_INT:
        a->value.i = pp->i;
        return 0;
    case TESS_P_DOUBLE:
        a->value.d = pp->d;
        return 0;
    case TESS_P_STRING:
        a->value.s = put_string(at, pp->str ? pp->str : "", pp->str_len);
        return 0;
    default:
        break;
    }
    if (pp->dkind == PROTO_DATA_FILE) {
        char in[PATH_MAX], out[PATH_MAX];
        if (pp->path_in_len >= sizeof(in) || pp->path_out_len >= sizeof(out))
            return tess_errprintf(err, "file path too long");
        if (pp->dir == TESS_IN) {
            a->path = put_string(at, pp->path_in, pp->path_in_len);
            return 0;
        }
        a->path = put_string(at, pp->path_out, pp->path_out_len);
        if (pp->dir == TESS_OUT) {
            unlink(a->path);
            return 0;
        }
        /* INOUT: the task updates a copy (renaming), readers of the old
         * version keep theirs */
        memcpy(in, pp->path_in, pp->path_in_len);
        in[pp->path_in_len] = '\0';
        return filever_copy(in, a->path, err);
    }
    int r = pp->rank;
    size_t elsize = tess_type_size((tess_type_t)pp->type);
    a->type = (tess_type_t)pp->type;
    a->rank = r;
    int64_t *box = (int64_t *)(void *)*at;
    memcpy(box, pp->box, 2 * (size_t)r * sizeof(int64_t));
    *at += ALIGN16(2 * (size_t)r * sizeof(int64_t));
    a->start = box;
    a->count = box + r;
    size_t bytes = (size_t)box_numel(r, box + r) * elsize;
    a->buf = *at;
    *at += ALIGN16(bytes);
    if (pp->dir == TESS_OUT) {
        memset(a->buf, 0, bytes); /* deterministic if the kernel skips some */
        return 0;
    }
    int zeroed = 0;
    proto_src_t s;
    for (uint32_t k = 0; k < pp->nsrc; k++) {
        if (proto_get_src(pp, &s) < 0)
            return tess_errprintf(err, "corrupt task descriptor");
        size_t pbytes = (size_t)box_numel(r, s.piece + r) * elsize;
        d->bytes_in += pbytes;
        if (s.loc == PROTO_LOC_ZERO) {
            if (!zeroed)
                memset(a->buf, 0, bytes);
            zeroed = 1;
        } else if (s.loc == PROTO_LOC_INLINE) {
            int64_t zero[TESS_MAX_RANK] = {0}, dstart[TESS_MAX_RANK];
            for (int k2 = 0; k2 < r; k2++)
                dstart[k2] = s.piece[k2] - box[k2];
            box_copy(elsize, r, s.bytes, s.piece + r, zero, a->buf, box + r,
                     dstart, s.piece + r);
        } else {
            int hit = read_piece(w, pp, &s, a->buf, err);
            if (hit < 0)
                return -1;
            d->cache_hits += (uint32_t)hit;
        }
    }
    return 0;
}

/* Store the outputs of a successful task: inline ones go back in the DONE
 * record, the others become fragment files kept in the cache. */
static int store_outputs(worker_t *w, const proto_param_t *params, int n,
                         const struct tess_arg *args, proto_outval_t *outs,
                         proto_done_t *d, tess_error_t *err)
{
    unsigned flags = w->cfg_flags & PROTO_CONFIG_NOSYNC ? H5FRAG_NOSYNC : 0;
    d->nouts = 0;
    for (int i = 0; i < n; i++) {
        const proto_param_t *pp = &params[i];
        const struct tess_arg *a = &args[i];
        if (pp->kind != TESS_P_DATA || pp->dkind != PROTO_DATA_ARRAY ||
            pp->dir == TESS_IN)
            continue;
        size_t bytes = (size_t)box_numel(pp->rank, a->count) *
                       tess_type_size(a->type);
        proto_outval_t *o = &outs[d->nouts++];
        o->param = (uint16_t)i;
        o->mode = pp->out_mode;
        d->bytes_out += bytes;
        if (pp->out_mode == PROTO_OUT_INLINE) {
            o->bytes = a->buf;
            o->len = bytes;
            atomic_fetch_add(&w->inline_bytes, bytes);
            continue;
        }
        char path[PATH_MAX];
        if (h5frag_path(path, sizeof(path), w->run_dir, pp->data_id,
                        pp->out_version) < 0)
            return tess_errprintf(err, "fragment path too long");
        if (h5frag_write2(path, a->type, a->rank, a->start, a->count, a->buf,
                          flags, err) < 0)
            return -1;
        atomic_fetch_add(&w->frag_bytes, bytes);
        /* the arena is reused by the next task: the cache keeps a copy */
        void *copy = malloc(bytes ? bytes : 1);
        if (copy) {
            fragcache_meta_t meta;
            memcpy(copy, a->buf, bytes);
            meta.type = a->type;
            meta.rank = a->rank;
            memcpy(meta.start, a->start, sizeof(int64_t) * (size_t)a->rank);
            memcpy(meta.count, a->count, sizeof(int64_t) * (size_t)a->rank);
            fragcache_put(w->cache, pp->data_id, pp->out_version, copy, bytes,
                          &meta);
        }
    }
    return 0;
}

static uint8_t state_of(int sandbox_state)
{
    switch (sandbox_state) {
    case SANDBOX_OK:
        return PROTO_ST_OK;
    case SANDBOX_FAILED:
        return PROTO_ST_FAILED;
    case SANDBOX_CRASHED:
        return PROTO_ST_CRASHED;
    case SANDBOX_TIMEOUT:
        return PROTO_ST_TIMEOUT;
    }
    return PROTO_ST_ERROR;
}

static void run_job(void *ctx, runner_job_t *rj, int slot)
{
    worker_t *w = ctx;
    struct wjob *j = (struct wjob *)rj;
    proto_task_t t;
    proto_done_t d;
    preader_t r;
    tess_error_t err;
    proto_param_t *params = NULL;
    struct tess_arg *args = NULL;
    proto_outval_t *outs = NULL;
    char local_msg[MSG_LEN] = "";
    char *msg = local_msg;
    memset(&d, 0, sizeof(d));
    d.slot = (uint16_t)slot;
    d.state = PROTO_ST_ERROR;
    d.start_ns = clock_wall_ns();
    err.text[0] = '\0';
    preader_init(&r, j->rec, j->len);
    if (proto_peek_task(&r, &t) < 0) {
        snprintf(msg, MSG_LEN, "corrupt task descriptor");
        goto out;
    }
    d.cookie = t.cookie;
    params = calloc((size_t)t.nparams + 1, sizeof(*params));
    args = calloc((size_t)t.nparams + 1, sizeof(*args));
    outs = calloc((size_t)t.nparams + 1, sizeof(*outs));
    if (!params || !args || !outs) {
        snprintf(msg, MSG_LEN, "out of memory");
        goto out;
    }
    if (proto_get_task(&r, &t, params, t.nparams) < 0) {
        snprintf(msg, MSG_LEN, "corrupt task descriptor");
        goto out;
    }
    size_t need = ALIGN16(MSG_LEN);
    for (int i = 0; i < t.nparams; i++)
        need += arena_bytes(&params[i]);
    uint8_t *at = sandbox_reserve(w->sandbox, slot, need, t.nparams);
    if (!at) {
        snprintf(msg, MSG_LEN, "out of memory (%zu bytes of arguments)", need);
        goto out;
    }
    msg = (char *)at;
    msg[0] = '\0';
    at += ALIGN16(MSG_LEN);
    for (int i = 0; i < t.nparams; i++)
        if (prepare_param(w, &params[i], &args[i], &at, &d, &err) < 0) {
            snprintf(msg, MSG_LEN, "%s", err.text);
            goto out;
        }
    if (!j->fn) {
        snprintf(msg, MSG_LEN, "%s", j->kerr);
        goto out;
    }
    struct tess_args ta = {.kernel = j->kname, .task_id = t.id,
                           .n = t.nparams, .a = args, .msg = msg,
                           .msglen = MSG_LEN};
    int isolate = (t.flags & PROTO_TASK_ISOLATE) || t.timeout_ms > 0 ||
                  (w->isolation && !(t.flags & PROTO_TASK_INPROC));
    sandbox_call_t call = {.kernel = j->kname, .fn = j->fn, .args = &ta,
                           .isolate = isolate, .timeout_ms = t.timeout_ms,
                           .memory_mb = t.memory_mb};
    sandbox_result_t res;
    d.start_ns = clock_wall_ns();
    sandbox_run(w->sandbox, slot, &call, &res);
    d.end_ns = clock_wall_ns();
    d.state = state_of(res.state);
    d.code = res.code;
    if (d.state == PROTO_ST_OK &&
        store_outputs(w, params, t.nparams, args, outs, &d, &err) < 0) {
        d.state = PROTO_ST_ERROR;
        snprintf(msg, MSG_LEN, "%s", err.text);
    }
out:
    if (!d.end_ns)
        d.end_ns = clock_wall_ns();
    d.msg = d.state == PROTO_ST_OK ? "" : msg;
    pbuf_init(&j->out);
    proto_put_done(&j->out, &d, outs);
    atomic_fetch_add(&w->tasks, 1);
    free(params);
    free(args);
    free(outs);
    free(j->rec);
    j->rec = NULL;
}

/* ---- the main thread: MPI ---------------------------------------------------- */

static int handle_kernel(worker_t *w, preader_t *p)
{
    uint32_t idx, n;
    const char *s;
    char name[1024];
    if (proto_get_kernel(p, &idx, &s, &n) < 0 || n >= sizeof(name) ||
        idx > (1u << 24))
        return -1;
    memcpy(name, s, n);
    name[n] = '\0';
    if (idx >= w->nk) {
        size_t nk = idx + 16;
        struct kmap *m = realloc(w->kmap, nk * sizeof(*m));
        if (!m)
            return -1;
        memset(m + w->nk, 0, (nk - w->nk) * sizeof(*m));
        w->kmap = m;
        w->nk = nk;
    }
    tess_error_t err;
    struct kmap *k = &w->kmap[idx];
    k->ok = kreg_resolve(w->kernels, name, &k->local, &err) == 0;
    if (!k->ok)
        snprintf(k->err, sizeof(k->err), "on %s: %s", w->host, err.text);
    return 0;
}

/* Jobs decoded from one message, queued for the slots at once. */
struct batch {
    runner_job_t *head, *tail;
};

static int handle_task(worker_t *w, preader_t *p, struct batch *b)
{
    struct wjob *j = calloc(1, sizeof(*j));
    proto_task_t t;
    if (!j || proto_peek_task(p, &t) < 0 ||
        !(j->rec = malloc(p->len ? p->len : 1))) {
        free(j);
        return -1;
    }
    memcpy(j->rec, p->p, p->len);
    j->len = p->len;
    if (t.kernel < w->nk && w->kmap[t.kernel].ok) {
        j->fn = kreg_fn(w->kernels, w->kmap[t.kernel].local);
        j->kname = kreg_name(w->kernels, w->kmap[t.kernel].local);
    } else {
        j->kname = "?";
        j->kerr = t.kernel < w->nk ? w->kmap[t.kernel].err
                                   : "kernel never announced";
    }
    if (b->tail)
        b->tail->next = &j->base;
    else
        b->head = &j->base;
    b->tail = &j->base;
    return 0;
}

/* Every finished task's DONE record in one message. */
static int flush_done(worker_t *w, runner_job_t *list, pbuf_t *msg,
                      tess_error_t *err)
{
    if (!list)
        return 0;
    pbuf_reset(msg);
    while (list) {
        struct wjob *j = (struct wjob *)list;
        list = list->next;
        pbuf_bytes(msg, j->out.data, j->out.len);
        pbuf_free(&j->out);
        free(j->rec);
        free(j);
    }
    return comm_send(w->comm, msg, w->engine, err);
}

/* Tasks given back without running (CANCEL), reported as NOT_RUN. */
static void not_run(runner_job_t *list)
{
    for (runner_job_t *q = list; q; q = q->next) {
        struct wjob *j = (struct wjob *)q;
        proto_task_t t;
        preader_t r;
        preader_init(&r, j->rec, j->len);
        proto_done_t d;
        memset(&d, 0, sizeof(d));
        d.cookie = proto_peek_task(&r, &t) == 0 ? t.cookie : 0;
        d.state = PROTO_ST_NOT_RUN;
        d.msg = "not run: the run was stopped";
        pbuf_init(&j->out);
        proto_put_done(&j->out, &d, NULL);
    }
}

/* The memory tasks may use on this worker, MiB. */
static int64_t worker_memory_mb(const worker_config_t *cfg)
{
    int64_t mem = cfg->memory_mb;
    const char *env = getenv("TESS_MEMORY_MB"); /* set by the Slurm backend */
    if (mem <= 0 && env)
        mem = strtoll(env, NULL, 10);
    if (mem <= 0) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
        mem = pages > 0 && size > 0 ? (int64_t)pages * size / (1024 * 1024) : 0;
    }
    return mem;
}

static void hello(worker_t *w, const worker_config_t *cfg, pbuf_t *out)
{
    proto_hello_t h;
    memset(&h, 0, sizeof(h));
    h.slots = (uint32_t)runner_slots(w->runner);
    snprintf(h.host, sizeof(h.host), "%s", w->host);
    snprintf(h.arch, sizeof(h.arch), "%s", cfg->arch ? cfg->arch : "");
    const char *node = getenv("SLURMD_NODENAME");
    snprintf(h.node, sizeof(h.node), "%s", node ? node : w->host);
    ssize_t n = readlink("/proc/self/exe", h.exe, sizeof(h.exe) - 1);
    h.exe[n > 0 ? n : 0] = '\0'; /* which build runs here, for the record */
    h.memory_mb = worker_memory_mb(cfg);
    h.pid = getpid();
    proto_put_hello(out, &h);
}

/* Handle every record of one message from the engine. 1 when SHUTDOWN
 * came, 0, or -1 with err. */
static int handle_message(worker_t *w, const uint8_t *buf, size_t len,
                          tess_error_t *err)
{
    preader_t r, p;
    uint8_t type = 0;
    int more, shutdown = 0;
    struct batch batch = {NULL, NULL};
    preader_init(&r, buf, len);
    while ((more = preader_record(&r, &type, &p)) > 0) {
        int hrc = 0;
        switch (type) {
        case PROTO_CONFIG: {
            proto_config_t c;
            hrc = proto_get_config(&p, &c);
            if (hrc == 0) {
                snprintf(w->run_dir, sizeof(w->run_dir), "%s", c.run_dir);
                w->cfg_flags = c.flags;
                char dir[PATH_MAX + 8], prefix[32];
                snprintf(dir, sizeof(dir), "%s/logs", w->run_dir);
                snprintf(prefix, sizeof(prefix), "worker%d.", w->rank);
                /* no log directory: executors keep the worker's stderr */
                if (w->run_dir[0])
                    sandbox_set_log(w->sandbox, dir, prefix);
            }
            break;
        }
        case PROTO_KERNEL:
            hrc = handle_kernel(w, &p);
            break;
        case PROTO_TASK:
            hrc = handle_task(w, &p, &batch);
            w->alert_until = 0; /* the work announced came */
            break;
        case PROTO_DROP: {
            uint64_t id;
            uint32_t v;
            int g;
            while ((g = proto_get_drop(&p, &id, &v)) > 0)
                fragcache_drop(w->cache, id, v);
            hrc = g < 0 ? -1 : 0;
            break;
        }
        case PROTO_WAKE: {
            uint32_t in_us, spin_us;
            hrc = proto_get_wake(&p, &in_us, &spin_us);
            int64_t now = clock_mono_ns();
            w->wake_at = now + (int64_t)in_us * 1000;
            w->wake_until = w->wake_at + (int64_t)spin_us * 1000;
            /* a prediction 10 times too short is not worth more care */
            w->alert_until = w->wake_until + 10 * (w->wake_until - now);
            break;
        }
        case PROTO_CANCEL: {
            /* their NOT_RUN completions go out with the next flush: the
             * engine counts on one completion per task it sent */
            runner_job_t *list = runner_take_queued(w->runner), **end;
            not_run(list);
            for (end = &w->cancelled; *end; end = &(*end)->next)
                ;
            *end = list;
            break;
        }
        case PROTO_SHUTDOWN:
            shutdown = 1;
            break;
        default:
            hrc = -1;
        }
        if (hrc < 0) {
            more = -1;
            break;
        }
    }
    runner_push(w->runner, batch.head);
    if (more < 0)
        return tess_errprintf(err, "worker: corrupt message from the engine "
                              "(record type %u)", type);
    return shutdown;
}

/* The pause the back-off asks for (ns), shortened by the engine's WAKE:
 * no sleep past its start, none inside its window; after the window (the
 * task ran longer than predicted) short pauses until alert_until. */
static long wake_pause(worker_t *w, backoff_t *b, long ns)
{
    if (!w->alert_until)
        return ns;
    int64_t now = clock_mono_ns();
    if (now >= w->alert_until) {
        w->alert_until = 0;
        b->max_ns = BACKOFF_MAX_NS;
        return ns;
    }
    if (now >= w->wake_until) {
        if (b->max_ns != BACKOFF_ALERT_NS) {
            backoff_reset(b);
            b->max_ns = BACKOFF_ALERT_NS;
        }
        return ns < BACKOFF_ALERT_NS ? ns : BACKOFF_ALERT_NS;
    }
    if (now >= w->wake_at)
        return 0;
    return ns < w->wake_at - now ? ns : (long)(w->wake_at - now);
}

static int serve(worker_t *w, const worker_config_t *cfg, tess_error_t *err)
{
    pbuf_t out;
    int rc = 0, running = 1;
    backoff_t b;
    pbuf_init(&out);
    backoff_reset(&b);
    hello(w, cfg, &out);
    if (comm_send(w->comm, &out, w->engine, err) < 0)
        goto done;
    while (running) {
        const uint8_t *buf;
        size_t len;
        int src, got = comm_recv(w->comm, w->engine, &src, &buf, &len, err);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got) {
            int h = handle_message(w, buf, len, err);
            if (h < 0) {
                rc = -1;
                break;
            }
            running = !h;
            backoff_reset(&b);
        }
        /* an inline slot: run the next task here, between polls */
        int ran = running && runner_run_next(w->runner);
        runner_job_t *list = runner_take_done(w->runner);
        if (w->cancelled) {
            runner_job_t **end = &w->cancelled;
            while (*end)
                end = &(*end)->next;
            *end = list;
            list = w->cancelled;
            w->cancelled = NULL;
        }
        if (list) {
            if (flush_done(w, list, &out, err) < 0) {
                rc = -1;
                break;
            }
            backoff_reset(&b);
        } else if (!got && !ran) {
            long ns = wake_pause(w, &b, backoff_next(&b));
            if (ns == 0)
                sched_yield();
            runner_wait_done(w->runner, ns);
        }
    }
    /* SHUTDOWN comes when no task is out; stay correct if one still runs */
    for (;;) {
        size_t queued, busy;
        while (runner_run_next(w->runner))
            ; /* an inline slot finishes what it has */
        runner_counts(w->runner, &queued, &busy);
        if (rc == 0 && flush_done(w, runner_take_done(w->runner), &out,
                                  err) < 0)
            rc = -1;
        if (queued + busy == 0)
            break;
        runner_wait_done(w->runner, 100000000L);
    }
    if (rc == 0 && flush_done(w, runner_take_done(w->runner), &out, err) < 0)
        rc = -1;
    if (rc == 0) {
        fragcache_stats_t cs;
        fragcache_stats(w->cache, &cs);
        proto_bye_t y = {atomic_load(&w->tasks), atomic_load(&w->frag_bytes),
                         atomic_load(&w->inline_bytes), cs.peak_bytes,
                         atomic_load(&w->cache_reads),
                         atomic_load(&w->frag_reads),
                         sandbox_crashes(w->sandbox)};
        pbuf_reset(&out);
        proto_put_bye(&out, &y);
        rc = comm_send(w->comm, &out, w->engine, err);
    }
done:
    pbuf_free(&out);
    return rc;
}

/* Tell the engine this worker cannot serve, so that it does not wait. */
static void fatal(worker_t *w, const char *why)
{
    pbuf_t out;
    tess_error_t ignored;
    char msg[700];
    pbuf_init(&out);
    snprintf(msg, sizeof(msg), "worker rank %d on %s cannot start: %s",
             w->rank, w->host, why);
    proto_put_fatal(&out, msg);
    if (comm_send(w->comm, &out, w->engine, &ignored) == 0)
        comm_drain(w->comm, 5);
    pbuf_free(&out);
}

int worker_serve(MPI_Comm comm, int engine, kreg_t *kernels,
                 const worker_config_t *cfg, tess_error_t *err)
{
    worker_t w;
    memset(&w, 0, sizeof(w));
    w.mpicomm = comm;
    w.engine = engine;
    w.kernels = kernels;
    MPI_Comm_rank(comm, &w.rank);
    gethostname(w.host, sizeof(w.host) - 1);
    w.comm = comm_create(comm);
    if (!w.comm)
        return tess_errprintf(err, "worker: out of memory");
    int slots = cfg->slots;
    if (slots <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        slots = n > 0 ? (int)n : 1;
    }
    const char *iso = getenv("TESS_ISOLATION");
    int inproc = cfg->inproc || (iso && strcmp(iso, "none") == 0);
    w.isolation = !inproc;
    long spin_ns = backoff_spin_ns();
    int rc = 0;
    /* kernel modules: this architecture's build first */
    if (kreg_set_arch(kernels, cfg->arch) < 0) {
        rc = tess_errprintf(err, "worker: architecture name '%.40s...' too "
                            "long (at most 63 characters)", cfg->arch);
    }
    /* The executors' fork server first, before any thread of ours. */
    /* a task that states no memory need gets its slot's share (at least
     * 1 GiB): a runaway allocation fails it, not the node */
    int64_t share = worker_memory_mb(cfg) / slots;
    sandbox_config_t sc = {.nslots = slots, .kernels = kernels,
                           .processes = !inproc, .spin_ns = spin_ns,
                           .memory_mb = share > 1024 ? share : 1024};
    if (rc == 0 && !(w.sandbox = sandbox_create(&sc, err)))
        rc = -1;
    if (rc == 0 && !(w.cache = fragcache_create(cfg->cache_bytes
                                                    ? cfg->cache_bytes
                                                    : (size_t)512 << 20)))
        rc = tess_errprintf(err, "worker: out of memory");
    /* one slot: the MPI thread runs the tasks itself (TESS_WORKER_INLINE=0
     * to use a slot thread anyway) */
    const char *inl = getenv("TESS_WORKER_INLINE");
    int inline_slot = slots == 1 && !(inl && strcmp(inl, "0") == 0);
    if (rc == 0 &&
        !(w.runner = inline_slot
                         ? runner_create_inline(run_job, &w, err)
                         : runner_create(slots, run_job, &w, spin_ns, err)))
        rc = -1;
    if (rc == 0)
        rc = serve(&w, cfg, err);
    else
        fatal(&w, err->text);
    runner_destroy(w.runner);
    sandbox_destroy(w.sandbox);
    comm_destroy(w.comm, 10);
    fragcache_destroy(w.cache);
    free(w.kmap);
    return rc;
}
