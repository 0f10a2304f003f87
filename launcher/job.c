/* job.c - spawn the MPI job, pass signals, keep its stderr, leave nothing. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "launcher/job.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    if (!got_signal)
        got_signal = sig;
}

/* Append the children of pid (of each of its threads: the kernel lists
 * them per thread, in /proc/PID/task/TID/children) to out[n..max);
 * returns the new n. */
static int children_of(pid_t pid, pid_t *out, int n, int max)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return n;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char cpath[128];
        snprintf(cpath, sizeof(cpath), "/proc/%d/task/%.20s/children",
                 (int)pid, e->d_name);
        FILE *f = fopen(cpath, "r");
        if (!f)
            continue;
        int c;
        while (n < max && fscanf(f, "%d", &c) == 1)
            out[n++] = (pid_t)c;
        fclose(f);
    }
    closedir(d);
    return n;
}

/* The descendants of this process (under the job's leader, or orphans
 * reparented to us, the subreaper) into out[0..max); returns how many.
 * Only the job's processes are read, not all of /proc: the hang watch
 * runs every tick. */
enum { MAXQ = 4096 };
static int descendants(pid_t *out, int max)
{
    int n = children_of(getpid(), out, 0, max);
    for (int i = 0; i < n; i++)
        n = children_of(out[i], out, n, max);
    return n;
}

/* Signal every descendant of this process (the job's ranks have process
 * groups of their own, so a group kill misses them). Returns how many
 * were signalled. */
static int signal_descendants(int sig)
{
    static pid_t q[MAXQ];
    int n = descendants(q, MAXQ), count = 0;
    for (int i = 0; i < n; i++)
        if (kill(q[i], sig) == 0)
            count++;
    return count;
}

/* 1 if pid runs (exists and is not a zombie). */
static int running(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* pid (comm) state ...: comm may hold spaces and parentheses */
    char *close_paren = strrchr(buf, ')');
    char state;
    return close_paren && sscanf(close_paren + 1, " %c", &state) == 1 &&
           state != 'Z' && state != 'X';
}

/* 1 if the environment of pid makes it an MPI rank (or a process a rank
 * started): the rank variables of OpenMPI, PMIx and PMI-1/2 launchers. */
static int is_rank(pid_t pid)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK=", "PMIX_RANK=",
                                       "PMI_RANK="};
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    /* one NUL-terminated entry at a time; only their starts matter */
    char entry[64];
    size_t len = 0;
    int found = 0, c;
    while (!found && (c = getc(f)) != EOF) {
        if (c != '\0') {
            if (len < sizeof(entry) - 1)
                entry[len++] = (char)c;
            continue;
        }
        entry[len] = '\0';
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
            if (strncmp(entry, vars[i], strlen(vars[i])) == 0)
                found = 1;
        len = 0;
    }
    fclose(f);
    return found;
}

/* How many MPI ranks of the job still run (among the descendants of this
 * process; what a rank started counts with it). */
static int live_ranks(void)
{
    static pid_t q[MAXQ];
    int n = descendants(q, MAXQ), live = 0;
    for (int i = 0; i < n; i++)
        if (running(q[i]) && is_rank(q[i]))
            live++;
    return live;
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
    snprintf(r->what, sizeof(r->what), "%s", spec->what);
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

    /* fork+exec rather than posix_spawn: the child must die with us
     * (PR_SET_PDEATHSIG, kept across exec), which a spawn cannot set. A
     * close-on-exec pipe carries the errno of an exec that failed. */
    int epfd[2];
    if (pipe2(epfd, O_CLOEXEC) < 0) {
        close(pfd[0]);
        close(pfd[1]);
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &old[i], NULL);
        return tess_errprintf(err, "cannot start %s: pipe: %s", spec->what,
                              strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        for (int i = 0; i < 3; i++)
            signal(sigs[i], SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setpgid(0, 0); /* a group of its own: a terminal's ^C is ours */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(pfd[1], 2);
        execvp(spec->argv[0], spec->argv);
        int e = errno;
        ssize_t w = write(epfd[1], &e, sizeof(e));
        (void)w;
        _exit(127);
    }
    int rc = pid < 0 ? errno : 0;
    close(pfd[1]);
    close(epfd[1]);
    if (pid > 0) {
        int e;
        if (read(epfd[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
            rc = e;
            waitpid(pid, NULL, 0);
        }
    }
    close(epfd[0]);
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
    /* the ranks: seen running, and when one last ran */
    int ranks_seen = 0;
    double ranks_alive_at = 0;
    for (;;) {
        if (open_pipe)
            open_pipe = drain(pfd[0], &o, 250);
        else {
            struct timespec ts = {0, 250000000L};
            nanosleep(&ts, NULL);
        }
        if (got_signal && !forwarded) {
            r->signal_received = got_signal;
            /* mpirun/srun, and the ranks that run here */
            kill(-pid, SIGTERM);
            signal_descendants(SIGTERM);
            forwarded = 1;
            signalled_at = clock_mono_s();
        }
        if (forwarded && !killed && clock_mono_s() - signalled_at > grace) {
            kill(-pid, SIGKILL);
            signal_descendants(SIGKILL);
            killed = 1;
        }
        if (spec->leader_hang_s > 0 && !r->leader_hung) {
            double now = clock_mono_s();
            if (live_ranks() > 0) {
                ranks_seen = 1;
                ranks_alive_at = now;
            } else if (ranks_seen &&
                       now - ranks_alive_at > spec->leader_hang_s) {
                /* every rank has ended and the leader has not: it hangs
                 * (mpirun's PMIx server after a rank died while
                 * connecting to it, OpenMPI 4.1), and would forever; its
                 * group goes (a wrapper script's mpirun too) */
                r->leader_hung = 1;
                kill(-pid, SIGKILL);
                signal_descendants(SIGKILL);
            }
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
    /* The leader is gone: whatever is left of the job (orphans are ours,
     * we are their subreaper) must go too. */
    if (kill(-pid, 0) == 0)
        kill(-pid, SIGKILL);
    if (signal_descendants(SIGKILL) > 0)
        r->killed_group = 1;
    /* the rest of its stderr, as long as someone still holds the pipe */
    for (double t0 = clock_mono_s(); open_pipe && clock_mono_s() - t0 < 2;)
        open_pipe = drain(pfd[0], &o, 100);
    close(pfd[0]);
    /* reap orphans reparented to us (bounded) */
    for (double t0 = clock_mono_s(); clock_mono_s() - t0 < 5;) {
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w < 0 && errno == ECHILD)
            break;
        if (w <= 0) {
            struct timespec ts = {0, 20000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (o.len)
        end_line(&o, 0);
    if (r->leader_hung) {
        char why[sizeof(r->why)];
        snprintf(why, sizeof(why), "%s", r->why);
        size_t wl = strlen(why);
        if (wl && why[wl - 1] == '.')
            why[wl - 1] = '\0'; /* mpirun's sentence goes on here */
        if (why[0])
            snprintf(r->why, sizeof(r->why), "%.300s; %.15s did not end "
                     "then (still running %d s after its last rank had "
                     "ended) and was killed", why, spec->what,
                     (int)spec->leader_hang_s);
        else
            snprintf(r->why, sizeof(r->why), "%.15s was still running %d s "
                     "after its last rank had ended, and was killed (its "
                     "last words: %.300s)", spec->what,
                     (int)spec->leader_hang_s, o.prev[0] ? o.prev : "none");
    }
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
