/*
 * runstatus.h - RUN_DIR/status.txt: how a run is doing or how it ended, in
 * a form people and scripts read (format 1, docs/reliability.md).
 *
 *   key: value            one per line, keys [a-z_]+, in a fixed order;
 *                         readers ignore keys they do not know
 *   worker: RANK NODE ARCH SLOTS RUNNING DONE   one line per worker
 *   message: TEXT         one line: backslash escapes \\ \n \r \t, so no
 *                         text can forge another line
 *
 * The file is replaced atomically (written beside it, fsynced, renamed):
 * a reader sees the previous status or the new one, never a mix, also
 * after a crash. The engine rewrites it about once a second while the run
 * runs; the launcher, which outlives the job, writes the last one when the
 * engine could not.
 */
#ifndef TESS_IO_RUNSTATUS_H
#define TESS_IO_RUNSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

#define RUNSTATUS_MAX_WORKERS 256

typedef struct runstatus_worker {
    int rank;
    char node[64];
    char arch[32];
    int slots;
    int running;
    uint64_t done;
} runstatus_worker_t;

typedef struct runstatus {
    char workflow[256];
    char run_dir[4096];
    char state[32];      /* running completed failed cancelled
                            stopped-wall-time */
    char host[256];
    long pid;            /* the launcher (or the program), 0: unknown */
    char job[32];        /* Slurm job id, "" if none */
    double started, updated, ended; /* UNIX time, 0: unknown / not yet */
    double elapsed;      /* elapsed_s as read (tenths of a second, where
                            the times above have whole seconds); -1: none.
                            runstatus_write computes it from the times */
    uint64_t submitted;
    int64_t total;       /* -1: not known yet */
    uint64_t done, running, ready, waiting, failed, cancelled, not_run,
        ignored, retried, replayed;
    double rate;         /* tasks per second, recently */
    int exit_status;     /* -1: not over */
    int nworkers;
    runstatus_worker_t workers[RUNSTATUS_MAX_WORKERS];
    char message[1024];
} runstatus_t;

/* Empty status: total -1, exit_status -1, the rest zero. */
void runstatus_init(runstatus_t *s);

/* Replace RUN_DIR/status.txt with s. -1 with errno and err (the file is
 * then untouched). */
int runstatus_write(const char *run_dir, const runstatus_t *s,
                    tess_error_t *err);

/* Read RUN_DIR/status.txt into s (unknown keys ignored). -1 with errno
 * (ENOENT: no status file) and err. */
int runstatus_read(const char *run_dir, runstatus_t *s, tess_error_t *err);

/* Count the tasks of RUN_DIR/trace.csv (RFC 4180; one row per attempt)
 * by the state of their last attempt into s: done (ok, replayed), failed
 * (failed, timeout, crashed), cancelled, not_run, ignored. A torn last row
 * (a crash while it was written) is skipped. Returns the highest task id
 * seen (0: none), -1 with errno if there is no readable trace. For the
 * launcher, whose record must be true when the engine could not write
 * its own: the trace is flushed more often than status.txt. */
int64_t runstatus_count_trace(const char *run_dir, runstatus_t *s);

/* 1 if RUN_DIR/status.txt says the run is over (an exit status), 0 if
 * not or there is none. */
int runstatus_is_final(const char *run_dir);

/* Escape text for one line (\\ \n \r \t, other control bytes as \xHH)
 * into buf; truncates at a character boundary. Returns buf. */
char *runstatus_escape(const char *text, char *buf, size_t len);

/* Undo runstatus_escape in place. */
void runstatus_unescape(char *text);

/* "2026-11-30T12:00:00Z" for a UNIX time, "-" for 0. Returns buf. */
char *runstatus_time(double t, char *buf, size_t len);

#endif
