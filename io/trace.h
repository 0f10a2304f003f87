/*
 * trace.h - the task trace of a run, RUN_DIR/trace.csv: one row per task
 * attempt, appended as tasks end (columns: TRACE_CSV_HEADER, described in
 * docs/observability.md). Read by `tessera report` and `tessera status`,
 * converted to RUN_DIR/trace.h5 by h5trace.h.
 *
 * Readers find columns by name in the header: unknown columns are ignored
 * (the format grows), missing ones read as 0, "" or -1 (slot), and the
 * first format ("task,kernel,rank,node,arch,start_ns,end_ns,ok") reads
 * too. The file may be growing or cut by a killed run: a torn last row is
 * not returned (base/csv.h), a row that cannot be read is skipped and
 * counted, never fatal.
 */
#ifndef TESS_IO_TRACE_H
#define TESS_IO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tessera.h"

#define TRACE_CSV_HEADER                                                    \
    "task,name,kernel,worker,node,slot,arch,submit_ns,ready_ns,start_ns,"   \
    "end_ns,bytes_in,bytes_out,cache_hits,attempt,state,message"

typedef struct trace_row {
    uint64_t task;       /* >= 1, submission order */
    const char *name;    /* task definition name */
    const char *kernel;  /* what ran: lib:symbol */
    int32_t worker;      /* MPI rank, 0 the thread executor, -1 never started */
    const char *node;
    int32_t slot;        /* 0-based, -1 unknown (a trace without slots) */
    const char *arch;
    uint64_t submit_ns;  /* UNIX time (CLOCK_REALTIME), 0: not applicable */
    uint64_t ready_ns;
    uint64_t start_ns;   /* start and end: the worker's clock */
    uint64_t end_ns;
    uint64_t bytes_in;   /* read */
    uint64_t bytes_out;  /* written */
    uint64_t cache_hits; /* inputs served from the worker's memory */
    uint32_t attempt;    /* 1, 2, ... */
    const char *state;   /* ok failed timeout crashed cancelled not-run ignored */
    const char *message; /* why; "" if ok */
} trace_row_t;

typedef struct trace_reader trace_reader_t;

/* Open the trace @p path and read its header. NULL with errno and @p err
 * naming the file: ENOENT, EINVAL (no header, or no "task" column), ENOMEM. */
trace_reader_t *trace_open(const char *path, tess_error_t *err);

/* The next row into @p row: 1 (its strings borrowed until the next call),
 * 0 at the end, -1 with errno (ENOMEM, a read error). */
int trace_next(trace_reader_t *r, trace_row_t *row);

/* Rows skipped so far, and the first one's reason ("FILE:LINE: why",
 * borrowed until trace_close) into @p why when not NULL (NULL if none). */
size_t trace_damaged(const trace_reader_t *r, const char **why);

/* true once the end was reached and the last row was incomplete. */
bool trace_torn(const trace_reader_t *r);

/* true if the header has the column @p name ("slot", "submit_ns", ...). */
bool trace_has_column(const trace_reader_t *r, const char *name);

/* Close. Accepts NULL, preserves errno. */
void trace_close(trace_reader_t *r);

/* Write @p row to @p f as one line of trace.csv (TRACE_CSV_HEADER order,
 * RFC 4180 quoting, "\n"). 0, or -1 with errno. */
int trace_write_row(FILE *f, const trace_row_t *row);

#endif
