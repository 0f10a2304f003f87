/*
 * summary.h - the text summary of `tessera report`: state, makespan, task
 * time, utilisation per worker and slot, critical path against makespan,
 * kernels, slowest tasks, data volume, failures and retries.
 */
#ifndef TESS_REPORT_SUMMARY_H
#define TESS_REPORT_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "report/runrec.h"

typedef struct summary_opts {
    size_t top;          /* slowest tasks listed (0: none) */
    size_t max_failures; /* failed attempts listed */
} summary_opts_t;

/* Print the summary of @p rr to @p out. 0, or -1 with errno if a write
 * failed. */
int summary_print(FILE *out, const runrec_t *rr, const summary_opts_t *o);

/* A one-line form of @p msg (line breaks shown as " | ", at most @p len - 1
 * bytes) into @p buf. Returns @p buf. */
char *summary_one_line(char *buf, size_t len, const char *msg);

#endif
