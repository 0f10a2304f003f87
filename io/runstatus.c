/* runstatus.c - RUN_DIR/status.txt, written atomically, read back. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/runstatus.h"
#include "io/trace.h"

void runstatus_init(runstatus_t *s)
{
    memset(s, 0, sizeof(*s));
    s->total = -1;
    s->exit_status = -1;
    s->elapsed = -1;
}

char *runstatus_escape(const char *text, char *buf, size_t len)
{
    size_t o = 0;
    if (!len)
        return buf;
    for (const unsigned char *p = (const unsigned char *)(text ? text : "");
         *p; p++) {
        char e[5];
        size_t n;
        switch (*p) {
        case '\\': memcpy(e, "\\\\", 3); break;
        case '\n': memcpy(e, "\\n", 3); break;
        case '\r': memcpy(e, "\\r", 3); break;
        case '\t': memcpy(e, "\\t", 3); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                snprintf(e, sizeof(e), "\\x%02x", *p);
            else {
                e[0] = (char)*p;
                e[1] = '\0';
            }
        }
        n = strlen(e);
        if (o + n + 1 > len)
            break;
        memcpy(buf + o, e, n);
        o += n;
    }
    buf[o] = '\0';
    return buf;
}

void runstatus_unescape(char *t)
{
    char *w = t;
    for (char *r = t; *r; r++) {
        if (*r != '\\' || !r[1]) {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'x':
            if (r[1] && r[2]) {
                char hex[3] = {r[1], r[2], 0};
                *w++ = (char)strtol(hex, NULL, 16);
                r += 2;
            }
            break;
        default: *w++ = *r; break;
        }
    }
    *w = '\0';
}

char *runstatus_time(double t, char *buf, size_t len)
{
    if (t <= 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static double parse_time(const char *v)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (strcmp(v, "-") == 0 || !strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return 0;
    return (double)timegm(&tm);
}

int runstatus_write(const char *run_dir, const runstatus_t *s,
                    tess_error_t *err)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32], t1[32], t2[32], t3[32];
    char msg[4200];
    if (snprintf(path, sizeof(path), "%s/status.txt", run_dir) >=
        (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return tess_errprintf(err, "%s: path too long", run_dir);
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return tess_errprintf(err, "%s: cannot write: %s", tmp,
                              strerror(errno));
    fprintf(f,
            "format: 1\nworkflow: %s\nrun_dir: %s\nstate: %s\nhost: %s\n"
            "pid: %ld\njob: %s\nstarted: %s\nupdated: %s\nended: %s\n",
            s->workflow, s->run_dir, s->state, s->host, s->pid,
            s->job[0] ? s->job : "-", runstatus_time(s->started, t1, sizeof(t1)),
            runstatus_time(s->updated, t2, sizeof(t2)),
            runstatus_time(s->ended, t3, sizeof(t3)));
    double end = s->ended > 0 ? s->ended : s->updated;
    fprintf(f, "elapsed_s: %.1f\n",
            s->started > 0 && end >= s->started ? end - s->started : 0.0);
    fprintf(f, "tasks_submitted: %" PRIu64 "\n", s->submitted);
    if (s->total >= 0)
        fprintf(f, "tasks_total: %" PRId64 "\n", s->total);
    else
        fprintf(f, "tasks_total: -\n");
    fprintf(f,
            "tasks_done: %" PRIu64 "\ntasks_running: %" PRIu64
            "\ntasks_ready: %" PRIu64 "\ntasks_waiting: %" PRIu64
            "\ntasks_failed: %" PRIu64 "\ntasks_cancelled: %" PRIu64
            "\ntasks_not_run: %" PRIu64 "\ntasks_ignored: %" PRIu64
            "\ntasks_retried: %" PRIu64 "\ntasks_replayed: %" PRIu64
            "\ntasks_per_s: %.1f\nworkers: %d\n",
            s->done, s->running, s->ready, s->waiting, s->failed,
            s->cancelled, s->not_run, s->ignored, s->retried, s->replayed,
            s->rate, s->nworkers);
    for (int i = 0; i < s->nworkers && i < RUNSTATUS_MAX_WORKERS; i++) {
        const runstatus_worker_t *w = &s->workers[i];
        fprintf(f, "worker: %d %s %s %d %d %" PRIu64 "\n", w->rank,
                w->node[0] ? w->node : "-", w->arch[0] ? w->arch : "-",
                w->slots, w->running, w->done);
    }
    if (s->exit_status >= 0)
        fprintf(f, "exit_status: %d\n", s->exit_status);
    else
        fprintf(f, "exit_status: -\n");
    fprintf(f, "message: %s\n", runstatus_escape(s->message, msg, sizeof(msg)));
    int rc = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0 ? 0 : -1;
    int saved = errno;
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        errno = saved;
        return tess_errprintf(err, "%s: cannot write: %s", path,
                              strerror(saved));
    }
    return 0;
}

int runstatus_is_final(const char *run_dir)
{
    char path[PATH_MAX], line[8192]; /* longer than any line before it */
    int final = 0;
    snprintf(path, sizeof(path), "%s/status.txt", run_dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "exit_status: ", 13) == 0) {
            final = line[13] >= '0' && line[13] <= '9';
            break;
        }
    if (f)
        fclose(f);
    return final;
}

static void copy(char *dst, size_t len, const char *v)
{
    snprintf(dst, len, "%s", strcmp(v, "-") == 0 ? "" : v);
}

static uint64_t u64(const char *v)
{
    return strtoull(v, NULL, 10);
}

