/* rundir.c - run directories: unique names, checks, one owner at a time. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "io/rundir.h"

/* The locks this process holds: POSIX record locks belong to the process
 * and vanish when it closes ANY descriptor of the file, so the process
 * must never open a lock file it holds (see rundir_token_ok). */
static const rundir_lock_t *held[8];

static void random_chars(char *out, size_t n, const char *alphabet)
{
    unsigned char r[64];
    size_t na = strlen(alphabet);
    if (n > sizeof(r))
        n = sizeof(r);
    if (getrandom(r, n, 0) != (ssize_t)n) {
        /* no entropy source: time and pid still differ between runs */
        unsigned long x = (unsigned long)time(NULL) ^
                          ((unsigned long)getpid() << 16) ^
                          (unsigned long)clock();
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            r[i] = (unsigned char)(x >> 33);
        }
    }
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[r[i] % na];
    out[n] = '\0';
}

int rundir_make_unique(const char *prefix, char *out, size_t len,
                       tess_error_t *err)
{
    char stamp[32], rnd[8];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    for (int tries = 0; tries < 100; tries++) {
        random_chars(rnd, 6, "abcdefghijklmnopqrstuvwxyz0123456789");
        if (snprintf(out, len, "%s.%s.%s", prefix, stamp, rnd) >= (int)len) {
            errno = ENAMETOOLONG;
            return tess_errprintf(err, "run directory name too long");
        }
        if (mkdir(out, 0777) == 0)
            return 0;
        if (errno != EEXIST)
            return tess_errprintf(err, "run directory %s: cannot create: %s",
                                  out, strerror(errno));
    }
    errno = EEXIST;
    return tess_errprintf(err, "run directory %s: no free name", prefix);
}

int rundir_prepare(const char *dir, tess_error_t *err)
{
    struct stat st;
    size_t n = strlen(dir);
    if (n == 0) {
        errno = EINVAL;
        return tess_errprintf(err, "run directory: empty path");
    }
    if (n > RUNDIR_MAX_PATH) {
        errno = ENAMETOOLONG;
        return tess_errprintf(err, "run directory: the path has %zu "
                              "characters; at most %d leave room for the "
                              "files of a run", n, RUNDIR_MAX_PATH);
    }
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return tess_errprintf(err, "run directory %s exists and is not "
                                  "a directory", dir);
        }
    } else if (errno != ENOENT) {
        return tess_errprintf(err, "run directory %s: %s", dir,
                              strerror(errno));
    } else if (mkdir(dir, 0777) < 0) {
        return tess_errprintf(err, "run directory %s: cannot create: %s%s",
                              dir, strerror(errno),
                              errno == ENOENT ? " (its parent does not exist)"
                                              : "");
    }
    if (access(dir, W_OK | X_OK) < 0)
        return tess_errprintf(err, "run directory %s: not writable: %s", dir,
                              strerror(errno));
    struct statvfs vs;
    if (statvfs(dir, &vs) == 0) {
        unsigned long long avail =
            (unsigned long long)vs.f_bavail * (unsigned long long)vs.f_frsize;
        if (avail < (16ULL << 20)) {
            errno = ENOSPC;
            return tess_errprintf(err, "run directory %s: its file system is "
                                  "full (%llu KiB free, at least 16 MiB "
                                  "needed)", dir, avail >> 10);
        }
    }
    return 0;
}

/* The files and directories a run leaves. */
static const char *const record_names[] = {
    "status.txt", "journal", "results.h5", "frags", "files", "trace.csv",
    "trace.h5", "edges.csv", "workers.txt",
};
static const char *const launch_names[] = {
    "logs", "srun.hosts", "srun.conf", "launch.log",
};

int rundir_has_run(const char *dir)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof(record_names) / sizeof(record_names[0]);
         i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, record_names[i]);
        if (access(path, F_OK) == 0)
            return 1;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 &&
                   errno != ENOENT
               ? -1
               : 0;
}

static int rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 if name is a temporary of a record file ("status.txt.tmp.PID",
 * "results.h5.tmp.PID.N"): what a run killed while writing leaves. */
static int record_temp(const char *name)
{
    for (size_t i = 0; i < sizeof(record_names) / sizeof(record_names[0]);
         i++) {
        size_t n = strlen(record_names[i]);
        if (strncmp(name, record_names[i], n) == 0 &&
            strncmp(name + n, ".tmp.", 5) == 0)
            return 1;
    }
    return 0;
}

