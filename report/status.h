/*
 * status.h - RUN_DIR/status.txt read back: what `tessera status`, `tessera
 * report` and the launcher's progress line show.
 *
 * The file is "key: value" lines (docs/observability.md), rewritten
 * atomically about once a second while a run goes on. Unknown keys are
 * ignored (the format grows); "worker:" repeats, one line per worker;
 * the message's backslash escapes (\\ \n \t \r) are undone. Numbers that
 * are absent or "-" read as -1. The first format (before "format: 1":
 * tasks_completed instead of tasks_done) reads too.
 */
#ifndef TESS_REPORT_STATUS_H
#define TESS_REPORT_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tessera.h"

typedef struct status_worker {
    int rank;
    char *node, *arch;
    int slots;        /* -1: unknown */
    int running;      /* tasks running now */
    int64_t done;
    char *now;        /* the rest of the line ("" if none): what runs */
} status_worker_t;

typedef struct status {
    int format;                     /* 0: the first format */
    char *workflow, *run_dir, *state, *host, *job;
    long pid;                       /* -1: unknown */
    time_t started, updated, ended; /* -1: unknown or "-" */
    double elapsed_s;               /* -1: unknown */
    int64_t tasks_submitted, tasks_total, tasks_done, tasks_running,
        tasks_ready, tasks_waiting, tasks_failed, tasks_cancelled,
        tasks_not_run;
    double tasks_per_s;             /* -1: unknown */
    int workers;
    status_worker_t *worker;        /* the worker lines */
    size_t nworker;
    int exit_status;                /* -1: unknown or "-" */
    char *message;                  /* unescaped, "" if none */
} status_t;

/* Read @p path into @p st (every string non-NULL, "" if absent). 0, or -1
 * with errno and @p err naming the file: ENOENT, EINVAL (not a status
 * file: no "state:" line), ENOMEM. Free with status_clear(), also after
 * a failure. */
int status_load(const char *path, status_t *st, tess_error_t *err);

/* Free what status_load() allocated; @p st reads as empty afterwards.
 * Preserves errno. */
void status_clear(status_t *st);

/* Undo the backslash escapes of a status value in place (\\ \n \t \r; an
 * unknown escape is kept as it is). Returns @p s. */
char *status_unescape(char *s);

/* "2026-11-30T12:00:05Z" as a time_t; -1 if it is not one ("-"). */
time_t status_parse_time(const char *s);

/* true if the run is over: a state other than "running" (and "" ). */
int status_finished(const status_t *st);

#endif
