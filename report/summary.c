/* summary.c - the text summary of a run (see summary.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/fmt.h"
#include "report/summary.h"

#define NS 1e-9

char *summary_one_line(char *buf, size_t len, const char *msg)
{
    size_t o = 0;
    for (; msg && *msg && o + 1 < len; msg++) {
        if (*msg == '\n' || *msg == '\r') {
            if (o + 4 >= len)
                break;
            if (*msg == '\r' && msg[1] == '\n')
                msg++;
            memcpy(buf + o, " | ", 3);
            o += 3;
        } else {
            buf[o++] = *msg == '\t' ? ' ' : *msg;
        }
    }
    buf[len ? o : 0] = '\0';
    return buf;
}

static bool is_failure(rstate_t s)
{
    return s == RS_FAILED || s == RS_TIMEOUT || s == RS_CRASHED;
}

/* Slots the run had: the workers' lines of status.txt when they say, else
 * the lanes that ran something. */
static size_t total_slots(const runrec_t *rr)
{
    size_t n = 0;
    for (size_t i = 0; i < rr->status.nworker; i++)
        if (rr->status.worker[i].slots > 0)
            n += (size_t)rr->status.worker[i].slots;
    return n > rr->nlane ? n : rr->nlane;
}

static void print_state(FILE *out, const runrec_t *rr)
{
    const status_t *st = &rr->status;
    char d[32], line[600];
    fprintf(out, "run           %s", rr->run_dir);
    if (rr->has_status && st->workflow[0])
        fprintf(out, " (workflow %s)", st->workflow);
    fputc('\n', out);
    if (!rr->has_status) {
        fputs("state         unknown (no status.txt)\n", out);
        return;
    }
    fprintf(out, "state         %s", st->state);
    if (st->exit_status >= 0)
        fprintf(out, ", exit status %d", st->exit_status);
    if (st->elapsed_s >= 0)
        fprintf(out, ", %s %s", status_finished(st) ? "took" : "running for",
                fmt_elapsed(d, sizeof(d), st->elapsed_s));
    if (st->job[0] && strcmp(st->job, "-") != 0)
        fprintf(out, ", Slurm job %s", st->job);
    fputc('\n', out);
    if (st->message[0])
        fprintf(out, "message       %s\n",
                summary_one_line(line, sizeof(line), st->message));
}

static void print_counts(FILE *out, const runrec_t *rr)
{
    size_t by_state[RS_OTHER + 1] = {0}, retried = 0;
    for (size_t i = 0; i < rr->nrow; i++) {
        by_state[rr->row[i].state]++;
        if (rr->row[i].attempt > 1 && rr->row[i].state == RS_OK)
            retried++;
    }
    fprintf(out, "tasks         %zu attempts traced: %zu ok", rr->nrow,
            by_state[RS_OK]);
    for (int s = RS_FAILED; s <= RS_OTHER; s++)
        if (by_state[s])
            fprintf(out, ", %zu %s", by_state[s],
                    runrec_state_name((rstate_t)s));
    if (retried)
        fprintf(out, "; %zu task%s succeeded on a retry", retried,
                retried == 1 ? "" : "s");
    fputc('\n', out);
    const status_t *st = &rr->status;
    if (rr->has_status && st->tasks_submitted >= 0) {
        fprintf(out, "              status: %" PRId64 " submitted",
                st->tasks_submitted);
        if (st->tasks_done >= 0)
            fprintf(out, ", %" PRId64 " done", st->tasks_done);
        if (st->tasks_failed > 0)
            fprintf(out, ", %" PRId64 " failed", st->tasks_failed);
        if (st->tasks_cancelled > 0)
            fprintf(out, ", %" PRId64 " cancelled", st->tasks_cancelled);
        if (st->tasks_not_run > 0)
            fprintf(out, ", %" PRId64 " not run", st->tasks_not_run);
        fputc('\n', out);
    }
}

static void print_times(FILE *out, const runrec_t *rr, uint64_t busy)
{
    char a[32], b[32], c[32];
    double makespan = (double)(rr->t1 - rr->t0) * NS;
    size_t slots = total_slots(rr);
    if (!rr->t1) {
        fputs("makespan      - (no task ran)\n", out);
        return;
    }
    fprintf(out, "makespan      %s (first %s to last end)",
            fmt_duration(a, sizeof(a), makespan),
            rr->has_submit ? "submission" : "start");
    if (rr->has_status && rr->status.elapsed_s >= 0 &&
        status_finished(&rr->status))
        fprintf(out, "; the whole run took %s",
                fmt_elapsed(b, sizeof(b), rr->status.elapsed_s));
    fputc('\n', out);
    fprintf(out, "task time     %s on %zu slot%s: %s busy\n",
            fmt_duration(a, sizeof(a), (double)busy * NS), slots,
            slots == 1 ? "" : "s",
            fmt_percent(b, sizeof(b), (double)busy * NS,
                        makespan * (double)slots));
    uint64_t cp;
    size_t ncp;
    if (runrec_critical_path(rr, &cp, &ncp, NULL) < 0) {
        fprintf(out, "critical path %s\n", errno == ENOENT
                ? "- (no edges.csv: this run recorded no dependences)"
                : strerror(errno));
        return;
    }
    double bound = (double)cp * NS, work = slots ? (double)busy * NS / (double)slots : 0;
    fprintf(out, "critical path %s over %zu task%s = %s of the makespan\n",
            fmt_duration(a, sizeof(a), (double)cp * NS), ncp,
            ncp == 1 ? "" : "s",
            fmt_percent(b, sizeof(b), (double)cp * NS, makespan));
    if (work > bound)
        bound = work;
    if (bound > 0)
        fprintf(out, "              lower bound %s (the longer of the critical "
                "path and task time / slots); makespan = %.2fx that: %s\n",
                fmt_duration(c, sizeof(c), bound), makespan / bound,
                (double)cp * NS >= work ? "bound by the dependences"
                                         : "bound by the slots");
}

