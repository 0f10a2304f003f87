/*
 * runrec.h - the record a run leaves in its directory, loaded for the
 * views of `tessera report` and `tessera status`: status.txt (status.h),
 * trace.csv (io/trace.h: one row per task attempt) and edges.csv (one row
 * per dependence: from,to,data,version).
 *
 * Any of the three may be missing (a run still starting, a run of an older
 * Tessera): the views say what they cannot show. Times stay UNIX
 * nanoseconds; t0 is the time origin every view uses (the first submission,
 * or the first start in traces without submission times).
 *
 * Lanes are the rows of a Gantt chart: one per (worker, slot) that ran a
 * task, sorted by worker then slot. A trace without slots gets its slots
 * inferred per worker (the first free lane at each start), so overlapping
 * tasks never share a lane.
 */
#ifndef TESS_REPORT_RUNREC_H
#define TESS_REPORT_RUNREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/status.h"
#include "report/strtab.h"
#include "tessera.h"

/* Task attempt states (trace.csv's "state"). */
typedef enum rstate {
    RS_OK, RS_FAILED, RS_TIMEOUT, RS_CRASHED, RS_CANCELLED, RS_NOT_RUN,
    RS_IGNORED, RS_OTHER
} rstate_t;

/* One row of the trace: a task attempt. Strings are strtab indexes. */
typedef struct rtask {
    uint64_t task;
    int32_t name, kernel, node, arch, state_name;
    int32_t worker, slot;  /* slot inferred when the trace has none */
    int32_t lane;          /* -1: never started */
    int32_t kidx;          /* index in runrec_t.kernel */
    uint64_t submit_ns, ready_ns, start_ns, end_ns;
    uint64_t bytes_in, bytes_out, cache_hits;
    uint32_t attempt;
    rstate_t state;
    char *message;         /* NULL if empty */
} rtask_t;

typedef struct rlane {
    int32_t worker, slot, node, arch;
    uint64_t busy_ns;      /* sum of the run times of its attempts */
    size_t ntasks;
} rlane_t;

typedef struct rkernel {
    int32_t name;          /* strtab index of the kernel ("lib:symbol") */
    int32_t task_name;     /* the task name of its first row */
    size_t count;          /* attempts that ran */
    uint64_t total_ns, max_ns;
} rkernel_t;

typedef struct redge {
    uint64_t from, to;
    int32_t data;          /* strtab index */
    uint32_t version;
} redge_t;

typedef struct runrec {
    char *run_dir;
    bool has_status, has_trace, has_edges;
    status_t status;
    strtab_t *str;
    rtask_t *row;          /* in the trace's order */
    size_t nrow;
    rlane_t *lane;
    size_t nlane;
    rkernel_t *kernel;     /* by total run time, longest first; those */
    size_t nkernel;        /*   that never ran (count 0) last */
    size_t nkernel_ran;    /* kernels with count > 0 */
    redge_t *edge;
    size_t nedge;
    uint64_t max_task;     /* largest task id in the trace and the edges */
    uint64_t t0, t1;       /* time origin, last end (0 if nothing ran) */
    bool slots_inferred, has_submit;
    bool torn;             /* trace.csv ended in a torn row (left out) */
    size_t damaged;        /* rows of trace.csv and edges.csv skipped */
    char damaged_why[320]; /* the first one's place and reason */
} runrec_t;

/* Load the record of @p run_dir. NULL with errno and @p err: ENOENT with
 * "not a run directory" if it holds none of the three files (ENOTDIR if
 * it is no directory), EINVAL if one cannot be read as what it is, ENOMEM.
 * Caller destroys. */
runrec_t *runrec_load(const char *run_dir, tess_error_t *err);

/* Free. Accepts NULL, preserves errno. */
void runrec_destroy(runrec_t *rr);

/* The run time of an attempt (end - start), 0 if it never started. */
uint64_t runrec_run_ns(const rtask_t *t);

/* "ok", "failed", ... as in the trace. */
const char *runrec_state_name(rstate_t s);

/* The critical path: the longest chain of dependences (edges.csv) weighted
 * by the tasks' run times (all attempts of a task summed). Its length in
 * @p len_ns and tasks in @p ntasks; if @p on_path is not NULL, a
 * caller-freed array of max_task + 1 flags marking the path's task ids.
 * 0, or -1 with errno (ENOENT: no edges.csv; ENOMEM). */
int runrec_critical_path(const runrec_t *rr, uint64_t *len_ns,
                         size_t *ntasks, bool **on_path);

/* The dependence level of every task id (0 for a task with no
 * predecessor, else one more than its deepest predecessor): a caller-freed
 * array of max_task + 1 entries in @p level, the number of levels in
 * @p nlevels. 0, or -1 with errno ENOMEM. */
int runrec_levels(const runrec_t *rr, uint32_t **level, uint32_t *nlevels);

#endif
