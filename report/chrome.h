/*
 * chrome.h - a run as Chrome trace-event JSON (the "JSON Array/Object
 * Format" that ui.perfetto.dev and chrome://tracing open): one complete
 * event ("ph": "X") per task attempt that ran, pid = worker rank, tid =
 * slot, times in microseconds since the run's time origin, the task's
 * details in "args"; process and thread name metadata ("ph": "M") name
 * the workers ("worker 1 (node, arch)") and slots. Failed attempts carry
 * "cname": "terrible" (red in chrome://tracing).
 */
#ifndef TESS_REPORT_CHROME_H
#define TESS_REPORT_CHROME_H

#include "report/runrec.h"
#include "tessera.h"

/* Write the trace of @p rr to @p path. Returns the number of task events,
 * or -1 with errno and @p err naming the file. */
long chrome_write(const runrec_t *rr, const char *path, tess_error_t *err);

#endif