static void print_waits_and_data(FILE *out, const runrec_t *rr)
{
    uint64_t in = 0, outb = 0, hits = 0, wsum = 0, wmax = 0;
    size_t nw = 0;
    char a[32], b[32];
    for (size_t i = 0; i < rr->nrow; i++) {
        const rtask_t *t = &rr->row[i];
        in += t->bytes_in;
        outb += t->bytes_out;
        hits += t->cache_hits;
        if (t->ready_ns && t->start_ns >= t->ready_ns) {
            uint64_t w = t->start_ns - t->ready_ns;
            wsum += w;
            if (w > wmax)
                wmax = w;
            nw++;
        }
    }
    if (nw)
        fprintf(out, "ready->start  mean %s, max %s (dispatch and queueing)\n",
                fmt_duration(a, sizeof(a), (double)wsum / (double)nw * NS),
                fmt_duration(b, sizeof(b), (double)wmax * NS));
    if (rr->has_submit) /* the current format, with byte counts */
        fprintf(out, "data          read %s, written %s, %" PRIu64
                " input%s served from a worker's memory\n",
                fmt_bytes(a, sizeof(a), in), fmt_bytes(b, sizeof(b), outb),
                hits, hits == 1 ? "" : "s");
    else
        fputs("data          - (this trace has no byte counts)\n", out);
}

static void print_lanes(FILE *out, const runrec_t *rr)
{
    double makespan = (double)(rr->t1 - rr->t0) * NS;
    char a[32], b[32];
    if (!rr->nlane)
        return;
    fprintf(out, "\nutilisation per worker and slot%s\n",
            rr->slots_inferred ? " (slots inferred: the trace has none)" : "");
    fprintf(out, "  %-8s %-16s %-10s %5s %10s %7s %8s\n", "worker", "node",
            "arch", "slot", "busy", "tasks", "busy %");
    bool slots = rr->nlane <= 64;
    for (size_t i = 0; i < rr->nlane;) {
        size_t j = i;
        uint64_t busy = 0;
        size_t n = 0;
        for (; j < rr->nlane && rr->lane[j].worker == rr->lane[i].worker; j++) {
            busy += rr->lane[j].busy_ns;
            n += rr->lane[j].ntasks;
        }
        const rlane_t *l = &rr->lane[i];
        char w[16];
        snprintf(w, sizeof(w), "%d", l->worker);
        fprintf(out, "  %-8s %-16s %-10s %5s %10s %7zu %8s\n", w,
                strtab_get(rr->str, l->node), strtab_get(rr->str, l->arch),
                j - i > 1 ? "all" : "0",
                fmt_duration(a, sizeof(a), (double)busy * NS), n,
                fmt_percent(b, sizeof(b), (double)busy * NS,
                            makespan * (double)(j - i)));
        for (size_t k = i; slots && j - i > 1 && k < j; k++)
            fprintf(out, "  %-8s %-16s %-10s %5d %10s %7zu %8s\n", "", "", "",
                    rr->lane[k].slot,
                    fmt_duration(a, sizeof(a), (double)rr->lane[k].busy_ns * NS),
                    rr->lane[k].ntasks,
                    fmt_percent(b, sizeof(b), (double)rr->lane[k].busy_ns * NS,
                                makespan));
        i = j;
    }
}

static void print_kernels(FILE *out, const runrec_t *rr)
{
    char a[32], b[32], c[32];
    int width = 6;
    if (!rr->nkernel_ran)
        return;
    for (size_t i = 0; i < rr->nkernel_ran; i++) {
        int len = (int)strlen(strtab_get(rr->str, rr->kernel[i].name));
        if (len > width)
            width = len < 60 ? len : 60;
    }
    fprintf(out, "\nkernels\n  %-*s %7s %10s %10s %10s\n", width, "kernel",
            "tasks", "total", "mean", "max");
    for (size_t i = 0; i < rr->nkernel_ran; i++) {
        const rkernel_t *k = &rr->kernel[i];
        fprintf(out, "  %-*s %7zu %10s %10s %10s\n", width,
                strtab_get(rr->str, k->name), k->count,
                fmt_duration(a, sizeof(a), (double)k->total_ns * NS),
                fmt_duration(b, sizeof(b), k->count ? (double)k->total_ns /
                             (double)k->count * NS : -1),
                fmt_duration(c, sizeof(c), (double)k->max_ns * NS));
    }
}

