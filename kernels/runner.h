/*
 * runner.h - the slots that run tasks: one thread per slot, a queue of
 * jobs waiting for a slot, a list of jobs done.
 *
 * Both executors use it: the thread executor of a run (runtime/
 * exec_threads.c) and MPI workers (mpi_worker/worker.c). A job is any
 * struct that embeds runner_job_t first; the runner calls run(ctx, job,
 * slot) on a slot thread and moves the job to the done list, where its
 * owner collects it. The owner is one thread (the engine thread, or a
 * worker's MPI thread): push, take and wait are called from it only.
 *
 * Waiting: runner_wait_done() spins for a bounded time (spin_ns, a few
 * tens of microseconds: a task that ends soon is seen without a sleep and
 * a wake-up, which cost tens of microseconds on virtual machines) and
 * then sleeps on a condition variable until a job is done or the timeout
 * passes. Idle slot threads sleep the same way. No spinning beyond that.
 */
#ifndef TESS_KERNELS_RUNNER_H
#define TESS_KERNELS_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

typedef struct runner_job {
    struct runner_job *next;
    int slot;   /* set when a slot takes it */
} runner_job_t;

typedef struct runner runner_t;

/* Called on slot thread `slot` (0..nslots-1) for each job. */
typedef void (*runner_run_f)(void *ctx, runner_job_t *job, int slot);

/* nslots threads calling run(ctx, ...). spin_ns: how long waiters poll
 * before sleeping (0: none). NULL with err on failure (threads that did
 * start are stopped). Caller destroys. */
runner_t *runner_create(int nslots, runner_run_f run, void *ctx,
                        long spin_ns, tess_error_t *err);

/* One slot and no thread: the owner runs the jobs itself with
 * runner_run_next(), between its other duties (a worker of one slot: no
 * hand-over to a slot thread and back, two wake-ups less per task). */
runner_t *runner_create_inline(runner_run_f run, void *ctx,
                               tess_error_t *err);

/* Inline runners: run the next queued job on the calling thread (slot 0)
 * and move it to the done list. 1 if one ran, 0 if none was queued. */
int runner_run_next(runner_t *r);

/* Wait for the jobs being run, stop the threads, free. Jobs still queued
 * or done and not taken are left to their owner (take them first).
 * Accepts NULL; preserves errno. */
void runner_destroy(runner_t *r);

int runner_slots(const runner_t *r);

/* Queue a list of jobs (linked through next, NULL-terminated), in order. */
void runner_push(runner_t *r, runner_job_t *list);

/* The jobs done since the last call, in the order they finished (NULL if
 * none). Ownership returns to the caller. */
runner_job_t *runner_take_done(runner_t *r);

/* The jobs no slot has started yet, in queue order (they will not run). */
runner_job_t *runner_take_queued(runner_t *r);

/* Wait until a job is done (1) or timeout_ns passes (0); timeout_ns < 0
 * waits without limit. Returns at once when done jobs are waiting. */
int runner_wait_done(runner_t *r, long timeout_ns);

/* A job-done notification that is not a job: wakes runner_wait_done()
 * (other threads use it to make the owner look at something else). */
void runner_kick(runner_t *r);

/* Jobs queued and not started, and jobs running now. */
void runner_counts(runner_t *r, size_t *queued, size_t *running);

#endif
