/* job.c - spawn the MPI job, pass signals, keep its stderr, leave nothing. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher/job.h"

extern char **environ;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    if (!got_signal)
        got_signal = sig;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Lines of the job's stderr: copied to the log, passed on line by line
 * except mpirun's boxed notices (between lines of dashes: "mpirun noticed
 * that process rank 1 ... exited on signal 9", "Primary job terminated
 * normally, but ..."), which the launcher's one-line message replaces;
 * the first line that explains an abnormal end is kept. */
struct out {
    FILE *log;
    char *cur;         /* the line being read */
    size_t len, cap;
    int in_box;
    char prev[256];    /* the last non-empty line before this one */
    char *why;
    size_t whylen;
};

static const char *trim(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static void scan_line(struct out *o, const char *line)
{
    if (o->why[0])
        return;
    static const char *const marks[] = {"exited on signal", "srun: error:",
                                        "returned a non-zero exit code",
                                        "Exit code:", "was killed",
                                        "Segmentation fault", "Killed"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strstr(line, marks[i])) {
            /* "Process name: [[j,1],2]" comes on the line before */
            if (strcmp(marks[i], "Exit code:") == 0 && o->prev[0])
                snprintf(o->why, o->whylen, "%s, %s", o->prev, trim(line));
            else
                snprintf(o->why, o->whylen, "%s", trim(line));
            return;
        }
}

/* o->cur holds one line (without its newline, or the end of the output). */
static void end_line(struct out *o, int newline)
{
    o->cur[o->len] = '\0';
    const char *line = o->cur;
    size_t dashes = strspn(line, "-");
    if (dashes >= 20 && line[dashes] == '\0') {
        o->in_box = !o->in_box;
    } else {
        scan_line(o, line);
        if (!o->in_box) {
            o->cur[o->len] = '\n';
            ssize_t w = write(2, o->cur, o->len + (size_t)newline);
            (void)w;
        }
        if (*trim(line))
            snprintf(o->prev, sizeof(o->prev), "%s", trim(line));
    }
    o->len = 0;
}

static void pass_on(struct out *o, const char *buf, size_t n)
{
    if (o->log)
        fwrite(buf, 1, n, o->log);
    for (size_t i = 0; i < n; i++) {
        if (o->len + 2 > o->cap) {
            size_t cap = o->cap ? 2 * o->cap : 1024;
            char *c = realloc(o->cur, cap);
            if (!c) { /* out of memory: pass it on unfiltered */
                if (o->len)
                    end_line(o, 0);
                ssize_t w = write(2, buf + i, 1);
                (void)w;
                continue;
            }
            o->cur = c;
            o->cap = cap;
        }
        if (buf[i] == '\n')
            end_line(o, 1);
        else
            o->cur[o->len++] = buf[i];
    }
}

/* Send sig to every child of this process (as a subreaper, orphans of
 * the job become ours); returns how many there were. */
static int signal_children(int sig)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/proc/self/task/%s/children",
                 e->d_name);
        FILE *f = fopen(path, "r");
        long pid;
        while (f && fscanf(f, "%ld", &pid) == 1)
            if (pid > 0 && kill((pid_t)pid, sig) == 0)
                n++;
        if (f)
            fclose(f);
    }
    closedir(d);
    return n;
}

/* Read what is there (or wait up to ms for it); 0 at end of file. */
static int drain(int fd, struct out *o, int ms)
{
    struct pollfd pf = {fd, POLLIN, 0};
    int pr = poll(&pf, 1, ms);
    if (pr <= 0)
        return 1;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
        pass_on(o, buf, (size_t)n);
        return 1;
    }
    return n == 0 ? 0 : (errno == EINTR || errno == EAGAIN);
}

int job_run(const job_spec_t *spec, job_result_t *r, tess_error_t *err)
{
    memset(r, 0, sizeof(*r));
    double grace = spec->grace_s > 0 ? spec->grace_s : 10;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return tess_errprintf(err, "cannot start %s: pipe: %s", spec->what,
                              strerror(errno));
    /* orphans of the job become ours, so we can end them */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa, old[3];
    const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    got_signal = 0;
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, &old[i]);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawnattr_init(&at);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    for (int i = 0; i < 3; i++)
        sigaddset(&def, sigs[i]);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setpgroup(&at, 0); /* a group of its own */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, spec->argv[0], &fa, &at, spec->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &old[i], NULL);
        return tess_errprintf(err, "cannot start %s: %s", spec->argv[0],
                              strerror(rc));
    }
    struct out o = {.log = spec->log_path ? fopen(spec->log_path, "a") : NULL,
                    .why = r->why, .whylen = sizeof(r->why)};
    int open_pipe = 1, status = 0, forwarded = 0, killed = 0;
    double signalled_at = 0;
    for (;;) {
        if (open_pipe)
            open_pipe = drain(pfd[0], &o, 250);
        else {
            struct timespec ts = {0, 250000000L};
            nanosleep(&ts, NULL);
        }
        if (got_signal && !forwarded) {
            r->signal_received = got_signal;
            kill(-pid, SIGTERM); /* mpirun/srun and what runs here */
            forwarded = 1;
            signalled_at = now();
        }
        if (forwarded && !killed && now() - signalled_at > grace) {
            kill(-pid, SIGKILL);
            killed = 1;
        }
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = 0;
            break;
        }
        if (spec->tick)
            spec->tick(spec->tick_arg);
    }
    /* The leader is gone: whatever is left of its group must go too. */
    if (kill(-pid, 0) == 0) {
        kill(-pid, SIGKILL);
        r->killed_group = 1;
    }
    /* its last words, while someone still holds the pipe */
    for (double t0 = now(); open_pipe && now() - t0 < 1;)
        open_pipe = drain(pfd[0], &o, 100);
    /* Orphans reparented to us (ranks whose mpirun died, their executors)
     * must not outlive the run; the job is over, nothing of it has a
     * record to write any more (the launcher writes it): SIGKILL, until no
     * child is left (bounded). */
    for (double t0 = now(); now() - t0 < 5;) {
        if (signal_children(SIGKILL) > 0)
            r->killed_group = 1;
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w < 0 && errno == ECHILD)
            break;
        if (w <= 0) {
            if (open_pipe)
                open_pipe = drain(pfd[0], &o, 20);
            else {
                struct timespec ts = {0, 20000000L};
                nanosleep(&ts, NULL);
            }
        }
    }
    for (double t0 = now(); open_pipe && now() - t0 < 0.5;)
        open_pipe = drain(pfd[0], &o, 50);
    close(pfd[0]);
    if (o.len)
        end_line(&o, 0);
    free(o.cur);
    if (o.log)
        fclose(o.log);
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
    if (!r->signal_received)
        r->signal_received = got_signal;
    r->exited = WIFEXITED(status);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
    return 0;
}