int runstatus_read(const char *run_dir, runstatus_t *s, tess_error_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/status.txt", run_dir);
    runstatus_init(s);
    FILE *f = fopen(path, "r");
    if (!f)
        return tess_errprintf(err, "%s: %s", path, strerror(errno));
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *colon = strstr(line, ": ");
        if (!colon)
            continue;
        *colon = '\0';
        const char *k = line, *v = colon + 2;
        if (!strcmp(k, "workflow"))
            copy(s->workflow, sizeof(s->workflow), v);
        else if (!strcmp(k, "run_dir"))
            copy(s->run_dir, sizeof(s->run_dir), v);
        else if (!strcmp(k, "state"))
            copy(s->state, sizeof(s->state), v);
        else if (!strcmp(k, "host"))
            copy(s->host, sizeof(s->host), v);
        else if (!strcmp(k, "pid"))
            s->pid = strtol(v, NULL, 10);
        else if (!strcmp(k, "job"))
            copy(s->job, sizeof(s->job), v);
        else if (!strcmp(k, "started"))
            s->started = parse_time(v);
        else if (!strcmp(k, "updated"))
            s->updated = parse_time(v);
        else if (!strcmp(k, "ended"))
            s->ended = parse_time(v);
        else if (!strcmp(k, "elapsed_s"))
            s->elapsed = strtod(v, NULL);
        else if (!strcmp(k, "tasks_submitted"))
            s->submitted = u64(v);
        else if (!strcmp(k, "tasks_total"))
            s->total = strcmp(v, "-") ? (int64_t)u64(v) : -1;
        else if (!strcmp(k, "tasks_done"))
            s->done = u64(v);
        else if (!strcmp(k, "tasks_running"))
            s->running = u64(v);
        else if (!strcmp(k, "tasks_ready"))
            s->ready = u64(v);
        else if (!strcmp(k, "tasks_waiting"))
            s->waiting = u64(v);
        else if (!strcmp(k, "tasks_failed"))
            s->failed = u64(v);
        else if (!strcmp(k, "tasks_cancelled"))
            s->cancelled = u64(v);
        else if (!strcmp(k, "tasks_not_run"))
            s->not_run = u64(v);
        else if (!strcmp(k, "tasks_ignored"))
            s->ignored = u64(v);
        else if (!strcmp(k, "tasks_retried"))
            s->retried = u64(v);
        else if (!strcmp(k, "tasks_replayed"))
            s->replayed = u64(v);
        else if (!strcmp(k, "tasks_per_s"))
            s->rate = strtod(v, NULL);
        else if (!strcmp(k, "worker") && s->nworkers < RUNSTATUS_MAX_WORKERS) {
            runstatus_worker_t *w = &s->workers[s->nworkers];
            if (sscanf(v, "%d %63s %31s %d %d %" SCNu64, &w->rank, w->node,
                       w->arch, &w->slots, &w->running, &w->done) == 6)
                s->nworkers++;
        } else if (!strcmp(k, "exit_status"))
            s->exit_status = strcmp(v, "-") ? atoi(v) : -1;
        else if (!strcmp(k, "message")) {
            copy(s->message, sizeof(s->message), v);
            runstatus_unescape(s->message);
        }
    }
    fclose(f);
    return 0;
}

/* ---- trace.csv ------------------------------------------------------------ */

enum { TR_NONE, TR_DONE, TR_FAILED, TR_CANCELLED, TR_NOT_RUN, TR_IGNORED };

static int trace_state(const char *w)
{
    static const struct {
        const char *word;
        int code;
    } t[] = {{"ok", TR_DONE},           {"replayed", TR_DONE},
             {"failed", TR_FAILED},     {"timeout", TR_FAILED},
             {"crashed", TR_FAILED},    {"cancelled", TR_CANCELLED},
             {"not-run", TR_NOT_RUN},   {"ignored", TR_IGNORED}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(w, t[i].word) == 0)
            return t[i].code;
    return TR_NONE;
}

int64_t runstatus_count_trace(const char *run_dir, runstatus_t *s)
{
    char path[PATH_MAX];
    tess_error_t ignored;
    snprintf(path, sizeof(path), "%s/trace.csv", run_dir);
    trace_reader_t *r = trace_open(path, &ignored);
    if (!r)
        return -1;
    uint8_t *last = NULL; /* state of each task's last attempt */
    size_t cap = 0;
    uint64_t max = 0;
    trace_row_t row;
    int rc;
    while ((rc = trace_next(r, &row)) > 0) {
        int st = trace_state(row.state);
        if (row.task == 0 || row.task >= (1ULL << 40) || st == TR_NONE)
            continue;
        if (row.task >= cap) {
            size_t ncap = cap ? cap : 1024;
            while (ncap <= row.task)
                ncap *= 2;
            uint8_t *n = realloc(last, ncap);
            if (!n) {
                rc = -1;
                break;
            }
            memset(n + cap, TR_NONE, ncap - cap);
            last = n;
            cap = ncap;
        }
        last[row.task] = (uint8_t)st; /* attempts come in order */
        if (row.task > max)
            max = row.task;
    }
    trace_close(r);
    if (rc < 0) {
        free(last);
        errno = ENOMEM;
        return -1;
    }
    s->done = s->failed = s->cancelled = s->not_run = s->ignored = 0;
    for (uint64_t i = 1; i <= max; i++)
        switch (last[i]) {
        case TR_DONE: s->done++; break;
        case TR_FAILED: s->failed++; break;
        case TR_CANCELLED: s->cancelled++; break;
        case TR_NOT_RUN: s->not_run++; break;
        case TR_IGNORED: s->ignored++; break;
        }
    free(last);
    return (int64_t)max;
}
