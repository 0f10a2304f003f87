/*
 * watch.h - waiting for a change in the store without busy waiting.
 *
 * A waiter re-checks what it waits for (a block file, the object's state,
 * its name) after each pause. Pauses grow with the time already waited
 * (1/8 of it, from 1 ms to 1 s), so a block committed right away is seen
 * within a millisecond or two while a waiter idle for an hour costs one
 * directory scan a second. Where inotify(7) is available, the pause also
 * ends as soon as an entry of a watched directory changes: a commit on
 * the same node is seen at once. inotify only reports changes made
 * through this node's kernel: on NFS, Lustre and GPFS another node's
 * commit is seen at the end of the current pause, which is why the
 * pauses stay bounded (docs/store.md).
 */
#ifndef TESS_STORE_WATCH_H
#define TESS_STORE_WATCH_H

#include <time.h>

#define WATCH_MAX_DIRS 3

typedef struct watch {
    int fd;                /* inotify descriptor, -1 if none */
    double start;          /* monotonic seconds: start of the wait */
    double timeout;        /* seconds, <= 0: none */
} watch_t;

/* Start a wait of at most @p timeout_s seconds (<= 0: no limit) for
 * changes in the directories @p dirs (@p n <= WATCH_MAX_DIRS; missing
 * ones are skipped). Never fails: without inotify it only polls. */
void watch_init(watch_t *w, const char *const *dirs, int n, double timeout_s);

/* Progress was made: the time-out and the pause growth start again. */
void watch_progress(watch_t *w);

/* Pause until a watched directory changes or the current pause ends.
 * Returns 0, or -1 with errno ETIMEDOUT once the time-out has passed
 * (checked before pausing; the last pause ends at the time-out). */
int watch_pause(watch_t *w);

/* Seconds since the start of the wait (or the last progress). */
double watch_waited(const watch_t *w);

/* Release the inotify descriptor. Accepts a watch never started. */
void watch_destroy(watch_t *w);

/* Monotonic clock, in seconds. */
double watch_now(void);

#endif
