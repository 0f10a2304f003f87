/* worker.c - the worker side of the engine/worker protocol. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels/args.h"
#include "proto/backoff.h"
#include "io/filever.h"
#include "proto/proto.h"
#include "proto/sendq.h"
#include "base/box.h"
#include "io/fragcache.h"
#include "io/h5frag.h"
#include "mpi_worker/worker.h"

/* One task descriptor, queued for a compute thread. */
struct job {
    struct job *next;
    uint8_t *rec; /* the TASK record's payload (owned) */
    size_t len;
    tess_kernel_f fn;   /* NULL: kernel unknown here, see kerr */
    const char *kname;
    const char *kerr;
    pbuf_t out;         /* the DONE record, built by the compute thread */
};

struct kmap {
    uint32_t local;
    int ok;
    char err[640];
};

typedef struct worker {
    MPI_Comm comm;
    int engine;
    sendq_t *sendq;
    char senderr[256];
    kreg_t *kernels;
    char run_dir[PATH_MAX];
    fragcache_t *cache;
    struct kmap *kmap;
    size_t nk;

    pthread_mutex_t lock;
    pthread_cond_t work_cv, done_cv;
    struct job *work_head, *work_tail, *done_head, *done_tail;
    int stopping;
    int nthreads;
    pthread_t *threads;

    /* statistics, under lock */
    uint64_t tasks, frag_bytes, inline_bytes, frag_reads, cache_reads;
} worker_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- executing one task (compute threads) -------------------------------- */

struct outbuf {
    int param;
    uint64_t data_id;
    uint32_t version;
    uint8_t mode;
    tess_type_t type;
    int rank;
    int64_t box[2 * TESS_MAX_RANK];
    void *buf;
    size_t bytes;
};

/* Copy a piece of version (data_id, version) into dst, from the cache if
 * it holds it, else from its fragment file. */
