/*
 * cmd_status.c - `tessera status RUN_DIR`: a run's state from its
 * directory (report/statusview.h), for a running or finished run, from
 * any shell or node. Exit status: 0 completed, 1 failed, cancelled or
 * stopped (or killed), 3 still running (or submitted and not started),
 * 2 usage or not a run directory.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/cmd.h"
#include "launcher/logopts.h"
#include "report/statusview.h"

int cmd_status(int argc, char **argv)
{
    const char *dir = NULL;
    size_t failures = 5;
    tess_error_t err;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (dir) {
                fprintf(stderr, "tessera status: unexpected argument '%s'\n",
                        a);
                return STATUSVIEW_NOT_A_RUN;
            }
            dir = a;
        } else if (strcmp(a, "--failures") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            long n = strtol(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || n < 0 || n > 10000) {
                fprintf(stderr, "tessera status: --failures: '%s' is not a "
                        "count (0 to 10000)\n", argv[i]);
                return STATUSVIEW_NOT_A_RUN;
            }
            failures = (size_t)n;
        } else {
            fprintf(stderr, "tessera status: %s '%s' (see tessera status "
                    "--help)\n", strcmp(a, "--failures") == 0
                    ? "a value is needed after" : "unknown option", a);
            return STATUSVIEW_NOT_A_RUN;
        }
    }
    if (!dir) {
        fprintf(stderr, "tessera status: no run directory given (see tessera "
                "status --help)\n");
        return STATUSVIEW_NOT_A_RUN;
    }
    /* --quiet: the exit status only (scripts waiting for a run) */
    FILE *out = logopts_level() >= LOGOPTS_INFO ? stdout
                                                : fopen("/dev/null", "w");
    int rc = statusview_print(out ? out : stdout, dir, failures, &err);
    if (out && out != stdout)
        fclose(out);
    if (rc == STATUSVIEW_NOT_A_RUN)
        fprintf(stderr, "tessera status: %s\n", err.text);
    return rc;
}
