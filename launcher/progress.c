/* progress.c - the live progress of a run (see progress.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "launcher/logopts.h"
#include "launcher/progress.h"
#include "report/fmt.h"
#include "report/status.h"

#define TICK_MS 500

struct progress {
    char run_dir[PATH_MAX];
    progress_mode_t mode;
    FILE *out;
    int fd;
    double interval, t0, next_log;
    bool vt;              /* a terminal that takes VT100 sequences */
    bool region;          /* the scroll region is set */
    int rows, cols;
    size_t last_len;      /* of the line drawn last (plain redraw) */
    char last[512];
    bool has_thread, stop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool handlers;
    struct sigaction old[3];
};

static const int signals[3] = {SIGINT, SIGTERM, SIGHUP};

/* What a signal handler needs to give the terminal back: the sequence and
 * where to write it. Process-wide because handlers are. */
static volatile sig_atomic_t restore_fd = -1;
static char restore_seq[64];
static volatile sig_atomic_t restore_len;

void progress_restore_terminal(void)
{
    int fd = restore_fd;
    if (fd >= 0 && restore_len > 0) {
        ssize_t n = write(fd, restore_seq, (size_t)restore_len);
        (void)n;
        restore_fd = -1;
    }
}

static void on_signal(int sig)
{
    progress_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

progress_mode_t progress_mode_for(FILE *out)
{
    if (logopts_level() < LOGOPTS_INFO)
        return PROGRESS_NONE;
    if (isatty(fileno(out)))
        return PROGRESS_LIVE;
    return logopts_progress_interval() > 0 ? PROGRESS_LOG : PROGRESS_NONE;
}

/* "512/1000 done, 2 running, ... | 6.2 tasks/s | 1m23s elapsed, about
 * 1m19s left" from the status @p st (NULL: none yet). */
static char *format(char *buf, size_t len, const status_t *st, double elapsed)
{
    char e[32], l[32];
    size_t o = 0;
#define ADD(...)                                                            \
    do {                                                                    \
        if (o < len)                                                        \
            o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__);           \
    } while (0)
    if (!st) {
        snprintf(buf, len, "starting: waiting for the engine's status "
                 "(%s elapsed)", fmt_duration(e, sizeof(e), elapsed));
        return buf;
    }
    if (status_finished(st))
        ADD("%s: ", st->state);
    if (st->tasks_total >= 0)
        ADD("%" PRId64 "/%" PRId64 " done", st->tasks_done, st->tasks_total);
    else if (st->tasks_submitted >= 0)
        ADD("%" PRId64 " done of %" PRId64 " submitted", st->tasks_done,
            st->tasks_submitted);
    else
        ADD("%" PRId64 " done", st->tasks_done);
    const char *names[] = {"running", "ready", "waiting", "failed"};
    int64_t counts[] = {st->tasks_running, st->tasks_ready,
                        st->tasks_waiting, st->tasks_failed};
    for (int i = 0; i < 4; i++)
        if (counts[i] >= 0)
            ADD(", %" PRId64 " %s", counts[i], names[i]);
    if (st->tasks_per_s >= 0)
        ADD(" | %.1f tasks/s", st->tasks_per_s);
    ADD(" | %s elapsed", fmt_duration(e, sizeof(e), elapsed));
    if (!status_finished(st) && st->tasks_total >= 0 && st->tasks_per_s > 0) {
        int64_t left = st->tasks_total - st->tasks_done -
                       (st->tasks_failed > 0 ? st->tasks_failed : 0) -
                       (st->tasks_cancelled > 0 ? st->tasks_cancelled : 0);
        if (left > 0)
            ADD(", about %s left",
                fmt_duration(l, sizeof(l), (double)left / st->tasks_per_s));
    }
#undef ADD
    return buf;
}

char *progress_format(char *buf, size_t len, const char *run_dir,
                      double elapsed_s)
{
    status_t st;
    tess_error_t err;
    if (status_load(run_dir, &st, &err) < 0) {
        status_clear(&st);
        return format(buf, len, NULL, elapsed_s);
    }
    format(buf, len, &st, elapsed_s);
    status_clear(&st);
    return buf;
}