static int read_piece(worker_t *w, uint64_t data_id, uint32_t version,
                      tess_type_t type, int rank, const int64_t *piece,
                      void *dst, const int64_t *dst_box, char *msg, size_t len)
{
    int64_t dstart[TESS_MAX_RANK], vstart[TESS_MAX_RANK];
    for (int d = 0; d < rank; d++)
        dstart[d] = piece[d] - dst_box[d];
    fragcache_meta_t meta;
    const void *c = fragcache_get(w->cache, data_id, version, &meta);
    if (c) {
        for (int d = 0; d < rank; d++)
            vstart[d] = piece[d] - meta.start[d];
        int rc = box_copy(tess_type_size(type), rank, c, meta.count, vstart,
                          dst, dst_box + rank, dstart, piece + rank);
        fragcache_unpin(w->cache, data_id, version);
        pthread_mutex_lock(&w->lock);
        w->cache_reads++;
        pthread_mutex_unlock(&w->lock);
        if (rc < 0)
            snprintf(msg, len, "cached version %u of data %llu does not hold "
                     "the piece read", version, (unsigned long long)data_id);
        return rc;
    }
    char path[PATH_MAX];
    tess_error_t err;
    if (h5frag_path(path, sizeof(path), w->run_dir, data_id, version) < 0 ||
        h5frag_read(path, type, rank, piece, piece + rank, dst, dst_box + rank,
                    dstart, &err) < 0) {
        snprintf(msg, len, "%s", err.text);
        return -1;
    }
    pthread_mutex_lock(&w->lock);
    w->frag_reads++;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* Decode one data parameter, gather its input, prepare its output. */
static int prepare_data(worker_t *w, preader_t *r, int i, struct tess_arg *a,
                        int64_t *boxes, void **tmp, struct outbuf *ob,
                        int *nob, char **paths, char *msg, size_t len)
{
    uint64_t data_id = preader_u64(r);
    uint8_t dkind = preader_u8(r);
    a->type = (tess_type_t)preader_u8(r);
    a->rank = preader_u8(r);
    int rank = a->rank;
    if (rank > TESS_MAX_RANK || r->err) {
        snprintf(msg, len, "corrupt task descriptor");
        return -1;
    }
    int64_t *box = boxes + (size_t)i * 2 * TESS_MAX_RANK;
    preader_i64s(r, box, 2 * (size_t)rank);
    a->start = box;
    a->count = box + rank;

    if (dkind == 2) { /* a file: paths of the versions read and written */
        char in[PATH_MAX] = "", out[PATH_MAX] = "";
        if (a->dir != TESS_OUT)
            preader_str(r, in, sizeof(in));
        if (a->dir != TESS_IN)
            preader_str(r, out, sizeof(out));
        paths[i] = strdup(a->dir == TESS_IN ? in : out);
        if (!paths[i]) {
            snprintf(msg, len, "out of memory");
            return -1;
        }
        a->path = paths[i];
        tess_error_t e;
        if (a->dir == TESS_INOUT && filever_copy(in, out, &e) < 0) {
            snprintf(msg, len, "%s", e.text);
            return -1;
        }
        if (a->dir == TESS_OUT)
            unlink(out);
        return 0;
    }

    size_t elsize = tess_type_size(a->type);
    int64_t numel = 1;
    for (int d = 0; d < rank; d++)
        numel *= box[rank + d];
    size_t bytes = (size_t)numel * elsize;
    void *buf = calloc(1, bytes ? bytes : 1);
    if (!buf) {
        snprintf(msg, len, "parameter %d: out of memory (%zu bytes)", i, bytes);
        return -1;
    }
    a->buf = buf;
    tmp[i] = buf;
    uint32_t nsrc = a->dir == TESS_OUT ? 0 : preader_u32(r);
    for (uint32_t s = 0; s < nsrc && !r->err; s++) {
        uint32_t version = preader_u32(r);
        int64_t piece[2 * TESS_MAX_RANK];
        preader_i64s(r, piece, 2 * (size_t)rank);
        uint8_t loc = preader_u8(r);
        if (loc == PROTO_LOC_INLINE) {
            int64_t pn = 1, zero[TESS_MAX_RANK] = {0}, dstart[TESS_MAX_RANK];
            for (int d = 0; d < rank; d++) {
                pn *= piece[rank + d];
                dstart[d] = piece[d] - box[d];
            }
            const void *src = preader_bytes(r, (size_t)pn * elsize);
            if (src)
                box_copy(elsize, rank, src, piece + rank, zero, buf,
                         box + rank, dstart, piece + rank);
        } else if (loc == PROTO_LOC_FRAG) {
            if (read_piece(w, data_id, version, a->type, rank, piece, buf, box,
                           msg, len) < 0)
                return -1;
        }
    }
    if (a->dir != TESS_IN) {
        struct outbuf *o = &ob[(*nob)++];
        o->param = i;
        o->data_id = data_id;
        o->version = preader_u32(r);
        o->mode = preader_u8(r);
        o->type = a->type;
        o->rank = rank;
        memcpy(o->box, box, 2 * sizeof(int64_t) * (size_t)rank);
        o->buf = buf;
        o->bytes = bytes;
        tmp[i] = NULL; /* owned by the output now */
    }
    if (r->err) {
        snprintf(msg, len, "corrupt task descriptor");
        return -1;
    }
    return 0;
}

/* Store or return the outputs of a successful task. */
static int finish_outputs(worker_t *w, struct outbuf *ob, int nob,
                          pbuf_t *done, char *msg, size_t len)
{
    int rc = 0;
    for (int k = 0; k < nob; k++) {
        struct outbuf *o = &ob[k];
        pbuf_u16(done, (uint16_t)o->param);
        pbuf_u8(done, o->mode);
        if (o->mode == PROTO_OUT_INLINE) {
            pbuf_u64(done, o->bytes);
            pbuf_bytes(done, o->buf, o->bytes);
            pthread_mutex_lock(&w->lock);
            w->inline_bytes += o->bytes;
            pthread_mutex_unlock(&w->lock);
            continue;
        }
        char path[PATH_MAX];
        tess_error_t err;
        if (rc == 0 &&
            (h5frag_path(path, sizeof(path), w->run_dir, o->data_id,
                         o->version) < 0 ||
             h5frag_write(path, o->type, o->rank, o->box, o->box + o->rank,
                          o->buf, &err) < 0)) {
            snprintf(msg, len, "%s", err.text);
            rc = -1;
            continue;
        }
        fragcache_meta_t meta;
        meta.type = o->type;
        meta.rank = o->rank;
        memcpy(meta.start, o->box, sizeof(int64_t) * (size_t)o->rank);
        memcpy(meta.count, o->box + o->rank, sizeof(int64_t) * (size_t)o->rank);
        fragcache_put(w->cache, o->data_id, o->version, o->buf, o->bytes, &meta);
        o->buf = NULL; /* the cache owns it */
        pthread_mutex_lock(&w->lock);
        w->frag_bytes += o->bytes;
        pthread_mutex_unlock(&w->lock);
    }
    return rc;
}

static void run_job(worker_t *w, struct job *j)
{
    preader_t r;
    char msg[512] = "";
    int ok = 0, nob = 0;
    preader_init(&r, j->rec, j->len);
    uint64_t cookie = preader_u64(&r);
    uint64_t task_id = preader_u64(&r);
    (void)preader_u32(&r); /* kernel index, resolved by the main thread */
    int n = preader_u16(&r);
    (void)preader_u8(&r); /* flags */
    uint64_t t0 = now_ns(), t1;

    struct tess_arg *a = calloc((size_t)n + 1, sizeof(*a));
    void **tmp = calloc((size_t)n + 1, sizeof(*tmp));
    char **paths = calloc((size_t)n + 1, sizeof(*paths));
    int64_t *boxes = calloc((size_t)n + 1, 2 * TESS_MAX_RANK * sizeof(int64_t));
    struct outbuf *ob = calloc((size_t)n + 1, sizeof(*ob));
    pbuf_t *done = &j->out;
    pbuf_init(done);
    size_t rec = pbuf_begin_record(done, PROTO_DONE);
    pbuf_u64(done, cookie);

    if (!a || !tmp || !paths || !boxes || !ob) {
        snprintf(msg, sizeof(msg), "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        a[i].kind = (tess_param_kind_t)preader_u8(&r);
        a[i].dir = (tess_dir_t)preader_u8(&r);
        uint32_t sl;
        switch (a[i].kind) {
        case TESS_P_INT:
            a[i].value.i = (int64_t)preader_u64(&r);
            break;
        case TESS_P_DOUBLE:
            a[i].value.d = preader_f64(&r);
            break;
        case TESS_P_STRING: {
            const char *s = preader_strref(&r, &sl);
            paths[i] = malloc(sl + 1);
            if (!paths[i]) {
                snprintf(msg, sizeof(msg), "out of memory");
                goto out;
            }
            memcpy(paths[i], s ? s : "", sl);
            paths[i][sl] = '\0';
            a[i].value.s = paths[i];
            break;
        }
        case TESS_P_DATA:
            if (prepare_data(w, &r, i, &a[i], boxes, tmp, ob, &nob, paths, msg,
                             sizeof(msg)) < 0)
                goto out;
            break;
        default:
            snprintf(msg, sizeof(msg), "corrupt task descriptor");
            goto out;
        }
    }
    if (r.err) {
        snprintf(msg, sizeof(msg), "corrupt task descriptor");
        goto out;
    }
    if (!j->fn) {
        snprintf(msg, sizeof(msg), "%s", j->kerr);
        goto out;
    }
    struct tess_args args = {.kernel = j->kname, .task_id = task_id, .n = n,
                             .a = a, .msg = msg, .msglen = sizeof(msg)};
    int rc = j->fn(&args);
    ok = rc == 0;
    if (!ok && !msg[0])
        snprintf(msg, sizeof(msg), "kernel returned %d", rc);

out:
    t1 = now_ns();
    {
        /* Outputs are encoded after the status: build them aside first. */
        pbuf_t outs;
        pbuf_init(&outs);
        if (ok && finish_outputs(w, ob, nob, &outs, msg, sizeof(msg)) < 0)
            ok = 0;
        pbuf_u8(done, (uint8_t)ok);
        pbuf_str(done, ok ? "" : msg);
        pbuf_u64(done, t0);
        pbuf_u64(done, t1);
        pbuf_u16(done, (uint16_t)(ok ? nob : 0));
        if (ok)
            pbuf_bytes(done, outs.data, outs.len);
        pbuf_free(&outs);
    }
    pbuf_end_record(done, rec);
    for (int i = 0; i < n; i++) {
        if (tmp)
            free(tmp[i]);
        if (paths)
            free(paths[i]);
        if (ob && i < nob)
            free(ob[i].buf);
    }
    free(a);
    free(tmp);
    free(paths);
    free(boxes);
    free(ob);
    free(j->rec);
    j->rec = NULL;
}

static void *compute_main(void *arg)
{
    worker_t *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->work_head && !w->stopping)
            pthread_cond_wait(&w->work_cv, &w->lock);
        struct job *j = w->work_head;
        if (!j)
            break;
        w->work_head = j->next;
        if (!w->work_head)
            w->work_tail = NULL;
        pthread_mutex_unlock(&w->lock);

        run_job(w, j);

        pthread_mutex_lock(&w->lock);
        w->tasks++;
        j->next = NULL;
        /* The main thread takes the whole list: wake it only for the
         * first completion it has not seen. */
        if (w->done_tail) {
            w->done_tail->next = j;
        } else {
            w->done_head = j;
            pthread_cond_signal(&w->done_cv);
        }
        w->done_tail = j;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* ---- the main thread: MPI --------------------------------------------- */

static int mpi_fail(int rc, const char *what, tess_error_t *err)
{
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, s, &n);
    return tess_errprintf(err, "worker: %s: %s", what, s);
}

static int handle_kernel(worker_t *w, preader_t *p)
{
    uint32_t idx = preader_u32(p);
    char name[1024];
    preader_str(p, name, sizeof(name));
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
    if (!k->ok) {
        char host[64] = "?";
        gethostname(host, sizeof(host));
        snprintf(k->err, sizeof(k->err), "on %s: %s", host, err.text);
    }
    return 0;
}

/* Jobs decoded from one message, queued for the compute threads at once. */
struct batch {
    struct job *head, *tail;
    int n;
};

static void batch_flush(worker_t *w, struct batch *b)
{
    if (!b->head)
        return;
    pthread_mutex_lock(&w->lock);
    if (w->work_tail)
        w->work_tail->next = b->head;
    else
        w->work_head = b->head;
    w->work_tail = b->tail;
    if (b->n == 1)
        pthread_cond_signal(&w->work_cv);
    else
        pthread_cond_broadcast(&w->work_cv);
    pthread_mutex_unlock(&w->lock);
    b->head = b->tail = NULL;
    b->n = 0;
}

static int handle_task(worker_t *w, preader_t *p, struct batch *b)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j || !(j->rec = malloc(p->len ? p->len : 1))) {
        free(j);
        return -1;
    }
    memcpy(j->rec, p->p, p->len);
    j->len = p->len;
    (void)preader_u64(p); /* cookie */
    (void)preader_u64(p); /* task id */
    uint32_t k = preader_u32(p);
    if (k < w->nk && w->kmap[k].ok) {
        j->fn = kreg_fn(w->kernels, w->kmap[k].local);
        j->kname = kreg_name(w->kernels, w->kmap[k].local);
    } else {
        j->kname = "?";
        j->kerr = k < w->nk ? w->kmap[k].err : "kernel never announced";
    }
    if (b->tail)
        b->tail->next = j;
    else
        b->head = j;
    b->tail = j;
    b->n++;
    return 0;
}

