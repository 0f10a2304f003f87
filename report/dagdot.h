/*
 * dagdot.h - the executed task graph in Graphviz dot, in the manner of
 * COMPSs' graphs: a numbered circle per task coloured by kernel (legend
 * in a box), edges carrying the data version they passed, failed tasks
 * ringed in red, tasks that never ran dashed, the critical path in bold.
 * Each node's tooltip has its details (SVG output of dot shows them).
 *
 * Beyond max_tasks tasks a picture of every task is unreadable, so the
 * graph is summarised: the tasks of one kernel at one dependence level
 * (runrec_levels) become one box "kernel x N", edges between boxes count
 * the dependences they stand for, and levels are banded together until
 * at most about 60 boxes remain. The graph's title says so.
 */
#ifndef TESS_REPORT_DAGDOT_H
#define TESS_REPORT_DAGDOT_H

#include <stddef.h>

#include "report/runrec.h"
#include "tessera.h"

typedef struct dagdot_opts {
    size_t max_tasks;  /* 0: 200 */
} dagdot_opts_t;

/* Write the graph of @p rr to @p path. Returns the number of nodes
 * written (tasks, or boxes when summarised; the legend not counted), or
 * -1 with errno and @p err (ENOENT: the run has no edges.csv). */
long dagdot_write(const runrec_t *rr, const char *path,
                  const dagdot_opts_t *o, tess_error_t *err);

#endif
