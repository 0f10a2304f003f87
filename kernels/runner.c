/* runner.c - slot threads with a work queue and a done list. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/runner.h"

struct slot_arg {
    struct runner *r;
    int slot;
};

struct runner {
    runner_run_f run;
    void *ctx;
    long spin_ns;

    pthread_mutex_t lock;
    pthread_cond_t work_cv, done_cv;
    runner_job_t *work_head, *work_tail;
    runner_job_t *done_head, *done_tail;
    size_t queued, running;
    int stopping;
    int owner_sleeping; /* the owner waits on done_cv */
    atomic_int done_flag; /* done list non-empty or kicked: lock-free peek */
    atomic_int work_flag; /* work queue non-empty: lock-free peek */

    int nthreads;
    int inline_slot;       /* no threads: the owner runs jobs */
    pthread_t *threads;
    struct slot_arg *args; /* one per thread, read by it */
};

static long elapsed_ns(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - t0->tv_sec) * 1000000000L +
           (now.tv_nsec - t0->tv_nsec);
}

static void *slot_main(void *arg);

runner_t *runner_create(int nslots, runner_run_f run, void *ctx,
                        long spin_ns, tess_error_t *err)
{
    runner_t *r = calloc(1, sizeof(*r));
    if (!r || nslots < 1) {
        free(r);
        errno = nslots < 1 ? EINVAL : ENOMEM;
        tess_errprintf(err, nslots < 1 ? "no slots" : "out of memory");
        return NULL;
    }
    r->run = run;
    r->ctx = ctx;
    r->spin_ns = spin_ns > 0 ? spin_ns : 0;
    atomic_init(&r->done_flag, 0);
    atomic_init(&r->work_flag, 0);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->work_cv, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    r->threads = calloc((size_t)nslots, sizeof(pthread_t));
    r->args = calloc((size_t)nslots, sizeof(*r->args));
    if (!r->threads || !r->args) {
        runner_destroy(r);
        errno = ENOMEM;
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < nslots; i++) {
        r->args[i].r = r;
        r->args[i].slot = i;
        int rc = pthread_create(&r->threads[i], NULL, slot_main, &r->args[i]);
        if (rc != 0) {
            runner_destroy(r);
            errno = rc;
            tess_errprintf(err, "cannot start slot thread %d of %d: %s", i,
                           nslots, rc == EAGAIN ? "too many threads (EAGAIN)"
                                                : "pthread_create failed");
            return NULL;
        }
        r->nthreads++;
    }
    return r;
}

void runner_destroy(runner_t *r)
{
    int saved = errno;
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = 1;
    atomic_store(&r->work_flag, 1); /* ends a spin */
    pthread_cond_broadcast(&r->work_cv);
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < r->nthreads; i++)
        pthread_join(r->threads[i], NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->work_cv);
    pthread_cond_destroy(&r->done_cv);
    free(r->threads);
    free(r->args);
    free(r);
    errno = saved;
}

int runner_slots(const runner_t *r)
{
    return r->inline_slot ? 1 : r->nthreads;
}