/* Send msg to the engine without blocking (see sendq.h); msg is emptied. */
static int send_simple(worker_t *w, pbuf_t *msg, tess_error_t *err)
{
    if (sendq_post(w->sendq, msg, w->engine, w->senderr,
                   sizeof(w->senderr)) < 0)
        return tess_errprintf(err, "worker: %s", w->senderr);
    return 0;
}

/* Send every finished task's DONE record in one message. */
static int flush_done(worker_t *w, pbuf_t *msg, tess_error_t *err)
{
    pthread_mutex_lock(&w->lock);
    struct job *list = w->done_head;
    w->done_head = w->done_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    if (!list)
        return 0;
    pbuf_reset(msg);
    while (list) {
        struct job *j = list;
        list = j->next;
        pbuf_bytes(msg, j->out.data, j->out.len);
        pbuf_free(&j->out);
        free(j);
    }
    if (msg->err)
        return tess_errprintf(err, "worker: out of memory");
    return send_simple(w, msg, err);
}

/* Wait for a completion or a message: sleep on the done queue with a
 * growing timeout between probes (see backoff.h). */
static void idle_wait(worker_t *w, backoff_t *b)
{
    long ns = backoff_next(b);
    if (ns == 0) {
        sched_yield();
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ns;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    if (!w->done_head)
        pthread_cond_timedwait(&w->done_cv, &w->lock, &ts);
    pthread_mutex_unlock(&w->lock);
}

static int serve(worker_t *w, const worker_config_t *cfg, tess_error_t *err)
{
    pbuf_t out;
    uint8_t *in = NULL;
    size_t incap = 0;
    int rc = 0, running = 1;
    backoff_t b;
    pbuf_init(&out);
    backoff_reset(&b);

    /* HELLO: byte order, slots, host, arch. */
    char host[256] = "?";
    gethostname(host, sizeof(host));
    size_t rec = pbuf_begin_record(&out, PROTO_HELLO);
    pbuf_u32(&out, PROTO_BOM);
    pbuf_u32(&out, (uint32_t)w->nthreads);
    pbuf_str(&out, host);
    pbuf_str(&out, cfg->arch ? cfg->arch : "");
    const char *node = getenv("SLURMD_NODENAME");
    pbuf_str(&out, node ? node : host);
    char exe[PATH_MAX];
    ssize_t exelen = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[exelen > 0 ? exelen : 0] = '\0';
    pbuf_str(&out, exe); /* which build runs here, for the record */
    int64_t mem = cfg->memory_mb;
    const char *env = getenv("TESS_MEMORY_MB"); /* set by the Slurm backend */
    if (mem <= 0 && env)
        mem = strtoll(env, NULL, 10);
    if (mem <= 0) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
        mem = pages > 0 && size > 0 ? (int64_t)pages * size / (1024 * 1024) : 0;
    }
    pbuf_u64(&out, (uint64_t)mem);
    pbuf_end_record(&out, rec);
    if (send_simple(w, &out, err) < 0)
        goto done;

    while (running) {
        int flag = 0;
        MPI_Status st;
        sendq_progress(w->sendq);
        int mrc = MPI_Iprobe(w->engine, PROTO_TAG, w->comm, &flag, &st);
        if (mrc != MPI_SUCCESS) {
            rc = mpi_fail(mrc, "probe", err);
            break;
        }
        if (flag) {
            int count;
            MPI_Get_count(&st, MPI_BYTE, &count);
            if ((size_t)count > incap) {
                uint8_t *n = realloc(in, (size_t)count);
                if (!n) {
                    rc = tess_errprintf(err, "worker: out of memory");
                    break;
                }
                in = n;
                incap = (size_t)count;
            }
            mrc = MPI_Recv(in, count, MPI_BYTE, w->engine, PROTO_TAG, w->comm,
                           MPI_STATUS_IGNORE);
            if (mrc != MPI_SUCCESS) {
                rc = mpi_fail(mrc, "receive", err);
                break;
            }
            preader_t r, p;
            uint8_t type;
            int more;
            struct batch batch = {NULL, NULL, 0};
            preader_init(&r, in, (size_t)count);
            while ((more = preader_record(&r, &type, &p)) > 0) {
                int hrc = 0;
                switch (type) {
                case PROTO_CONFIG:
                    preader_str(&p, w->run_dir, sizeof(w->run_dir));
                    break;
                case PROTO_KERNEL:
                    hrc = handle_kernel(w, &p);
                    break;
                case PROTO_TASK:
                    hrc = handle_task(w, &p, &batch);
                    break;
                case PROTO_DROP:
                    while (p.off < p.len && !p.err) {
                        uint64_t id = preader_u64(&p);
                        uint32_t v = preader_u32(&p);
                        fragcache_drop(w->cache, id, v);
                    }
                    break;
                case PROTO_SHUTDOWN:
                    running = 0;
                    break;
                default:
                    hrc = -1;
                }
                if (hrc < 0) {
                    more = -1;
                    break;
                }
            }
            batch_flush(w, &batch);
            if (more < 0) {
                rc = tess_errprintf(err, "worker: corrupt message from the "
                                    "engine (record type %u)", type);
                break;
            }
            backoff_reset(&b);
        }
        int had_done;
        pthread_mutex_lock(&w->lock);
        had_done = w->done_head != NULL;
        pthread_mutex_unlock(&w->lock);
        if (had_done) {
            if (flush_done(w, &out, err) < 0) {
                rc = -1;
                break;
            }
            backoff_reset(&b);
        } else if (!flag) {
            idle_wait(w, &b);
        }
    }

    /* Drain: the engine sends SHUTDOWN only when no task is out, but stay
     * correct if one still runs. */
    for (;;) {
        pthread_mutex_lock(&w->lock);
        int busy = w->work_head != NULL;
        pthread_mutex_unlock(&w->lock);
        if (!busy)
            break;
        idle_wait(w, &b);
    }
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->work_cv);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    w->nthreads = 0;
    if (rc == 0 && flush_done(w, &out, err) < 0)
        rc = -1;
    if (rc == 0) {
        fragcache_stats_t cs;
        fragcache_stats(w->cache, &cs);
        pbuf_reset(&out);
        rec = pbuf_begin_record(&out, PROTO_BYE);
        pbuf_u64(&out, w->tasks);
        pbuf_u64(&out, w->frag_bytes);
        pbuf_u64(&out, w->inline_bytes);
        pbuf_u64(&out, cs.peak_bytes);
        pbuf_u64(&out, w->cache_reads);
        pbuf_u64(&out, w->frag_reads);
        pbuf_end_record(&out, rec);
        rc = send_simple(w, &out, err);
    }
    sendq_drain(w->sendq);
