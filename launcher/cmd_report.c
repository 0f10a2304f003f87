/*
 * cmd_report.c - `tessera report RUN_DIR`: the text summary of a run, and
 * on request its Gantt chart (SVG), executed DAG (dot) and Chrome trace
 * (JSON). Works on a finished run and on one still going (what has ended
 * so far). Refreshes RUN_DIR/trace.h5 when it is missing or older than
 * trace.csv.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5trace.h"
#include "launcher/cmd.h"
#include "launcher/logopts.h"
#include "report/chrome.h"
#include "report/dagdot.h"
#include "report/gantt.h"
#include "report/runrec.h"
#include "report/summary.h"

static int parse_count(const char *opt, const char *v, size_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < 0 || n > 1000000000) {
        fprintf(stderr, "tessera report: %s: '%s' is not a count\n", opt, v);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

int cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *gantt = NULL, *dag = NULL, *trace = NULL;
    summary_opts_t so = {.top = 5, .max_failures = 10};
    size_t dag_max = 200;
    tess_error_t err;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (dir) {
                fprintf(stderr, "tessera report: unexpected argument '%s'\n", a);
                return 2;
            }
            dir = a;
            continue;
        }
        const char **file = strcmp(a, "--gantt") == 0 ? &gantt
                            : strcmp(a, "--dag") == 0 ? &dag
                            : strcmp(a, "--trace") == 0 ? &trace : NULL;
        size_t *count = strcmp(a, "--top") == 0 ? &so.top
                        : strcmp(a, "--dag-max") == 0 ? &dag_max : NULL;
        if (!file && !count) {
            fprintf(stderr, "tessera report: unknown option '%s' (see tessera "
                    "report --help)\n", a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "tessera report: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (file)
            *file = v;
        else if (parse_count(a, v, count) < 0)
            return 2;
    }
    if (!dir) {
        fprintf(stderr, "tessera report: no run directory given (see tessera "
                "report --help)\n");
        return 2;
    }
    runrec_t *rr = runrec_load(dir, &err);
    if (!rr) {
        fprintf(stderr, "tessera report: %s\n", err.text);
        return errno == ENOMEM ? 1 : 2;
    }
    /* The HDF5 form of the trace follows the CSV; a read-only run
     * directory (someone else's run) still gets its report. */
    if (rr->has_trace && h5trace_stale(dir) == 1 &&
        h5trace_write(dir, &err) < 0)
        logopts_msg(LOGOPTS_WARN, "cannot write trace.h5: %s", err.text);
    /* --quiet: the files only */
    bool say = logopts_level() >= LOGOPTS_INFO;
    int rc = say && summary_print(stdout, rr, &so) < 0 ? 1 : 0;
    if (say && (gantt || dag || trace))
        putchar('\n');
    if (gantt) {
        long bars = gantt_write(rr, gantt, NULL, &err);
        if (bars < 0) {
            fprintf(stderr, "tessera report: %s\n", err.text);
            rc = 1;
        } else if (say) {
            printf("gantt chart   %s (%ld bars)\n", gantt, bars);
        }
    }
    if (dag) {
        dagdot_opts_t o = {.max_tasks = dag_max};
        long nodes = dagdot_write(rr, dag, &o, &err);
        if (nodes < 0) {
            fprintf(stderr, "tessera report: %s\n", err.text);
            rc = 1;
        } else if (say) {
            printf("task graph    %s (%ld nodes; dot -Tsvg %s -o graph.svg)\n",
                   dag, nodes, dag);
        }
    }
    if (trace) {
        long events = chrome_write(rr, trace, &err);
        if (events < 0) {
            fprintf(stderr, "tessera report: %s\n", err.text);
            rc = 1;
        } else if (say) {
            printf("chrome trace  %s (%ld task events; open it in "
                   "ui.perfetto.dev)\n", trace, events);
        }
    }
    runrec_destroy(rr);
    return rc;
}