progress_t *progress_create(const char *run_dir, progress_mode_t mode,
                            FILE *out, double interval_s)
{
    progress_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    snprintf(p->run_dir, sizeof(p->run_dir), "%s", run_dir);
    p->mode = mode;
    p->out = out;
    p->fd = fileno(out);
    p->interval = interval_s > 0 ? interval_s : 30;
    p->t0 = clock_mono_s();
    p->next_log = p->t0 + p->interval;
    const char *term = getenv("TERM");
    p->vt = mode == PROGRESS_LIVE && term && *term && strcmp(term, "dumb") != 0;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    return p;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* The screen's size, 0 if unknown. */
static void term_size(progress_t *p, int *rows, int *cols)
{
    struct winsize ws;
    *rows = *cols = 0;
    if (ioctl(p->fd, TIOCGWINSZ, &ws) == 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

/* Keep the last row for the status line: the rows above scroll. One blank
 * line is taken first, so that nothing on screen is written over. */
static void set_region(progress_t *p, int rows)
{
    char seq[96];
    int n;
    if (!p->region)
        n = snprintf(seq, sizeof(seq), "\n\0337\033[1;%dr\0338\033[1A",
                     rows - 1);
    else /* the screen was resized */
        n = snprintf(seq, sizeof(seq), "\0337\033[1;%dr\0338", rows - 1);
    write_all(p->fd, seq, (size_t)n);
    p->region = true;
    p->rows = rows;
    /* what a signal handler writes: whole screen back, last row cleared */
    n = snprintf(restore_seq, sizeof(restore_seq),
                 "\0337\033[r\0338\0337\033[%d;1H\033[2K\0338", rows);
    restore_len = n;
    restore_fd = p->fd;
}

static void draw_live(progress_t *p, const char *line)
{
    int rows, cols;
    char buf[700];
    term_size(p, &rows, &cols);
    size_t width = cols > 1 ? (size_t)cols - 1 : 79;
    size_t n = strlen(line);
    if (n > width)
        n = width;
    if (p->vt && rows >= 3) {
        if (!p->region || rows != p->rows)
            set_region(p, rows);
        int k = snprintf(buf, sizeof(buf), "\0337\033[%d;1H\033[2K%.*s\0338",
                         rows, (int)n, line);
        write_all(p->fd, buf, (size_t)k);
    } else {
        /* redraw in place on the current line */
        int pad = p->last_len > n ? (int)(p->last_len - n) : 0;
        int k = snprintf(buf, sizeof(buf), "\r%.*s%*s", (int)n, line, pad, "");
        write_all(p->fd, buf, (size_t)k);
        p->last_len = n;
    }
}

int progress_tick(progress_t *p)
{
    char line[480], msg[512];
    double t = clock_mono_s();
    if (!p || p->mode == PROGRESS_NONE)
        return TICK_MS;
    if (p->mode == PROGRESS_LOG) {
        if (t < p->next_log)
            return (int)((p->next_log - t) * 1000) + 1;
        p->next_log += p->interval;
        if (p->next_log < t)
            p->next_log = t + p->interval;
        progress_format(line, sizeof(line), p->run_dir, t - p->t0);
        fprintf(p->out, "tessera: progress: %s\n", line);
        fflush(p->out);
        return (int)(p->interval * 1000);
    }
    progress_format(line, sizeof(line), p->run_dir, t - p->t0);
    snprintf(msg, sizeof(msg), "tessera: %s", line);
    if (strcmp(msg, p->last) != 0 || p->region) {
        fflush(p->out); /* our own buffered output first */
        draw_live(p, msg);
        snprintf(p->last, sizeof(p->last), "%s", msg);
    }
    return TICK_MS;
}

static void *thread_main(void *arg)
{
    progress_t *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        pthread_mutex_unlock(&p->mu);
        int ms = progress_tick(p);
        pthread_mutex_lock(&p->mu);
        if (ms > TICK_MS)
            ms = TICK_MS; /* the log's due time is checked each tick */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!p->stop &&
               pthread_cond_timedwait(&p->cv, &p->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

progress_t *progress_start(const char *run_dir, FILE *out)
{
    progress_mode_t mode = progress_mode_for(out);
    progress_t *p = progress_create(run_dir, mode, out,
                                    logopts_progress_interval());
    if (!p || mode == PROGRESS_NONE)
        return p;
    if (mode == PROGRESS_LIVE) {
        /* the scroll region must not outlive us */
        for (int i = 0; i < 3; i++) {
            struct sigaction cur;
            if (sigaction(signals[i], NULL, &cur) == 0 &&
                cur.sa_handler == SIG_DFL) {
                struct sigaction sa;
                memset(&sa, 0, sizeof(sa));
                sa.sa_handler = on_signal;
                sigemptyset(&sa.sa_mask);
                sigaction(signals[i], &sa, &p->old[i]);
            } else {
                p->old[i].sa_handler = SIG_ERR; /* not ours to restore */
            }
        }
        p->handlers = true;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, thread_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        progress_stop(p);
        errno = rc;
        return NULL;
    }
    p->has_thread = true;
    return p;
}

void progress_stop(progress_t *p)
{
    int saved = errno;
    if (!p)
        return;
    if (p->has_thread) {
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    if (p->region) {
        progress_restore_terminal();
    } else if (p->mode == PROGRESS_LIVE && p->last_len) {
        char buf[600];
        int k = snprintf(buf, sizeof(buf), "\r%*s\r", (int)p->last_len, "");
        write_all(p->fd, buf, (size_t)k);
    }
    restore_fd = -1;
    if (p->handlers)
        for (int i = 0; i < 3; i++)
            if (p->old[i].sa_handler != SIG_ERR)
                sigaction(signals[i], &p->old[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    errno = saved;
}