done:
    pbuf_free(&out);
    free(in);
    return rc;
}

int worker_serve(MPI_Comm comm, int engine, kreg_t *kernels,
                 const worker_config_t *cfg, tess_error_t *err)
{
    worker_t w;
    memset(&w, 0, sizeof(w));
    /* kernel modules: this architecture's build first */
    if (kreg_set_arch(kernels, cfg->arch) < 0)
        return tess_errprintf(err, "worker: architecture name too long");
    w.comm = comm;
    w.engine = engine;
    w.kernels = kernels;
    int slots = cfg->slots;
    if (slots <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        slots = n > 0 ? (int)n : 1;
    }
    w.cache = fragcache_create(cfg->cache_bytes ? cfg->cache_bytes
                                                : (size_t)512 << 20);
    w.threads = calloc((size_t)slots, sizeof(pthread_t));
    w.sendq = sendq_create(comm);
    if (!w.cache || !w.threads || !w.sendq) {
        sendq_destroy(w.sendq);
        fragcache_destroy(w.cache);
        free(w.threads);
        return tess_errprintf(err, "worker: out of memory");
    }
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.work_cv, NULL);
    pthread_cond_init(&w.done_cv, NULL);
    int rc = 0;
    for (int i = 0; i < slots; i++) {
        if (pthread_create(&w.threads[i], NULL, compute_main, &w) != 0) {
            rc = tess_errprintf(err, "worker: cannot start thread");
            break;
        }
        w.nthreads++;
    }
    if (rc == 0)
        rc = serve(&w, cfg, err);
    else {
        pthread_mutex_lock(&w.lock);
        w.stopping = 1;
        pthread_cond_broadcast(&w.work_cv);
        pthread_mutex_unlock(&w.lock);
        for (int i = 0; i < w.nthreads; i++)
            pthread_join(w.threads[i], NULL);
    }
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.work_cv);
    pthread_cond_destroy(&w.done_cv);
    sendq_destroy(w.sendq);
    fragcache_destroy(w.cache);
    free(w.threads);
    free(w.kmap);
    return rc;
}
