/* statusview.c - `tessera status RUN_DIR` (see statusview.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/trace.h"
#include "report/fmt.h"
#include "report/status.h"
#include "report/statusview.h"
#include "report/summary.h"

/* Seconds without an update after which a run on another host is said to
 * be possibly dead (status.txt is rewritten about once a second). */
#define STALE_S 60

typedef struct failure {
    uint64_t task;
    uint32_t attempt;
    int32_t worker, slot;
    char *name, *node, *state, *message;
} failure_t;

static void failure_free(failure_t *f)
{
    free(f->name);
    free(f->node);
    free(f->state);
    free(f->message);
    memset(f, 0, sizeof(*f));
}

/* The last @p max failed attempts of RUN_DIR/trace.csv, oldest first, in
 * the ring @p ring; their count. The whole file is read (a stream: the
 * memory is the ring's), as a quoted message may hold line breaks and a
 * read from the middle could not find where rows begin. */
static size_t last_failures(const char *run_dir, failure_t *ring, size_t max,
                            size_t *total)
{
    char path[PATH_MAX];
    tess_error_t err;
    trace_row_t row;
    size_t n = 0;
    *total = 0;
    snprintf(path, sizeof(path), "%s/trace.csv", run_dir);
    trace_reader_t *r = max ? trace_open(path, &err) : NULL;
    if (!r)
        return 0;
    while (trace_next(r, &row) == 1) {
        if (strcmp(row.state, "failed") != 0 && strcmp(row.state, "timeout") != 0 &&
            strcmp(row.state, "crashed") != 0)
            continue;
        failure_t *f = &ring[n % max];
        failure_free(f);
        *f = (failure_t){.task = row.task, .attempt = row.attempt,
                         .worker = row.worker, .slot = row.slot,
                         .name = strdup(row.name), .node = strdup(row.node),
                         .state = strdup(row.state),
                         .message = strdup(row.message)};
        n++;
    }
    trace_close(r);
    *total = n;
    if (n > max) { /* rotate: oldest first */
        size_t k = n % max;
        for (size_t i = 0; i < k; i++) {
            failure_t t = ring[0];
            memmove(ring, ring + 1, (max - 1) * sizeof(*ring));
            ring[max - 1] = t;
        }
        n = max;
    }
    return n;
}

static bool same_host(const char *host)
{
    char me[256];
    if (!host[0] || gethostname(me, sizeof(me)) < 0)
        return false;
    me[sizeof(me) - 1] = '\0';
    return strcmp(me, host) == 0;
}

static int prepared_or_not(FILE *out, const char *run_dir, tess_error_t *err)
{
    char path[PATH_MAX];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/trace.csv", run_dir);
    if (stat(path, &sb) == 0) {
        fprintf(out, "run           %s\nstate         started, no status.txt "
                "yet (or a run of an older Tessera)\n", run_dir);
        return STATUSVIEW_RUNNING;
    }
    snprintf(path, sizeof(path), "%s/job.sbatch", run_dir);
    if (stat(path, &sb) == 0) {
        fprintf(out, "run           %s\nstate         submitted, not started "
                "(job.sbatch is there, status.txt not yet)\n", run_dir);
        return STATUSVIEW_RUNNING;
    }
    tess_errprintf(err, "%s: not a run directory (no status.txt)", run_dir);
    return STATUSVIEW_NOT_A_RUN;
}

