/* sched.c - placing ready tasks on worker slots. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sched.h"

struct sched {
    int n;
    int *slots, *used;
    int *ahead;              /* per worker: tasks that may wait in its queue
                                beyond its slots (short tasks only) */
    int64_t *mem, *mem_used; /* per worker, MiB; mem 0: not limited */
    int free_total, busy;
    int locality_on;
    int rr; /* round-robin cursor for "fifo" */
    const sched_ops_t *ops;
    void *ctx;
    dag_task_t *hi_head, *hi_tail, *lo_head, *lo_tail;
    uint64_t queued;
};

sched_t *sched_create(int nworkers, const int *slots, const int64_t *memory_mb,
                      const int *ahead, const char *policy,
                      const sched_ops_t *ops, void *ctx)
{
    int loc;
    if (!policy || strcmp(policy, "locality") == 0)
        loc = 1;
    else if (strcmp(policy, "fifo") == 0)
        loc = 0;
    else {
        errno = EINVAL;
        return NULL;
    }
    sched_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->slots = calloc((size_t)nworkers, sizeof(int));
    s->used = calloc((size_t)nworkers, sizeof(int));
    s->mem = calloc((size_t)nworkers, sizeof(int64_t));
    s->mem_used = calloc((size_t)nworkers, sizeof(int64_t));
    s->ahead = calloc((size_t)nworkers, sizeof(int));
    if (!s->slots || !s->used || !s->mem || !s->mem_used || !s->ahead) {
        sched_destroy(s);
        errno = ENOMEM;
        return NULL;
    }
    s->n = nworkers;
    for (int i = 0; i < nworkers; i++) {
        s->mem[i] = memory_mb && memory_mb[i] > 0 ? memory_mb[i] : 0;
        s->slots[i] = slots[i] > 0 ? slots[i] : 1;
        s->ahead[i] = ahead && ahead[i] > 0 ? ahead[i] : 0;
        s->free_total += s->slots[i] + s->ahead[i];
    }
    s->locality_on = loc;
    s->ops = ops;
    s->ctx = ctx;
    return s;
}

void sched_destroy(sched_t *s)
{
    int saved = errno;
    if (!s)
        return;
    free(s->slots);
    free(s->ahead);
    free(s->used);
    free(s->mem);
    free(s->mem_used);
    free(s);
    errno = saved;
}

void sched_push(sched_t *s, dag_task_t *t)
{
    dag_task_t **head = &s->lo_head, **tail = &s->lo_tail;
    if (t->flags & TESS_PRIORITY) {
        head = &s->hi_head;
        tail = &s->hi_tail;
    }
    t->next = NULL;
    if (*tail)
        (*tail)->next = t;
    else
        *head = t;
    *tail = t;
    s->queued++;
}

static int cost_of(const sched_t *s, const dag_task_t *t)
{
    int c = s->ops && s->ops->cost ? s->ops->cost(s->ctx, t) : 1;
    return c > 0 ? c : 1;
}

static int64_t memory_of(const sched_t *s, const dag_task_t *t)
{
    return s->ops && s->ops->memory ? s->ops->memory(s->ctx, t) : 0;
}

static int eligible(const sched_t *s, const dag_task_t *t, int w)
{
    return !s->ops || !s->ops->eligible || s->ops->eligible(s->ctx, t, w);
}

/* A retried task avoids the worker it failed on while another worker
 * could run it. */
static int avoided(const sched_t *s, const dag_task_t *t, int w)
{
    if (t->avoid != w + 1)
        return 0;
    for (int k = 0; k < s->n; k++)
        if (k != w && s->slots[k] >= cost_of(s, t) && eligible(s, t, k))
            return 1;
    return 0;
}

/* Does t fit worker w now? ahead: count the worker's queue-ahead room
 * (t will wait there behind the running tasks) besides its free slots. */
static int fits(const sched_t *s, const dag_task_t *t, int w, int cost,
                int ahead)
{
    int64_t m = memory_of(s, t);
    if (t->avoid && avoided(s, t, w))
        return 0;
    if (ahead > s->ahead[w])
        ahead = s->ahead[w];
    return s->slots[w] + ahead - s->used[w] >= cost &&
           (m == 0 || s->mem[w] == 0 || s->mem[w] - s->mem_used[w] >= m) &&
           (!s->ops || !s->ops->eligible || s->ops->eligible(s->ctx, t, w));
}

