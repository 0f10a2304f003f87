/* record.c - trace.csv and edges.csv of a run. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/record.h"

struct record {
    FILE *trace, *edges;
    double last_flush;
    int failed; /* a write failed */
};

static const char trace_header[] =
    "task,name,kernel,worker,node,slot,arch,submit_ns,ready_ns,start_ns,"
    "end_ns,bytes_in,bytes_out,cache_hits,attempt,state,message\n";
static const char edges_header[] = "from,to,data,version\n";

static FILE *open_csv(const char *run_dir, const char *name,
                      const char *header, int append, tess_error_t *err)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", run_dir, name) >=
        (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        tess_errprintf(err, "%s: path too long", run_dir);
        return NULL;
    }
    FILE *f = fopen(path, append ? "a" : "w");
    if (!f) {
        tess_errprintf(err, "%s: cannot write: %s", path, strerror(errno));
        return NULL;
    }
    if (ftell(f) == 0)
        fputs(header, f);
    return f;
}

record_t *record_open(const char *run_dir, int append, tess_error_t *err)
{
    record_t *r = calloc(1, sizeof(*r));
    if (!r) {
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    if (!(r->trace = open_csv(run_dir, "trace.csv", trace_header, append, err)) ||
        !(r->edges = open_csv(run_dir, "edges.csv", edges_header, append, err))) {
        record_close(r);
        return NULL;
    }
    return r;
}

int record_close(record_t *r)
{
    int saved = errno, rc = 0;
    if (!r)
        return 0;
    if (r->trace && fclose(r->trace) != 0)
        rc = -1;
    if (r->edges && fclose(r->edges) != 0)
        rc = -1;
    if (r->failed)
        rc = -1;
    free(r);
    errno = saved;
    return rc;
}

void record_csv_field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!s[strcspn(s, ",\"\n\r")]) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void record_task(record_t *r, const dag_task_t *t, const char *name,
                 const char *state, const exec_result_t *res, const char *msg)
{
    if (!r)
        return;
    FILE *f = r->trace;
    fprintf(f, "%" PRIu64 ",", t->id);
    record_csv_field(f, name);
    fputc(',', f);
    record_csv_field(f, res && res->kernel ? res->kernel : "");
    fprintf(f, ",%d,", res ? res->worker : -1);
    record_csv_field(f, res && res->node ? res->node : "");
    fprintf(f, ",%d,", res && res->worker >= 0 ? res->slot : -1);
    record_csv_field(f, res && res->arch ? res->arch : "");
    fprintf(f,
            ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
            ",%" PRIu64 ",%u,%u,%s,",
            t->submit_ns, t->ready_ns, res ? res->start_ns : 0,
            res ? res->end_ns : 0, res ? res->bytes_in : 0,
            res ? res->bytes_out : 0, res ? res->cache_hits : 0,
            (unsigned)t->attempt, state);
    record_csv_field(f, msg);
    if (fputc('\n', f) == EOF)
        r->failed = 1;
}

void record_edge(record_t *r, uint64_t from, uint64_t to, const char *data,
                 uint32_t version)
{
    if (!r)
        return;
    fprintf(r->edges, "%" PRIu64 ",%" PRIu64 ",", from, to);
    record_csv_field(r->edges, data);
    if (fprintf(r->edges, ",%u\n", version) < 0)
        r->failed = 1;
}

void record_tick(record_t *r, double now)
{
    if (!r || now - r->last_flush < RECORD_FLUSH_S)
        return;
    r->last_flush = now;
    if (fflush(r->trace) != 0 || fflush(r->edges) != 0)
        r->failed = 1;
}
