/*
 * exec_threads.c - the local executor: a pool of threads in this process.
 *
 * Versions live in memory: each array version is a dense buffer of the box
 * it wrote (v->payload, NULL meaning zeros for an initial value), each file
 * version a path (a renamed copy under workdir for versions > 0). A task's
 * inputs are gathered from the pieces the dag recorded at submission; an IN
 * parameter read entirely from one version of the same box uses that
 * buffer directly.
 *
 * Threads sleep on condition variables when idle (no spinning); the engine
 * thread sleeps in poll(block) until a task finishes.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels/args.h"
#include "runtime/exec.h"
#include "io/filever.h"
#include "engine/kclass.h"
#include "engine/pool.h"
#include "base/box.h"

/* What a worker thread needs of a task, read on the engine thread. */
struct job {
    dag_task_t *t;
    tess_kernel_f fn;
    const char *kernel;
    char *msg; /* failure message (malloc'd), NULL on success */
    int ok;
};

typedef struct xthreads {
    exec_t base;
    const kreg_t *kernels;
    char *workdir;
    pool_t *jobs; /* engine thread only */

    pthread_mutex_t lock;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    dag_task_t *work_head, *work_tail; /* linked through t->next */
    dag_task_t *done_head, *done_tail;
    int stopping;

    int nthreads;
    pthread_t *threads;
} xthreads_t;

/* ---- running one task (worker threads) --------------------------------- */

/* Gather the pieces read by parameter dp into dst (dense, of dp's box). */
static void gather(const dag_param_t *dp, void *dst, size_t elsize)
{
    int r = dp->rank;
    int64_t vstart[TESS_MAX_RANK], dstart[TESS_MAX_RANK];
    for (uint32_t s = 0; s < dp->nsrc; s++) {
        const dag_src_t *src = &dp->src[s];
        const dag_version_t *v = src->v;
        if (!v->payload)
            continue; /* zeros: dst was zero-filled */
        for (int d = 0; d < r; d++) {
            vstart[d] = src->box[d] - v->box[d];
            dstart[d] = src->box[d] - dp->box[d];
        }
        box_copy(elsize, r, v->payload, v->box + r, vstart, dst, dp->box + r,
                 dstart, src->box + r);
    }
}

static int sources_have_zeros(const dag_param_t *dp)
{
    for (uint32_t s = 0; s < dp->nsrc; s++)
        if (!dp->src[s].v->payload)
            return 1;
    return 0;
}

/* The one version and box dp reads, if it reads exactly one whole version. */
static void *direct_input(const dag_param_t *dp)
{
    if (dp->nsrc != 1)
        return NULL;
    const dag_src_t *s = &dp->src[0];
    int r = dp->rank;
    if (memcmp(s->box, dp->box, 2 * sizeof(int64_t) * (size_t)r) != 0 ||
        memcmp(s->v->box, dp->box, 2 * sizeof(int64_t) * (size_t)r) != 0)
        return NULL;
    return s->v->payload;
}

static int prepare_file(xthreads_t *xt, dag_param_t *dp, struct tess_arg *a,
                        char *msg, size_t len)
{
    const dag_version_t *in = dp->nsrc ? dp->src[0].v : NULL;
    if (dp->dir == TESS_IN) {
        a->path = in->payload;
        return 0;
    }
    char *path = filever_path(xt->workdir, dp->data->id, dp->out->number,
                              dp->data->name);
    if (!path) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    dp->out->payload = path;
    a->path = path;
    if (dp->dir == TESS_INOUT) {
        /* Renaming: the task updates a copy, readers of the previous
         * version keep theirs. */
        tess_error_t e;
        if (filever_copy(in->payload, path, &e) < 0) {
            snprintf(msg, len, "%s", e.text);
            return -1;
        }
        return 0;
    }
    unlink(path);
    return 0;
}