static int choose_in(sched_t *s, const dag_task_t *t, int cost, int ahead)
{
    int best = -1;
    uint64_t best_bytes = 0;
    if (!s->locality_on) {
        for (int k = 0; k < s->n; k++) {
            int w = (s->rr + k) % s->n;
            if (fits(s, t, w, cost, ahead)) {
                s->rr = (w + 1) % s->n;
                return w;
            }
        }
        return -1;
    }
    for (int w = 0; w < s->n; w++) {
        if (!fits(s, t, w, cost, ahead))
            continue;
        int freew = s->slots[w] - s->used[w];
        uint64_t bytes = s->ops && s->ops->locality
                             ? s->ops->locality(s->ctx, t, w)
                             : 0;
        if (best < 0 || bytes > best_bytes ||
            (bytes == best_bytes && freew > s->slots[best] - s->used[best])) {
            best = w;
            best_bytes = bytes;
        }
    }
    return best;
}

/* A free slot first; only then, for a short task, a place in the queue
 * of a busy worker (it starts there as soon as a slot frees, without a
 * round trip to the engine). */
static int choose(sched_t *s, const dag_task_t *t, int cost)
{
    int w = choose_in(s, t, cost, 0);
    int depth = w < 0 && s->ops && s->ops->queue_ahead
                    ? s->ops->queue_ahead(s->ctx, t)
                    : 0;
    if (depth > 0)
        w = choose_in(s, t, cost, depth);
    return w;
}

/* Unlink t (after prev, NULL if first) from the queue head/tail. */
static void unlink_task(sched_t *s, dag_task_t **head, dag_task_t **tail,
                        dag_task_t *prev, dag_task_t *t)
{
    if (prev)
        prev->next = t->next;
    else
        *head = t->next;
    if (*tail == t)
        *tail = prev;
    t->next = NULL;
    s->queued--;
}

/* The next task in order (priority first), off the queue. */
static dag_task_t *queue_next(sched_t *s)
{
    dag_task_t **head = &s->hi_head, **tail = &s->hi_tail;
    if (!*head) {
        head = &s->lo_head;
        tail = &s->lo_tail;
    }
    dag_task_t *t = *head;
    if (t)
        unlink_task(s, head, tail, NULL, t);
    return t;
}

/* How far down the queue a task may overtake one that cannot start now
 * (a mic-only task waiting for the mic node must not idle the others). */
#define SCHED_WINDOW 256

dag_task_t *sched_pick(sched_t *s, int *worker)
{
    if (s->free_total == 0)
        return NULL;
    dag_task_t **heads[2] = {&s->hi_head, &s->lo_head};
    dag_task_t **tails[2] = {&s->hi_tail, &s->lo_tail};
    int seen = 0;
    /* The first task, in order, that some worker can take now. */
    for (int q = 0; q < 2; q++) {
        dag_task_t *prev = NULL;
        for (dag_task_t *t = *heads[q]; t && seen < SCHED_WINDOW;
             prev = t, t = t->next, seen++) {
            int cost = cost_of(s, t);
            if (cost > s->free_total)
                continue;
            int w = choose(s, t, cost);
            if (w < 0)
                continue;
            unlink_task(s, heads[q], tails[q], prev, t);
            s->used[w] += cost;
            s->mem_used[w] += memory_of(s, t);
            s->free_total -= cost;
            s->busy += cost;
            *worker = w;
            return t;
        }
    }
    return NULL;
}

dag_task_t *sched_take(sched_t *s)
{
    return queue_next(s);
}

void sched_release(sched_t *s, int w, const dag_task_t *t)
{
    int cost = cost_of(s, t);
    if (w < 0 || w >= s->n || s->used[w] < cost)
        return;
    s->used[w] -= cost;
    s->mem_used[w] -= memory_of(s, t);
    s->free_total += cost;
    s->busy -= cost;
}

uint64_t sched_queued(const sched_t *s)
{
    return s->queued;
}

int sched_busy_slots(const sched_t *s)
{
    return s->busy;
}
