/*
 * sched.h - which worker runs which ready task.
 *
 * Policy (the default, "locality"): tasks are taken in order, priority
 * tasks first, then first-come first-served; the head task goes to the
 * eligible worker (right architecture) with enough free slots that already
 * holds the most bytes of its inputs (data locality), ties broken by the
 * most free slots. The head task waits while no eligible worker has room
 * (tasks behind it wait too: first-come first-served, no overtaking). A
 * retried task (t->avoid) goes to another worker than the one it failed
 * on while one could run it. Policies are selected by name so others
 * can be added and measured ("fifo": ignore locality, round robin).
 * Engine thread only.
 */
#ifndef TESS_RUNTIME_SCHED_H
#define TESS_RUNTIME_SCHED_H

#include <stdint.h>

#include "engine/dag.h"

typedef struct sched sched_t;

/* What the scheduler asks of the executor about tasks and workers. */
typedef struct sched_ops {
    /* Bytes of t's inputs already held by worker w. */
    uint64_t (*locality)(void *ctx, const dag_task_t *t, int w);
    /* 1 if worker w may run t at all (its architecture). */
    int (*eligible)(void *ctx, const dag_task_t *t, int w);
    /* Slots t occupies while it runs (>= 1). */
    int (*cost)(void *ctx, const dag_task_t *t);
    /* Memory (MiB) t needs while it runs (0: none); NULL: none. */
    int64_t (*memory)(void *ctx, const dag_task_t *t);
    /* How many tasks like t may wait in a busy worker's queue (so the
     * worker goes on without a round trip to the engine): 0 for tasks not
     * known to be short; NULL: never. At most the worker's ahead[]. */
    int (*queue_ahead)(void *ctx, const dag_task_t *t);
} sched_ops_t;

/* nworkers workers with slots[i] slots and memory_mb[i] MiB each (copied;
 * memory_mb NULL or 0 entries: not limited); up to ahead[i] (NULL: 0) more
 * tasks may wait in worker i's queue, as ops->queue_ahead allows.
 * policy: "locality" (NULL) or "fifo". ops (borrowed) may be NULL: any
 * worker, one slot, no locality. NULL/EINVAL for an unknown policy. */
sched_t *sched_create(int nworkers, const int *slots, const int64_t *memory_mb,
                      const int *ahead, const char *policy,
                      const sched_ops_t *ops, void *ctx);
void sched_destroy(sched_t *s);

/* Queue a ready task (linked through t->next). */
void sched_push(sched_t *s, dag_task_t *t);

/* The next task that can start now and its worker (a slot is taken), or
 * NULL if the queue is empty or every slot is busy. */
dag_task_t *sched_pick(sched_t *s, int *worker);

/* Remove and return the next queued task without placing it (NULL when
 * the queue is empty): for tasks that will not start at all. */
dag_task_t *sched_take(sched_t *s);

/* A task of worker w finished: its slots are free. */
void sched_release(sched_t *s, int w, const dag_task_t *t);

uint64_t sched_queued(const sched_t *s);
int sched_busy_slots(const sched_t *s);

#endif
