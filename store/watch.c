/* watch.c - waiting for changes in the store (see watch.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "base/clock.h"
#include "store/watch.h"

#define PAUSE_MIN 0.001
#define PAUSE_MAX 1.0

double watch_now(void)
{
    return clock_mono_s();
}

void watch_init(watch_t *w, const char *const *dirs, int n, double timeout_s)
{
    w->fd = -1;
    w->start = watch_now();
    w->timeout = timeout_s;
#ifdef __linux__
    /* Out of inotify instances (128 per user by default) or watches: we
     * only poll, which is always correct. */
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return;
    int added = 0;
    for (int i = 0; i < n && i < WATCH_MAX_DIRS; i++)
        if (dirs[i]
            && inotify_add_watch(fd, dirs[i], IN_CREATE | IN_MOVED_TO
                                     | IN_DELETE | IN_MOVED_FROM
                                     | IN_DELETE_SELF | IN_MOVE_SELF
                                     | IN_ONLYDIR) >= 0)
            added++;
    if (added)
        w->fd = fd;
    else
        close(fd);
#else
    (void)dirs;
    (void)n;
#endif
}

void watch_progress(watch_t *w)
{
    w->start = watch_now();
}

double watch_waited(const watch_t *w)
{
    return watch_now() - w->start;
}

int watch_pause(watch_t *w)
{
    double waited = watch_waited(w);
    double pause = waited / 8;

    if (w->timeout > 0 && waited >= w->timeout) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (pause < PAUSE_MIN)
        pause = PAUSE_MIN;
    if (pause > PAUSE_MAX)
        pause = PAUSE_MAX;
    if (w->timeout > 0 && pause > w->timeout - waited)
        pause = w->timeout - waited;
    if (w->fd >= 0) {
        struct pollfd p = {.fd = w->fd, .events = POLLIN};
        int ms = (int)(pause * 1000) + 1;
        if (poll(&p, 1, ms) > 0) {
            char buf[4096];
            while (read(w->fd, buf, sizeof(buf)) > 0)
                ; /* drain: the waiter re-checks everything anyway */
        }
    } else {
        struct timespec ts = {(time_t)pause,
                              (long)((pause - (double)(time_t)pause) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return 0;
}

void watch_destroy(watch_t *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}