int rundir_clear(const char *dir, tess_error_t *err)
{
    char path[PATH_MAX];
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (record_temp(e->d_name)) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    const char *const *lists[2] = {record_names, launch_names};
    size_t counts[2] = {sizeof(record_names) / sizeof(record_names[0]),
                        sizeof(launch_names) / sizeof(launch_names[0])};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            snprintf(path, sizeof(path), "%s/%s", dir, lists[l][i]);
            if (rm_tree(path) < 0)
                return tess_errprintf(err, "%s: cannot remove the earlier "
                                      "run's record: %s", path,
                                      strerror(errno));
        }
    return 0;
}

static int temps_removed;

static int rm_temp(const char *path, const struct stat *st, int flag,
                   struct FTW *ftw)
{
    (void)st;
    const char *base = path + ftw->base;
    if (flag == FTW_F && (strstr(base, ".tmp.") || strstr(base, ".tess-tmp.")) &&
        unlink(path) == 0)
        temps_removed++;
    return 0;
}

int rundir_clean_temps(const char *dir, tess_error_t *err)
{
    temps_removed = 0;
    if (nftw(dir, rm_temp, 16, FTW_PHYS) < 0)
        return tess_errprintf(err, "%s: cannot clean temporaries: %s", dir,
                              strerror(errno));
    return temps_removed;
}

/* ---- ownership ----------------------------------------------------------- */