static void run_job(xthreads_t *xt, struct job *j)
{
    dag_task_t *t = j->t;
    char msg[512] = "";
    struct tess_arg stack_args[16];
    void *stack_tmp[16];
    struct tess_arg *a = stack_args;
    void **tmp = stack_tmp;
    int n = t->nparams, ok = 0;

    if (n > 16) {
        a = calloc((size_t)n, sizeof(*a));
        tmp = calloc((size_t)n, sizeof(*tmp));
        if (!a || !tmp) {
            snprintf(msg, sizeof(msg), "out of memory");
            goto out;
        }
    }
    memset(a, 0, sizeof(*a) * (size_t)n);
    memset(tmp, 0, sizeof(*tmp) * (size_t)n);

    for (int i = 0; i < n; i++) {
        dag_param_t *dp = &t->params[i];
        a[i].kind = (tess_param_kind_t)dp->kind;
        a[i].dir = (tess_dir_t)dp->dir;
        if (dp->kind == TESS_P_INT)
            a[i].value.i = dp->value.i;
        else if (dp->kind == TESS_P_DOUBLE)
            a[i].value.d = dp->value.d;
        else if (dp->kind == TESS_P_STRING)
            a[i].value.s = dp->value.s;
        if (dp->kind != TESS_P_DATA)
            continue;
        a[i].type = dp->data->type;
        a[i].rank = dp->rank;
        a[i].start = dp->box;
        a[i].count = dp->box + dp->rank;
        if (dp->data->kind == DAG_FILE) {
            if (prepare_file(xt, dp, &a[i], msg, sizeof(msg)) < 0)
                goto out;
            continue;
        }
        size_t elsize = tess_type_size(dp->data->type);
        region_t reg;
        box_get(dp->rank, dp->box, &reg);
        size_t bytes = (size_t)region_volume(&reg) * elsize;
        void *buf = NULL;
        if (dp->dir == TESS_IN && (buf = direct_input(dp)) != NULL) {
            a[i].buf = buf;
            continue;
        }
        /* Zero-filled when some input is an implicit zero value or when the
         * kernel only writes (OUT): a kernel that skips elements then
         * leaves zeros, never garbage. */
        int zero = dp->dir == TESS_OUT || sources_have_zeros(dp);
        buf = zero ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
        if (!buf) {
            snprintf(msg, sizeof(msg), "parameter %d: out of memory (%zu bytes)",
                     i, bytes);
            goto out;
        }
        if (dp->dir != TESS_OUT)
            gather(dp, buf, elsize);
        if (dp->out)
            dp->out->payload = buf;
        else
            tmp[i] = buf;
        a[i].buf = buf;
    }

    struct tess_args args = {.kernel = j->kernel, .task_id = t->id, .n = n,
                             .a = a, .msg = msg, .msglen = sizeof(msg)};
    int rc = j->fn(&args);
    ok = rc == 0;
    if (!ok && !msg[0])
        snprintf(msg, sizeof(msg), "kernel returned %d", rc);

out:
    for (int i = 0; i < n && tmp; i++)
        free(tmp[i]);
    if (a != stack_args)
        free(a);
    if (tmp != stack_tmp)
        free(tmp);
    j->ok = ok;
    if (!ok)
        j->msg = strdup(msg);
}

static void *worker_main(void *arg)
{
    xthreads_t *xt = arg;
    pthread_mutex_lock(&xt->lock);
    for (;;) {
        while (!xt->work_head && !xt->stopping)
            pthread_cond_wait(&xt->work_cv, &xt->lock);
        if (!xt->work_head)
            break;
        dag_task_t *t = xt->work_head;
        xt->work_head = t->next;
        if (!xt->work_head)
            xt->work_tail = NULL;
        pthread_mutex_unlock(&xt->lock);

        run_job(xt, t->exec);

        pthread_mutex_lock(&xt->lock);
        t->next = NULL;
        /* poll() takes the whole list: wake it for the first entry only */
        if (xt->done_tail) {
            xt->done_tail->next = t;
        } else {
            xt->done_head = t;
            pthread_cond_signal(&xt->done_cv);
        }
        xt->done_tail = t;
    }
    pthread_mutex_unlock(&xt->lock);
    return NULL;
}

/* ---- engine-thread side ------------------------------------------------ */

static int xt_dispatch(exec_t *x, dag_task_t *list)
{
    xthreads_t *xt = (xthreads_t *)x;
    dag_task_t *last = NULL;
    int n = 0;
    for (dag_task_t *t = list; t; t = t->next) {
        struct job *j = pool_alloc(xt->jobs);
        if (!j)
            return -1; /* tasks stay with the engine; it fails the run */
        j->t = t;
        uint32_t k = t->kclass ? kclass_kernel_for(t->kclass, "default")
                               : t->kernel;
        j->fn = kreg_fn(xt->kernels, k);
        j->kernel = kreg_name(xt->kernels, k);
        j->msg = NULL;
        j->ok = 0;
        t->exec = j;
        last = t;
        n++;
    }
    if (!last)
        return 0;
    pthread_mutex_lock(&xt->lock);
    if (xt->work_tail)
        xt->work_tail->next = list;
    else
        xt->work_head = list;
    xt->work_tail = last;
    if (n == 1)
        pthread_cond_signal(&xt->work_cv);
    else
        pthread_cond_broadcast(&xt->work_cv);
    pthread_mutex_unlock(&xt->lock);
    return 0;
}

static int xt_poll(exec_t *x, int block, exec_done_f done, void *ctx)
{
    xthreads_t *xt = (xthreads_t *)x;
    pthread_mutex_lock(&xt->lock);
    while (block && !xt->done_head)
        pthread_cond_wait(&xt->done_cv, &xt->lock);
    dag_task_t *list = xt->done_head;
    xt->done_head = xt->done_tail = NULL;
    pthread_mutex_unlock(&xt->lock);

    int n = 0;
    while (list) {
        dag_task_t *t = list;
        list = t->next;
        struct job *j = t->exec;
        t->exec = NULL;
        t->next = NULL;
        int ok = j->ok;
        char *msg = j->msg;
        pool_free(xt->jobs, j);
        done(ctx, t, ok, msg);
        free(msg);
        n++;
    }
    return n;
}

