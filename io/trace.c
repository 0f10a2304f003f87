/* trace.c - RUN_DIR/trace.csv, read by column name (see trace.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "io/trace.h"

/* The columns a reader knows, in TRACE_CSV_HEADER order, then the names
 * of the first format that map onto them. */
enum {
    C_TASK, C_NAME, C_KERNEL, C_WORKER, C_NODE, C_SLOT, C_ARCH, C_SUBMIT,
    C_READY, C_START, C_END, C_BYTES_IN, C_BYTES_OUT, C_CACHE_HITS,
    C_ATTEMPT, C_STATE, C_MESSAGE, C_NCOLS,
    C_RANK = C_NCOLS, C_OK, C_NKNOWN
};

static const char *const col_names[C_NKNOWN] = {
    "task", "name", "kernel", "worker", "node", "slot", "arch", "submit_ns",
    "ready_ns", "start_ns", "end_ns", "bytes_in", "bytes_out", "cache_hits",
    "attempt", "state", "message", "rank", "ok"};

struct trace_reader {
    FILE *f;
    char *path;
    csv_reader_t *csv;
    size_t ncols;        /* fields of the header */
    int col[C_NKNOWN];   /* index in a record, -1 if absent */
    size_t damaged;
    char why[320];
};

void trace_close(trace_reader_t *r)
{
    int saved = errno;
    if (!r)
        return;
    csv_reader_destroy(r->csv);
    if (r->f)
        fclose(r->f);
    free(r->path);
    free(r);
    errno = saved;
}