static int lock_file(const char *dir, const char *name, char *out,
                     size_t len)
{
    if (snprintf(out, len, "%s/%s", dir, name) >= (int)len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int lock_path(const char *dir, char *out, size_t len)
{
    if (snprintf(out, len, "%s/lock", dir) >= (int)len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int parse_owner(const char *text, rundir_owner_t *o)
{
    memset(o, 0, sizeof(*o));
    return sscanf(text, "%255s %ld %31s %lf %32s", o->host, &o->pid, o->job,
                  &o->started, o->token) == 5
               ? 0
               : -1;
}

int rundir_owner(const char *dir, rundir_owner_t *o)
{
    char path[PATH_MAX], buf[512];
    if (lock_path(dir, path, sizeof(path)) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return parse_owner(buf, o);
}

static int owner_alive(const rundir_owner_t *o, const struct stat *st)
{
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    if (strcmp(host, o->host) == 0)
        return o->pid > 0 && (kill((pid_t)o->pid, 0) == 0 || errno == EPERM);
    /* elsewhere, without locks: trust a recently touched file */
    return time(NULL) - st->st_mtime < RUNDIR_STALE_S;
}

static void describe_owner(const rundir_owner_t *o, char *buf, size_t len)
{
    char when[32] = "?";
    time_t t = (time_t)o->started;
    struct tm tm;
    if (t > 0 && localtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, len, "pid %ld on %s%s%s, since %s", o->pid, o->host,
             strcmp(o->job, "-") ? ", Slurm job " : "",
             strcmp(o->job, "-") ? o->job : "", when);
}

static int write_owner(rundir_lock_t *l)
{
    char host[256] = "?", buf[512];
    gethostname(host, sizeof(host) - 1);
    const char *job = getenv("SLURM_JOB_ID");
    random_chars(l->token, 32, "0123456789abcdef");
    int n = snprintf(buf, sizeof(buf), "%s %ld %s %.0f %s\n", host,
                     (long)getpid(), job && *job ? job : "-",
                     (double)time(NULL), l->token);
    if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, buf, (size_t)n, 0) != n)
        return -1;
    fsync(l->fd);
    return 0;
}

/* 0 when no engine holds dir's lock.engine (waiting up to wait_s for one
 * that is going away), else the holder's pid. */
static long engine_holder(const char *dir, double wait_s)
{
    char path[PATH_MAX];
    if (lock_file(dir, "lock.engine", path, sizeof(path)) < 0)
        return 0;
    /* this process never holds lock.engine, so opening it drops nothing */
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long holder = 0;
    for (double waited = 0;; waited += 0.1) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK) {
            holder = 0;
            break;
        }
        holder = fl.l_pid > 0 ? (long)fl.l_pid : 1;
        if (waited >= wait_s)
            break;
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    close(fd);
    return holder;
}

int rundir_lock_engine(const char *dir, rundir_lock_t *l, tess_error_t *err)
{
    memset(l, 0, sizeof(*l));
    l->fd = -1;
    if (lock_file(dir, "lock.engine", l->path, sizeof(l->path)) < 0)
        return tess_errprintf(err, "run directory %s: path too long", dir);
    int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return tess_errprintf(err, "%s: cannot create: %s", l->path,
                              strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) < 0 && (errno == EAGAIN || errno == EACCES)) {
        close(fd);
        errno = EBUSY;
        return tess_errprintf(err, "run directory %s: another engine runs in "
                              "it", dir);
    }
    l->fd = fd;
    return 0;
}

int rundir_lock(const char *dir, rundir_lock_t *l, tess_error_t *err)
{
    char who[512];
    rundir_owner_t o;
    memset(l, 0, sizeof(*l));
    l->fd = -1;
    if (lock_path(dir, l->path, sizeof(l->path)) < 0)
        return tess_errprintf(err, "run directory %s: path too long", dir);
    int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return tess_errprintf(err, "run directory %s: cannot create its lock "
                              "file: %s", dir, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    struct stat fst, pst;
    if (fcntl(fd, F_SETLK, &fl) == 0) {
        l->fcntl_ok = 1;
        /* the owner before us may have removed the file while we opened
         * it: a lock on a removed file guards nothing, start again */
        if (fstat(fd, &fst) < 0 || stat(l->path, &pst) < 0 ||
            fst.st_ino != pst.st_ino || fst.st_dev != pst.st_dev) {
            close(fd);
            return rundir_lock(dir, l, err);
        }
    } else if (errno == EAGAIN || errno == EACCES) {
        char buf[512];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        if (parse_owner(buf, &o) == 0)
            describe_owner(&o, who, sizeof(who));
        else
            snprintf(who, sizeof(who), "another run");
        errno = EBUSY;
        return tess_errprintf(err, "run directory %s is in use by %s", dir,
                              who);
    } else {
        /* no locks on this file system: the recorded owner decides */
        struct stat st;
        char buf[512];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        if (fstat(fd, &st) == 0 && parse_owner(buf, &o) == 0 &&
            owner_alive(&o, &st)) {
            close(fd);
            describe_owner(&o, who, sizeof(who));
            errno = EBUSY;
            return tess_errprintf(err, "run directory %s is in use by %s "
                                  "(no file locks here: its lock file is "
                                  "trusted for %d s after its last update)",
                                  dir, who, RUNDIR_STALE_S);
        }
    }
    l->fd = fd;
    if (write_owner(l) < 0) {
        int e = errno;
        rundir_unlock(l);
        errno = e;
        return tess_errprintf(err, "run directory %s: cannot write its lock "
                              "file: %s", dir, strerror(e));
    }
    if (!l->fcntl_ok) {
        /* two runs may have written at once: the last one wins */
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
        if (rundir_owner(dir, &o) < 0 || strcmp(o.token, l->token) != 0) {
            close(l->fd);
            l->fd = -1;
            errno = EBUSY;
            return tess_errprintf(err, "run directory %s is in use by another "
                                  "run that started at the same moment", dir);
        }
    }
    /* the engine of an earlier run whose launcher died may still be going
     * away (it dies with its parent): give it a moment, then refuse */
    long engine = engine_holder(dir, 10);
    if (engine) {
        char host[256] = "?";
        gethostname(host, sizeof(host) - 1);
        rundir_unlock(l);
        errno = EBUSY;
        return tess_errprintf(err, "run directory %s is in use by the engine "
                              "of an earlier run (pid %ld on %s), whose "
                              "launcher is gone", dir, engine, host);
    }
    for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
        if (!held[i]) {
            held[i] = l;
            break;
        }
    return 0;
}

int rundir_token_ok(const char *dir)
{
    char path[PATH_MAX];
    if (lock_path(dir, path, sizeof(path)) < 0)
        return 0;
    /* this process holds it: opening the file would drop the lock */
    for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
        if (held[i] && strcmp(held[i]->path, path) == 0)
            return 1;
    const char *token = getenv("TESS_RUNDIR_TOKEN");
    rundir_owner_t o;
    return token && *token && rundir_owner(dir, &o) == 0 &&
           strcmp(o.token, token) == 0;
}

void rundir_touch(rundir_lock_t *l)
{
    if (l->fd >= 0)
        futimens(l->fd, NULL);
}

void rundir_unlock(rundir_lock_t *l)
{
    int saved = errno;
    for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
        if (held[i] == l)
            held[i] = NULL;
    if (l->fd >= 0) {
        unlink(l->path); /* before the lock goes: no one takes a dead file */
        close(l->fd);
    }
    l->fd = -1;
    errno = saved;
}
