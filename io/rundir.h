/*
 * rundir.h - a run directory: one owner at a time, a unique default name,
 * checks before anything starts.
 *
 * Ownership: RUN_DIR/lock holds "host pid job started token" of the owner
 * and the owner keeps an fcntl() write lock on it for its whole life. The
 * kernel releases that lock when the owner dies, however it dies, so a
 * dead owner never blocks a new run, and a live one is always seen: on
 * local file systems, NFS (lockd / NFSv4 locks), GPFS and Lustre mounted
 * with -o flock the lock is coherent across nodes. Where the file system
 * has no locks (fcntl fails with ENOLCK/ENOSYS, e.g. Lustre -o noflock)
 * the content decides: an owner on this host whose process is gone is
 * stale; an owner elsewhere is trusted while its lock file was touched
 * within RUNDIR_STALE_S (owners touch it every minute). See
 * docs/reliability.md.
 *
 * A child started by the owner (the MPI job of `tessera run`) proves it
 * acts for the owner with the token, passed in TESS_RUNDIR_TOKEN.
 */
#ifndef TESS_IO_RUNDIR_H
#define TESS_IO_RUNDIR_H

#include <stddef.h>
#include <sys/types.h>

#include "tessera.h"

#define RUNDIR_STALE_S 300

/* The longest run directory path: fragment and file-version names must
 * still fit in PATH_MAX under it. */
#define RUNDIR_MAX_PATH 3072

typedef struct rundir_lock {
    int fd;            /* -1: not held */
    int fcntl_ok;      /* the file system supports fcntl locks */
    char path[4096 + 8];
    char token[33];
} rundir_lock_t;

/* Who holds a lock (parsed from its file). */
typedef struct rundir_owner {
    char host[256];
    long pid;
    char job[32];
    double started;    /* UNIX time */
    char token[33];
} rundir_owner_t;

/* Make a new directory named PREFIX.YYYYmmdd-HHMMSS.XXXXXX (random, made
 * with mkdir so two runs never share it) into out. -1 with err. */
int rundir_make_unique(const char *prefix, char *out, size_t len,
                       tess_error_t *err);

/* Check dir can be a run directory: path length, a directory or absent
 * (then created, the parent must exist), writable, and at least 16 MiB
 * free on its file system. -1 with errno and err. */
int rundir_prepare(const char *dir, tess_error_t *err);

/* 1 if dir holds the record of a run (status.txt, journal, results.h5,
 * frags/, files/, trace.csv), 0 if it is empty or only prepared by
 * `tessera submit` (job.sbatch, job output files, lock). */
int rundir_has_run(const char *dir);

/* Remove an earlier run's record from dir (--overwrite): the files
 * rundir_has_run() looks at, their temporaries (NAME.tmp.*), logs/ and
 * the launch files. -1 with err. */
int rundir_clear(const char *dir, tess_error_t *err);

/* Remove what writers that died left half-written in dir and below
 * (temporaries: *.tmp.*, *.tess-tmp.*), so every file left is complete.
 * Only when no writer of the run is alive. Returns how many, -1 with
 * err. */
int rundir_clean_temps(const char *dir, tess_error_t *err);

/* Take the lock of dir for this process (the fd is kept open and
 * close-on-exec). -1 with errno EBUSY and err naming the owner when a
 * live run holds it. */
int rundir_lock(const char *dir, rundir_lock_t *l, tess_error_t *err);

/* The engine's lock (RUN_DIR/lock.engine), held by the engine of a run
 * started by `tessera run` for its life: a launcher that died leaves its
 * job going away, and no new run may start in dir until it is gone
 * (rundir_lock waits up to 10 s for it, then refuses). */
int rundir_lock_engine(const char *dir, rundir_lock_t *l, tess_error_t *err);

/* 1 if TESS_RUNDIR_TOKEN names the lock of dir (we run for its owner). */
int rundir_token_ok(const char *dir);

/* Refresh the lock file's time (for file systems without locks). */
void rundir_touch(rundir_lock_t *l);

/* Release the lock and remove the file. Accepts an unheld lock. */
void rundir_unlock(rundir_lock_t *l);

/* Read the owner recorded in dir's lock file. -1 if none. */
int rundir_owner(const char *dir, rundir_owner_t *o);

#endif
