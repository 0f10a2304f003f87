/*
 * statusview.h - what `tessera status RUN_DIR` shows: a run's state from
 * its directory alone (so from any shell or node that sees it): counts,
 * rate and time left, workers and how many tasks each runs (status.txt),
 * the last failures (trace.csv). A run whose status says "running" but whose
 * launcher is gone (same host, no such process) is shown as dead.
 */
#ifndef TESS_REPORT_STATUSVIEW_H
#define TESS_REPORT_STATUSVIEW_H

#include <stddef.h>
#include <stdio.h>

#include "tessera.h"

/* Exit statuses of `tessera status`. */
enum {
    STATUSVIEW_COMPLETED = 0,
    STATUSVIEW_ENDED_BADLY = 1, /* failed, cancelled, stopped, or dead */
    STATUSVIEW_NOT_A_RUN = 2,
    STATUSVIEW_RUNNING = 3,     /* or submitted and not started */
};

/* Print the view of @p run_dir to @p out with at most @p max_failures of
 * the last failed attempts. Returns one of the exit statuses above; for
 * STATUSVIEW_NOT_A_RUN, @p err says why and nothing is printed. */
int statusview_print(FILE *out, const char *run_dir, size_t max_failures,
                     tess_error_t *err);

#endif