int statusview_print(FILE *out, const char *run_dir, size_t max_failures,
                     tess_error_t *err)
{
    char a[32], b[32], line[600];
    struct stat sb;
    status_t st;
    int rc;

    if (stat(run_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        tess_errprintf(err, "%s: not a run directory (%s)", run_dir,
                       strerror(errno ? errno : ENOTDIR));
        return STATUSVIEW_NOT_A_RUN;
    }
    if (status_load(run_dir, &st, err) < 0) {
        status_clear(&st);
        if (errno == ENOENT)
            return prepared_or_not(out, run_dir, err);
        return STATUSVIEW_NOT_A_RUN;
    }
    bool running = !status_finished(&st), dead = false;
    time_t now = time(NULL);
    long age = st.updated >= 0 ? (long)(now - st.updated) : -1;
    if (running && st.pid > 0 && same_host(st.host) &&
        kill((pid_t)st.pid, 0) < 0 && errno == ESRCH)
        dead = true;

    fprintf(out, "run           %s", st.run_dir[0] ? st.run_dir : run_dir);
    if (st.workflow[0])
        fprintf(out, " (workflow %s)", st.workflow);
    fputc('\n', out);
    fprintf(out, "state         %s", st.state);
    if (st.elapsed_s >= 0)
        fprintf(out, running ? " for %s" : " after %s",
                fmt_elapsed(a, sizeof(a), st.elapsed_s));
    if (st.host[0])
        fprintf(out, " on %s", st.host);
    if (st.pid > 0)
        fprintf(out, " (pid %ld)", st.pid);
    if (st.job[0] && strcmp(st.job, "-") != 0)
        fprintf(out, ", Slurm job %s", st.job);
    if (!running && st.exit_status >= 0)
        fprintf(out, ", exit status %d", st.exit_status);
    if (running && age >= 0)
        fprintf(out, "; updated %ld s ago", age);
    fputc('\n', out);
    if (dead)
        fprintf(out, "              but its launcher (pid %ld on this host) "
                "is gone: the run was killed without a final status\n", st.pid);
    else if (running && age > STALE_S)
        fprintf(out, "              no update for %ld s: the run may have "
                "died (check its job)\n", age);

    fprintf(out, "tasks         ");
    if (st.tasks_total >= 0)
        fprintf(out, "%" PRId64 " of %" PRId64 " done (%s)", st.tasks_done,
                st.tasks_total,
                fmt_percent(a, sizeof(a), (double)st.tasks_done,
                            (double)st.tasks_total));
    else
        fprintf(out, "%" PRId64 " done of %" PRId64 " submitted%s",
                st.tasks_done, st.tasks_submitted, running ? " so far" : "");
    const char *names[] = {"running", "ready", "waiting", "failed",
                           "cancelled", "not run"};
    int64_t counts[] = {st.tasks_running, st.tasks_ready, st.tasks_waiting,
                        st.tasks_failed, st.tasks_cancelled, st.tasks_not_run};
    for (int i = 0; i < 6; i++)
        if (counts[i] > 0 || (i < 4 && counts[i] == 0 && running))
            fprintf(out, ", %" PRId64 " %s", counts[i], names[i]);
    fputc('\n', out);
    if (running && st.tasks_per_s >= 0) {
        fprintf(out, "rate          %.1f tasks/s", st.tasks_per_s);
        if (st.tasks_total >= 0) {
            int64_t left = st.tasks_total - st.tasks_done;
            if (st.tasks_failed > 0)
                left -= st.tasks_failed;
            if (st.tasks_cancelled > 0)
                left -= st.tasks_cancelled;
            if (left < 0)
                left = 0;
            if (st.tasks_per_s > 0)
                fprintf(out, "; about %s left (%" PRId64 " tasks)",
                        fmt_duration(b, sizeof(b),
                                     (double)left / st.tasks_per_s), left);
        } else {
            fputs("; time left not known yet (tasks are still being "
                  "submitted)", out);
        }
        fputc('\n', out);
    }
    if (st.nworker) {
        fprintf(out, "workers       %zu\n", st.nworker);
        for (size_t i = 0; i < st.nworker; i++) {
            const status_worker_t *w = &st.worker[i];
            fprintf(out, "  rank %-4d %-16s %-10s", w->rank, w->node, w->arch);
            if (w->slots >= 0)
                fprintf(out, " %3d slot%s", w->slots, w->slots == 1 ? " " : "s");
            if (w->running >= 0)
                fprintf(out, " %3d running", w->running);
            if (w->done >= 0)
                fprintf(out, " %6" PRId64 " done", w->done);
            fputc('\n', out);
        }
    }
    if (st.message[0])
        fprintf(out, "message       %s\n",
                summary_one_line(line, sizeof(line), st.message));

    failure_t *ring = calloc(max_failures + 1, sizeof(*ring));
    size_t total = 0, n = ring ? last_failures(run_dir, ring, max_failures,
                                               &total) : 0;
    if (n) {
        fprintf(out, "last failures (%zu of %zu failed attempts, from "
                "trace.csv)\n", n, total);
        for (size_t i = 0; i < n; i++) {
            const failure_t *f = &ring[i];
            fprintf(out, "  task %" PRIu64 " (%s) attempt %u", f->task,
                    f->name ? f->name : "", f->attempt);
            if (f->worker >= 0)
                fprintf(out, " on worker %d (%s) slot %d", f->worker,
                        f->node ? f->node : "", f->slot);
            fprintf(out, ": %s%s%s\n", f->state ? f->state : "",
                    f->message && f->message[0] ? ": " : "",
                    summary_one_line(line, sizeof(line),
                                     f->message ? f->message : ""));
        }
    }
    for (size_t i = 0; ring && i <= max_failures; i++)
        failure_free(&ring[i]);
    free(ring);

    if (running)
        rc = dead ? STATUSVIEW_ENDED_BADLY : STATUSVIEW_RUNNING;
    else
        rc = strcmp(st.state, "completed") == 0 ? STATUSVIEW_COMPLETED
                                                : STATUSVIEW_ENDED_BADLY;
    status_clear(&st);
    return rc;
}