static int xt_unqueue(exec_t *x, exec_done_f done, void *ctx, const char *msg)
{
    xthreads_t *xt = (xthreads_t *)x;
    pthread_mutex_lock(&xt->lock);
    dag_task_t *list = xt->work_head;
    xt->work_head = xt->work_tail = NULL;
    pthread_mutex_unlock(&xt->lock);
    int n = 0;
    while (list) {
        dag_task_t *t = list;
        list = t->next;
        pool_free(xt->jobs, t->exec);
        t->exec = NULL;
        t->next = NULL;
        done(ctx, t, 0, msg);
        n++;
    }
    return n;
}

static int xt_read(exec_t *x, const dag_version_t *v, const region_t *piece,
                   void *dst, const int64_t *dst_shape,
                   const int64_t *dst_start, tess_error_t *err)
{
    (void)x;
    int r = v->data->rank;
    int64_t vstart[TESS_MAX_RANK];
    if (!v->payload)
        return 0; /* zeros; the caller zero-filled dst */
    for (int d = 0; d < r; d++)
        vstart[d] = piece->start[d] - v->box[d];
    if (box_copy(tess_type_size(v->data->type), r, v->payload, v->box + r,
                 vstart, dst, dst_shape, dst_start, piece->count) < 0)
        return tess_errprintf(err, "%s: internal error copying version %u",
                              v->data->name, v->number);
    return 0;
}

static int xt_publish_file(exec_t *x, const dag_version_t *v,
                           tess_error_t *err)
{
    (void)x;
    tess_error_t e;
    if (v->number == 0 || !v->payload)
        return 0; /* the user's file itself */
    if (filever_publish(v->payload, v->data->name, &e) < 0)
        return tess_errprintf(err, "file %s: %s", v->data->name, e.text);
    return 0;
}

static int xt_init_version(exec_t *x, dag_version_t *v, void *buf,
                           tess_error_t *err)
{
    (void)x;
    if (v->data->kind == DAG_FILE) {
        if (!(v->payload = strdup(v->data->name)))
            return tess_errprintf(err, "out of memory");
        return 0;
    }
    v->payload = buf;
    return 0;
}

static void xt_version_free(exec_t *x, dag_version_t *v)
{
    (void)x;
    if (v->data->kind == DAG_FILE && v->number > 0 && v->payload)
        unlink(v->payload);
    free(v->payload);
    v->payload = NULL;
}

static void xt_describe(exec_t *x, char *archs, size_t len, int *max_slots,
                        int64_t *max_memory_mb)
{
    xthreads_t *xt = (xthreads_t *)x;
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    snprintf(archs, len, "default");
    *max_slots = xt->nthreads;
    *max_memory_mb = pages > 0 && size > 0
                         ? (int64_t)pages * size / (1024 * 1024) : 0;
}

static void xt_destroy(exec_t *x)
{
    xthreads_t *xt = (xthreads_t *)x;
    if (!xt)
        return;
    pthread_mutex_lock(&xt->lock);
    xt->stopping = 1;
    pthread_cond_broadcast(&xt->work_cv);
    pthread_mutex_unlock(&xt->lock);
    for (int i = 0; i < xt->nthreads; i++)
        pthread_join(xt->threads[i], NULL);
    pthread_mutex_destroy(&xt->lock);
    pthread_cond_destroy(&xt->work_cv);
    pthread_cond_destroy(&xt->done_cv);
    pool_destroy(xt->jobs);
    free(xt->threads);
    free(xt->workdir);
    free(xt);
}

static const exec_ops_t threads_ops = {
    .name = "threads",
    .dispatch = xt_dispatch,
    .poll = xt_poll,
    .unqueue = xt_unqueue,
    .read = xt_read,
    .publish_file = xt_publish_file,
    .init_version = xt_init_version,
    .version_free = xt_version_free,
    .describe = xt_describe,
    .destroy = xt_destroy,
};

exec_t *exec_threads_create(int nthreads, const kreg_t *kernels,
                            const char *workdir, tess_error_t *err)
{
    xthreads_t *xt = calloc(1, sizeof(*xt));
    if (!xt) {
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    xt->base.ops = &threads_ops;
    xt->kernels = kernels;
    pthread_mutex_init(&xt->lock, NULL);
    pthread_cond_init(&xt->work_cv, NULL);
    pthread_cond_init(&xt->done_cv, NULL);
    xt->workdir = strdup(workdir);
    xt->jobs = pool_create(sizeof(struct job));
    xt->threads = calloc((size_t)nthreads, sizeof(pthread_t));
    if (!xt->workdir || !xt->jobs || !xt->threads) {
        tess_errprintf(err, "out of memory");
        xt_destroy(&xt->base);
        return NULL;
    }
    for (int i = 0; i < nthreads; i++) {
        int rc = pthread_create(&xt->threads[i], NULL, worker_main, xt);
        if (rc != 0) {
            tess_errprintf(err, "cannot start executor thread: %s",
                           strerror(rc));
            xt_destroy(&xt->base);
            return NULL;
        }
        xt->nthreads++;
    }
    return &xt->base;
}