static const runrec_t *slow_rr;

static int slower(const void *a, const void *b)
{
    uint64_t x = runrec_run_ns(&slow_rr->row[*(const size_t *)a]);
    uint64_t y = runrec_run_ns(&slow_rr->row[*(const size_t *)b]);
    return x > y ? -1 : x < y;
}

static int print_slowest(FILE *out, const runrec_t *rr, size_t top)
{
    char a[32], b[32];
    size_t n = 0, *idx;
    if (!top || !rr->nrow)
        return 0;
    if (!(idx = malloc(rr->nrow * sizeof(*idx))))
        return -1;
    for (size_t i = 0; i < rr->nrow; i++)
        if (rr->row[i].start_ns)
            idx[n++] = i;
    slow_rr = rr;
    qsort(idx, n, sizeof(*idx), slower);
    fprintf(out, "\nslowest tasks\n");
    for (size_t k = 0; k < n && k < top; k++) {
        const rtask_t *t = &rr->row[idx[k]];
        fprintf(out, "  task %-8" PRIu64 " %-24s %10s  worker %d slot %d "
                "(%s), started at +%s%s%s\n", t->task,
                strtab_get(rr->str, t->name),
                fmt_duration(a, sizeof(a), (double)runrec_run_ns(t) * NS),
                t->worker, t->slot, strtab_get(rr->str, t->node),
                fmt_duration(b, sizeof(b), (double)(t->start_ns - rr->t0) * NS),
                t->state == RS_OK ? "" : ", ",
                t->state == RS_OK ? "" : runrec_state_name(t->state));
    }
    free(idx);
    return 0;
}

static void print_failures(FILE *out, const runrec_t *rr, size_t max)
{
    size_t n = 0, shown = 0, not_run = 0;
    char line[400];
    for (size_t i = 0; i < rr->nrow; i++) {
        const rtask_t *t = &rr->row[i];
        if (t->state == RS_CANCELLED || t->state == RS_NOT_RUN)
            not_run++;
        if (!is_failure(t->state))
            continue;
        if (n++ == 0)
            fprintf(out, "\nfailures and retries\n");
        if (shown >= max)
            continue;
        shown++;
        fprintf(out, "  task %" PRIu64 " (%s) attempt %u", t->task,
                strtab_get(rr->str, t->name), t->attempt);
        if (t->worker >= 0)
            fprintf(out, " on worker %d (%s) slot %d", t->worker,
                    strtab_get(rr->str, t->node), t->slot);
        fprintf(out, ": %s%s%s\n", runrec_state_name(t->state),
                t->message ? ": " : "",
                t->message ? summary_one_line(line, sizeof(line), t->message)
                           : "");
    }
    if (n > shown)
        fprintf(out, "  ... and %zu more failed attempts (see trace.csv)\n",
                n - shown);
    if (n == 0)
        fputs("\nfailures      none\n", out);
    if (not_run) {
        /* the first cancelled task says which input failed */
        for (size_t i = 0; i < rr->nrow; i++)
            if (rr->row[i].state == RS_CANCELLED || rr->row[i].state == RS_NOT_RUN) {
                fprintf(out, "  %zu task%s not run (cancelled or stopped), "
                        "e.g. task %" PRIu64 ": %s\n", not_run,
                        not_run == 1 ? "" : "s", rr->row[i].task,
                        rr->row[i].message
                            ? summary_one_line(line, sizeof(line),
                                               rr->row[i].message)
                            : runrec_state_name(rr->row[i].state));
                break;
            }
    }
}

int summary_print(FILE *out, const runrec_t *rr, const summary_opts_t *o)
{
    uint64_t busy = 0;
    for (size_t i = 0; i < rr->nlane; i++)
        busy += rr->lane[i].busy_ns;
    print_state(out, rr);
    print_counts(out, rr);
    print_times(out, rr, busy);
    print_waits_and_data(out, rr);
    print_lanes(out, rr);
    print_kernels(out, rr);
    if (print_slowest(out, rr, o->top) < 0)
        return -1;
    print_failures(out, rr, o->max_failures);
    if (rr->torn || rr->damaged || !rr->has_trace) {
        fputs("\nnotes\n", out);
        if (!rr->has_trace)
            fputs("  no trace.csv yet: no task has ended\n", out);
        if (rr->torn)
            fputs("  trace.csv ends in an incomplete row (a run killed "
                  "while writing, or still writing): left out\n", out);
        if (rr->damaged)
            fprintf(out, "  %zu unreadable row%s skipped; the first: %s\n",
                    rr->damaged, rr->damaged == 1 ? "" : "s",
                    rr->damaged_why);
    }
    if (fflush(out) != 0 || ferror(out))
        return -1;
    return 0;
}
