/*
 * cmd_resume.c - `tessera resume RUN_DIR`: run again what RUN_DIR/run.conf
 * says the run was, in RUN_DIR; `tessera run` then continues it from its
 * journal (or refuses, naming what changed).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5trace.h"
#include "io/rundir.h"
#include "io/runstatus.h"
#include "launcher/cmd.h"
#include "launcher/runconf.h"

int cmd_resume(int argc, char **argv)
{
    const char *dir = NULL, *workers = NULL, *slots = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-n") || !strcmp(a, "--workers")) && i + 1 < argc)
            workers = argv[++i];
        else if (!strcmp(a, "--slots") && i + 1 < argc)
            slots = argv[++i];
        else if (a[0] != '-' && !dir)
            dir = a;
        else {
            fprintf(stderr, "tessera resume: unexpected argument '%s'\n%s", a,
                    CMD_RESUME_USAGE);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "%s", CMD_RESUME_USAGE);
        return 2;
    }
    static runstatus_t st;
    tess_error_t err;
    char abs[PATH_MAX], cwd[PATH_MAX];
    if (!realpath(dir, abs)) {
        fprintf(stderr, "tessera resume: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    dir = abs;
    if (runstatus_read(dir, &st, &err) == 0 &&
        strcmp(st.state, "completed") == 0) {
        /* killed after its record said so (while writing trace.h5, say):
         * what a writer left half-done goes, the trace's copy is made */
        rundir_lock_t lock;
        char trace[PATH_MAX + 16];
        if (rundir_lock(dir, &lock, &err) < 0 ||
            rundir_clean_temps(dir, &err) < 0) {
            fprintf(stderr, "tessera resume: %s\n", err.text);
            rundir_unlock(&lock);
            return 2;
        }
        snprintf(trace, sizeof(trace), "%s/trace.h5", dir);
        if (access(trace, F_OK) != 0 && h5trace_write(dir, &err) < 0)
            fprintf(stderr, "tessera resume: %s\n", err.text);
        rundir_unlock(&lock);
        printf("tessera: the run in %s is completed; nothing to resume\n",
               dir);
        return 0;
    }
    char *args[512];
    int n = runconf_args(dir, args, 500, &err);
    if (n < 0) {
        fprintf(stderr, "tessera resume: %s\n", err.text);
        return 2;
    }
    /* where the run started: its relative paths (the workflow, files it
     * names) mean the same again */
    if (runconf_cwd(dir, cwd, sizeof(cwd)) == 0 && chdir(cwd) < 0) {
        fprintf(stderr, "tessera resume: the run was started in %s: %s\n",
                cwd, strerror(errno));
        runconf_free_args(args, n);
        return 2;
    }
    /* the original launch, this run directory, the options given now */
    char *v[520];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if ((workers && !strcmp(args[i], "-n")) ||
            (slots && !strcmp(args[i], "--slots"))) {
            i++; /* replaced below */
            continue;
        }
        v[k++] = args[i];
    }
    v[k++] = (char *)"--run-dir";
    v[k++] = (char *)dir;
    v[k++] = (char *)"--resume";
    if (workers) {
        v[k++] = (char *)"-n";
        v[k++] = (char *)workers;
    }
    if (slots) {
        v[k++] = (char *)"--slots";
        v[k++] = (char *)slots;
    }
    v[k] = NULL;
    int rc = cmd_run(k, v);
    runconf_free_args(args, n);
    return rc;
}
