/*
 * status.h - RUN_DIR/status.txt as the views show it (`tessera status`,
 * `tessera report`, the launcher's progress line): read by io/runstatus.h
 * (the format's one reader and writer), in a form where what is unknown
 * is -1 and strings live as long as the status_t.
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
} status_worker_t;

typedef struct status {
    char *workflow, *run_dir, *state, *host, *job;
    long pid;                       /* -1: unknown */
    time_t started, updated, ended; /* -1: unknown or "-" */
    double elapsed_s;               /* -1: unknown (whole seconds) */
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

/* Read RUN_DIR/status.txt of @p run_dir into @p st (every string
 * non-NULL, "" if absent). 0, or -1 with errno and @p err naming the file:
 * ENOENT, EINVAL (not a status file: no "state:" line), ENOMEM. Free with
 * status_clear(), also after a failure. */
int status_load(const char *run_dir, status_t *st, tess_error_t *err);

/* Free what status_load() allocated; @p st reads as empty afterwards.
 * Preserves errno. */
void status_clear(status_t *st);

/* true if the run is over: a state other than "running" (and "" ). */
int status_finished(const status_t *st);

#endif
