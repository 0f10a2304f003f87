/* status.c - RUN_DIR/status.txt for the views (see status.h), read by
 * io/runstatus.c. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/runstatus.h"
#include "report/status.h"

void status_clear(status_t *st)
{
    int saved = errno;
    free(st->workflow);
    free(st->run_dir);
    free(st->state);
    free(st->host);
    free(st->job);
    free(st->message);
    for (size_t i = 0; i < st->nworker; i++) {
        free(st->worker[i].node);
        free(st->worker[i].arch);
    }
    free(st->worker);
    memset(st, 0, sizeof(*st));
    errno = saved;
}

int status_finished(const status_t *st)
{
    return st->state && st->state[0] && strcmp(st->state, "running") != 0;
}

static time_t when(double t)
{
    return t > 0 ? (time_t)t : -1;
}

int status_load(const char *run_dir, status_t *st, tess_error_t *err)
{
    memset(st, 0, sizeof(*st));
    runstatus_t *rs = malloc(sizeof(*rs));
    if (!rs) {
        errno = ENOMEM;
        return tess_errprintf(err, "%s/status.txt: out of memory", run_dir);
    }
    if (runstatus_read(run_dir, rs, err) < 0) {
        int e = errno;
        free(rs);
        errno = e;
        return -1;
    }
    if (!rs->state[0]) {
        free(rs);
        errno = EINVAL;
        return tess_errprintf(err, "%s/status.txt: not a run status file (no "
                              "\"state:\" line)", run_dir);
    }
    st->pid = rs->pid > 0 ? rs->pid : -1;
    st->started = when(rs->started);
    st->updated = when(rs->updated);
    st->ended = when(rs->ended);
    double end = rs->ended > 0 ? rs->ended : rs->updated;
    /* the file's own figure is finer than its whole-second times */
    st->elapsed_s = rs->elapsed >= 0 ? rs->elapsed
                    : rs->started > 0 && end >= rs->started ? end - rs->started
                                                            : -1;
    st->tasks_submitted = (int64_t)rs->submitted;
    st->tasks_total = rs->total;
    st->tasks_done = (int64_t)rs->done;
    st->tasks_running = (int64_t)rs->running;
    st->tasks_ready = (int64_t)rs->ready;
    st->tasks_waiting = (int64_t)rs->waiting;
    st->tasks_failed = (int64_t)rs->failed;
    st->tasks_cancelled = (int64_t)rs->cancelled;
    st->tasks_not_run = (int64_t)rs->not_run;
    st->tasks_per_s = rs->rate;
    st->workers = rs->nworkers;
    st->exit_status = rs->exit_status;
    int ok = (st->workflow = strdup(rs->workflow)) &&
             (st->run_dir = strdup(rs->run_dir)) &&
             (st->state = strdup(rs->state)) && (st->host = strdup(rs->host)) &&
             (st->job = strdup(strcmp(rs->job, "-") ? rs->job : "")) &&
             (st->message = strdup(rs->message)) &&
             (st->worker = calloc((size_t)rs->nworkers + 1,
                                  sizeof(*st->worker)));
    for (int i = 0; ok && i < rs->nworkers; i++) {
        const runstatus_worker_t *w = &rs->workers[i];
        status_worker_t *o = &st->worker[i];
        o->rank = w->rank;
        o->slots = w->slots;
        o->running = w->running;
        o->done = (int64_t)w->done;
        ok = (o->node = strdup(w->node)) && (o->arch = strdup(w->arch));
        st->nworker++;
    }
    free(rs);
    if (!ok) {
        errno = ENOMEM;
        return tess_errprintf(err, "%s/status.txt: out of memory", run_dir);
    }
    return 0;
}