trace_reader_t *trace_open(const char *path, tess_error_t *err)
{
    trace_reader_t *r = calloc(1, sizeof(*r));
    char **fields;
    size_t nf;
    int rc;

    if (!r || !(r->path = strdup(path))) {
        free(r);
        errno = ENOMEM;
        tess_errprintf(err, "%s: out of memory", path);
        return NULL;
    }
    if (!(r->f = fopen(path, "r"))) {
        tess_errprintf(err, "%s: %s", path, strerror(errno));
        goto error;
    }
    if (!(r->csv = csv_reader_create(r->f))) {
        tess_errprintf(err, "%s: out of memory", path);
        goto error;
    }
    if ((rc = csv_next(r->csv, &fields, &nf)) <= 0) {
        if (rc == 0)
            errno = EINVAL;
        tess_errprintf(err, "%s: %s", path,
                       rc == 0 ? "no header line" : strerror(errno));
        goto error;
    }
    for (int c = 0; c < C_NKNOWN; c++)
        r->col[c] = -1;
    r->ncols = nf;
    for (size_t i = 0; i < nf; i++)
        for (int c = 0; c < C_NKNOWN; c++)
            if (strcmp(fields[i], col_names[c]) == 0 && r->col[c] < 0)
                r->col[c] = (int)i;
    if (r->col[C_TASK] < 0) {
        errno = EINVAL;
        tess_errprintf(err, "%s:1: not a task trace (no \"task\" column in "
                       "the header)", path);
        goto error;
    }
    return r;
error:
    trace_close(r);
    return NULL;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s) {
        *out = 0;
        return 0;
    }
    if (*s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* A worker rank or a slot: >= -1; empty reads as -1. */
static int parse_i32(const char *s, int32_t *out)
{
    char *end;
    if (!*s) {
        *out = -1;
        return 0;
    }
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < -1 || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

static void damaged(trace_reader_t *r, const char *fmt, const char *what)
{
    if (r->damaged++ == 0) {
        int n = snprintf(r->why, sizeof(r->why), "%s:%zu: ", r->path,
                         csv_line(r->csv));
        if (n > 0 && (size_t)n < sizeof(r->why))
            snprintf(r->why + n, sizeof(r->why) - (size_t)n, fmt, what);
    }
}

int trace_next(trace_reader_t *r, trace_row_t *row)
{
    char **f;
    size_t nf;
    int rc;

    for (;;) {
        if ((rc = csv_next(r->csv, &f, &nf)) <= 0)
            return rc;
        if (nf != r->ncols) {
            damaged(r, "%s", "a row with another number of fields than "
                    "the header");
            continue;
        }
#define FIELD(c) (r->col[c] >= 0 ? f[r->col[c]] : "")
        memset(row, 0, sizeof(*row));
        uint64_t attempt, ok = 1;
        const char *bad = NULL;
        if (parse_u64(FIELD(C_TASK), &row->task) < 0 || row->task == 0)
            bad = "task";
        else if (parse_i32(FIELD(r->col[C_WORKER] >= 0 ? C_WORKER : C_RANK),
                           &row->worker) < 0)
            bad = "worker";
        else if (parse_i32(FIELD(C_SLOT), &row->slot) < 0)
            bad = "slot";
        else if (parse_u64(FIELD(C_SUBMIT), &row->submit_ns) < 0)
            bad = "submit_ns";
        else if (parse_u64(FIELD(C_READY), &row->ready_ns) < 0)
            bad = "ready_ns";
        else if (parse_u64(FIELD(C_START), &row->start_ns) < 0)
            bad = "start_ns";
        else if (parse_u64(FIELD(C_END), &row->end_ns) < 0)
            bad = "end_ns";
        else if (parse_u64(FIELD(C_BYTES_IN), &row->bytes_in) < 0)
            bad = "bytes_in";
        else if (parse_u64(FIELD(C_BYTES_OUT), &row->bytes_out) < 0)
            bad = "bytes_out";
        else if (parse_u64(FIELD(C_CACHE_HITS), &row->cache_hits) < 0)
            bad = "cache_hits";
        else if (parse_u64(FIELD(C_ATTEMPT), &attempt) < 0 ||
                 attempt > UINT32_MAX)
            bad = "attempt";
        else if (r->col[C_OK] >= 0 && parse_u64(f[r->col[C_OK]], &ok) < 0)
            bad = "ok";
        if (bad) {
            damaged(r, "%s is not a number", bad);
            continue;
        }
        row->attempt = attempt ? (uint32_t)attempt : 1;
        row->kernel = FIELD(C_KERNEL);
        row->name = FIELD(C_NAME);
        if (r->col[C_NAME] < 0) { /* first format: the kernel's symbol */
            const char *colon = strrchr(row->kernel, ':');
            row->name = colon ? colon + 1 : row->kernel;
        }
        row->node = FIELD(C_NODE);
        row->arch = FIELD(C_ARCH);
        row->state = r->col[C_STATE] >= 0 ? f[r->col[C_STATE]]
                                          : ok ? "ok" : "failed";
        row->message = FIELD(C_MESSAGE);
#undef FIELD
        return 1;
    }
}

size_t trace_damaged(const trace_reader_t *r, const char **why)
{
    if (why)
        *why = r->damaged ? r->why : NULL;
    return r->damaged;
}

bool trace_torn(const trace_reader_t *r)
{
    return csv_torn(r->csv);
}

bool trace_has_column(const trace_reader_t *r, const char *name)
{
    for (int c = 0; c < C_NKNOWN; c++)
        if (strcmp(name, col_names[c]) == 0)
            return r->col[c] >= 0;
    return false;
}

int trace_write_row(FILE *f, const trace_row_t *w)
{
    if (fprintf(f, "%" PRIu64 ",", w->task) < 0 ||
        csv_write_field(f, w->name) < 0 || putc(',', f) == EOF ||
        csv_write_field(f, w->kernel) < 0 ||
        fprintf(f, ",%" PRId32 ",", w->worker) < 0 ||
        csv_write_field(f, w->node) < 0 ||
        fprintf(f, ",%" PRId32 ",", w->slot) < 0 ||
        csv_write_field(f, w->arch) < 0 ||
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                   ",%" PRIu64 ",%" PRIu64 ",%" PRIu32 ",",
                w->submit_ns, w->ready_ns, w->start_ns, w->end_ns,
                w->bytes_in, w->bytes_out, w->cache_hits, w->attempt) < 0 ||
        csv_write_field(f, w->state) < 0 || putc(',', f) == EOF ||
        csv_write_field(f, w->message) < 0 || putc('\n', f) == EOF)
        return -1;
    return 0;
}
