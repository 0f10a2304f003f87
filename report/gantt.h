/*
 * gantt.h - the Gantt chart of a run as a self-contained SVG (no scripts,
 * fonts or files it refers to): one row per worker slot, grouped by
 * worker; one bar per task attempt from its start to its end, coloured by
 * kernel (legend below); a <title> per bar with the task's details (shown
 * on hover); failed attempts outlined in red, the critical path in black;
 * a time axis in seconds from the first submission; idle time is the grey
 * of the row between bars, and each row ends with its busy share.
 *
 * Readable from a few to millions of tasks: rows shrink (to 2 px) with
 * their number, labels appear only where they fit, a row with more tasks
 * than pixels is drawn at true widths (its colour density is its busy
 * share), and beyond max_bars bars, consecutive tasks of a kernel within
 * a pixel are drawn as one bar as opaque as they fill it (the chart says
 * so).
 */
#ifndef TESS_REPORT_GANTT_H
#define TESS_REPORT_GANTT_H

#include <stddef.h>

#include "report/runrec.h"
#include "tessera.h"

typedef struct gantt_opts {
    size_t max_bars;  /* 0: 20000 */
    int width;        /* pixels, 0: 1280 */
} gantt_opts_t;

/* Write the chart of @p rr to @p path (replaced). Returns the number of
 * bars drawn (one per task attempt that ran unless merged), or -1 with
 * errno and @p err naming the file. */
long gantt_write(const runrec_t *rr, const char *path, const gantt_opts_t *o,
                 tess_error_t *err);

#endif
