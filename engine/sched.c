/* sched.c - placing ready tasks on worker slots. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sched.h"

struct sched {
    int n;
    int *slots, *used;
    int free_total, busy;
    int locality_on;
    int rr; /* round-robin cursor for "fifo" */
    sched_locality_f locality;
    void *ctx;
    dag_task_t *hi_head, *hi_tail, *lo_head, *lo_tail;
    uint64_t queued;
};

sched_t *sched_create(int nworkers, const int *slots, const char *policy,
                      sched_locality_f locality, void *ctx)
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
    if (!s->slots || !s->used) {
        sched_destroy(s);
        errno = ENOMEM;
        return NULL;
    }
    s->n = nworkers;
    for (int i = 0; i < nworkers; i++) {
        s->slots[i] = slots[i] > 0 ? slots[i] : 1;
        s->free_total += s->slots[i];
    }
    s->locality_on = loc;
    s->locality = locality;
    s->ctx = ctx;
    return s;
}

void sched_destroy(sched_t *s)
{
    int saved = errno;
    if (!s)
        return;
    free(s->slots);
    free(s->used);
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

static int choose(sched_t *s, const dag_task_t *t)
{
    int best = -1;
    uint64_t best_bytes = 0;
    if (!s->locality_on) {
        for (int k = 0; k < s->n; k++) {
            int w = (s->rr + k) % s->n;
            if (s->used[w] < s->slots[w]) {
                s->rr = (w + 1) % s->n;
                return w;
            }
        }
        return -1;
    }
    for (int w = 0; w < s->n; w++) {
        int freew = s->slots[w] - s->used[w];
        if (freew <= 0)
            continue;
        uint64_t bytes = s->locality ? s->locality(s->ctx, t, w) : 0;
        if (best < 0 || bytes > best_bytes ||
            (bytes == best_bytes && freew > s->slots[best] - s->used[best])) {
            best = w;
            best_bytes = bytes;
        }
    }
    return best;
}

/* The next task in order (priority first), and with remove, off the queue. */
static dag_task_t *queue_next(sched_t *s, int remove)
{
    dag_task_t **head = &s->hi_head, **tail = &s->hi_tail;
    if (!*head) {
        head = &s->lo_head;
        tail = &s->lo_tail;
    }
    dag_task_t *t = *head;
    if (!t || !remove)
        return t;
    *head = t->next;
    if (!*head)
        *tail = NULL;
    t->next = NULL;
    s->queued--;
    return t;
}

dag_task_t *sched_pick(sched_t *s, int *worker)
{
    if (s->free_total == 0)
        return NULL;
    dag_task_t *t = queue_next(s, 0);
    if (!t)
        return NULL;
    int w = choose(s, t);
    if (w < 0)
        return NULL;
    queue_next(s, 1);
    s->used[w]++;
    s->free_total--;
    s->busy++;
    *worker = w;
    return t;
}

dag_task_t *sched_take(sched_t *s)
{
    return queue_next(s, 1);
}

void sched_release(sched_t *s, int w)
{
    if (w < 0 || w >= s->n || s->used[w] == 0)
        return;
    s->used[w]--;
    s->free_total++;
    s->busy--;
}

uint64_t sched_queued(const sched_t *s)
{
    return s->queued;
}

int sched_busy_slots(const sched_t *s)
{
    return s->busy;
}
