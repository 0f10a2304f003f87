/*
 * record.h - what a run leaves in its directory as it goes: trace.csv (one
 * row per task attempt, appended as tasks end) and edges.csv (one row per
 * dependence, appended at submission). Formats: docs/design.md, "Run
 * directory"; RFC 4180 quoting, so a message with commas, quotes or
 * newlines stays one field.
 *
 * Rows are buffered and flushed at least every RECORD_FLUSH_S seconds and
 * at the end: a reader (tessera status, report) sees a run's progress
 * while it runs, at most that much late; a crash may tear the last row,
 * which readers skip. Engine thread only.
 */
#ifndef TESS_RUNTIME_RECORD_H
#define TESS_RUNTIME_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include "engine/dag.h"
#include "runtime/exec.h"

#define RECORD_FLUSH_S 0.2

typedef struct record record_t;

/* Open RUN_DIR/trace.csv and edges.csv, new (append: continue existing
 * ones, for a resumed run). NULL with err. Caller closes. */
record_t *record_open(const char *run_dir, int append, tess_error_t *err);

/* Flush and close. Accepts NULL; preserves errno. -1 if a write failed. */
int record_close(record_t *r);

/* A task attempt ended (or was given up): name is the definition's name,
 * state one of ok failed timeout crashed cancelled not-run ignored
 * replayed; res may be NULL for tasks that never reached an executor. */
void record_task(record_t *r, const dag_task_t *t, const char *name,
                 const char *state, const exec_result_t *res,
                 const char *msg);

/* Task `from` wrote version `version` of data `data` that task `to`
 * reads. */
void record_edge(record_t *r, uint64_t from, uint64_t to, const char *data,
                 uint32_t version);

/* Flush if RECORD_FLUSH_S passed since the last flush (now: monotonic
 * seconds). */
void record_tick(record_t *r, double now);

/* Write one CSV field (quoted when it needs to be) to f. */
void record_csv_field(FILE *f, const char *s);

#endif