runner_t *runner_create_inline(runner_run_f run, void *ctx,
                               tess_error_t *err)
{
    runner_t *r = calloc(1, sizeof(*r));
    if (!r) {
        errno = ENOMEM;
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    r->run = run;
    r->ctx = ctx;
    r->inline_slot = 1;
    atomic_init(&r->done_flag, 0);
    atomic_init(&r->work_flag, 0);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->work_cv, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    return r;
}

int runner_run_next(runner_t *r)
{
    if (!r->inline_slot)
        return 0; /* slot threads run them */
    pthread_mutex_lock(&r->lock);
    runner_job_t *j = r->work_head;
    if (!j) {
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    r->work_head = j->next;
    if (!r->work_head) {
        r->work_tail = NULL;
        atomic_store(&r->work_flag, 0);
    }
    r->queued--;
    r->running++;
    pthread_mutex_unlock(&r->lock);
    j->slot = 0;
    j->next = NULL;
    r->run(r->ctx, j, 0);
    pthread_mutex_lock(&r->lock);
    r->running--;
    if (r->done_tail)
        r->done_tail->next = j;
    else
        r->done_head = j;
    r->done_tail = j;
    atomic_store(&r->done_flag, 1);
    pthread_mutex_unlock(&r->lock);
    return 1;
}

static void *slot_main(void *arg)
{
    struct slot_arg *sa = arg;
    runner_t *r = sa->r;
    int slot = sa->slot;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        if (!r->work_head && !r->stopping && r->spin_ns > 0) {
            /* a short spin: the next task of a stream arrives without a
             * sleep and a wake-up */
            struct timespec t0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            pthread_mutex_unlock(&r->lock);
            while (!atomic_load(&r->work_flag) && elapsed_ns(&t0) < r->spin_ns)
                sched_yield();
            pthread_mutex_lock(&r->lock);
        }
        while (!r->work_head && !r->stopping)
            pthread_cond_wait(&r->work_cv, &r->lock);
        runner_job_t *j = r->work_head;
        if (!j || r->stopping)
            break; /* queued jobs stay with their owner */
        r->work_head = j->next;
        if (!r->work_head) {
            r->work_tail = NULL;
            atomic_store(&r->work_flag, 0);
        }
        r->queued--;
        r->running++;
        pthread_mutex_unlock(&r->lock);

        j->slot = slot;
        j->next = NULL;
        r->run(r->ctx, j, slot);

        pthread_mutex_lock(&r->lock);
        r->running--;
        if (r->done_tail)
            r->done_tail->next = j;
        else
            r->done_head = j;
        r->done_tail = j;
        atomic_store(&r->done_flag, 1);
        if (r->owner_sleeping)
            pthread_cond_signal(&r->done_cv);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

void runner_push(runner_t *r, runner_job_t *list)
{
    if (!list)
        return;
    size_t n = 0;
    runner_job_t *last = list;
    for (runner_job_t *j = list; j; j = j->next) {
        n++;
        last = j;
    }
    pthread_mutex_lock(&r->lock);
    if (r->work_tail)
        r->work_tail->next = list;
    else
        r->work_head = list;
    r->work_tail = last;
    r->queued += n;
    atomic_store(&r->work_flag, 1);
    if (n == 1)
        pthread_cond_signal(&r->work_cv);
    else
        pthread_cond_broadcast(&r->work_cv);
    pthread_mutex_unlock(&r->lock);
}

runner_job_t *runner_take_done(runner_t *r)
{
    if (!atomic_load(&r->done_flag))
        return NULL;
    pthread_mutex_lock(&r->lock);
    runner_job_t *list = r->done_head;
    r->done_head = r->done_tail = NULL;
    atomic_store(&r->done_flag, 0);
    pthread_mutex_unlock(&r->lock);
    return list;
}

runner_job_t *runner_take_queued(runner_t *r)
{
    pthread_mutex_lock(&r->lock);
    runner_job_t *list = r->work_head;
    r->work_head = r->work_tail = NULL;
    r->queued = 0;
    atomic_store(&r->work_flag, 0);
    pthread_mutex_unlock(&r->lock);
    return list;
}

int runner_wait_done(runner_t *r, long timeout_ns)
{
    if (atomic_load(&r->done_flag))
        return 1;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long spin = r->spin_ns;
    if (timeout_ns >= 0 && spin > timeout_ns)
        spin = timeout_ns;
    while (elapsed_ns(&t0) < spin) {
        if (atomic_load(&r->done_flag))
            return 1;
        sched_yield();
    }
    struct timespec until;
    if (timeout_ns >= 0) {
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = timeout_ns - elapsed_ns(&t0);
        if (ns <= 0)
            return atomic_load(&r->done_flag) != 0;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec += ns % 1000000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&r->lock);
    r->owner_sleeping = 1;
    int rc = 0;
    while (!atomic_load(&r->done_flag) && rc != ETIMEDOUT) {
        if (timeout_ns >= 0)
            rc = pthread_cond_timedwait(&r->done_cv, &r->lock, &until);
        else
            pthread_cond_wait(&r->done_cv, &r->lock);
    }
    r->owner_sleeping = 0;
    int got = atomic_load(&r->done_flag) != 0;
    pthread_mutex_unlock(&r->lock);
    return got;
}

void runner_kick(runner_t *r)
{
    pthread_mutex_lock(&r->lock);
    atomic_store(&r->done_flag, 1);
    if (r->owner_sleeping)
        pthread_cond_signal(&r->done_cv);
    pthread_mutex_unlock(&r->lock);
}

void runner_counts(runner_t *r, size_t *queued, size_t *running)
{
    pthread_mutex_lock(&r->lock);
    if (queued)
        *queued = r->queued;
    if (running)
        *running = r->running;
    pthread_mutex_unlock(&r->lock);
}
