/*
 * cmd_resume.c - `tessera resume RUN_DIR`: run again what RUN_DIR/run.conf
 * says the run was, in RUN_DIR; `tessera run` then continues it from its
 * journal (or refuses, naming what changed). With --chain (the follow-up
 * jobs of `tessera submit --chain`), only a run that stopped at its time
 * limit or was killed continues; otherwise the rest of the chain is
 * cancelled.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5trace.h"
#include "io/rundir.h"
#include "io/runstatus.h"
#include "launcher/cmd.h"
#include "launcher/runconf.h"
#include "launcher/submit.h"

extern char **environ;

/* --chain: 1 if this job continues the run; 0 if the chain stops here,
 * with why and the exit status in *code. have: st was read. */
static int chain_continues(const char *dir, const runstatus_t *st, int have,
                           char *why, size_t len, int *code)
{
    char conf[PATH_MAX + 16];
    const char *restarts = getenv("SLURM_RESTART_COUNT");
    *code = 1;
    snprintf(conf, sizeof(conf), "%s/run.conf", dir);
    if (!have && access(conf, F_OK) != 0) {
        snprintf(why, len, "%s holds no run: the first job of the chain did "
                 "not start it (cancelled before it ran?)", dir);
        return 0;
    }
    if (!have)
        return 1; /* started, killed before its first record */
    if (strcmp(st->state, "completed") == 0) {
        *code = 0;
        snprintf(why, len, "the run in %s is completed", dir);
        return 0;
    }
    /* requeued by Slurm (node failure, scontrol requeue): it goes on */
    if (restarts && atoi(restarts) > 0)
        return 1;
    if (strcmp(st->state, "stopped-wall-time") == 0 ||
        strcmp(st->state, "running") == 0) /* killed without a record */
        return 1;
    if (strcmp(st->state, "cancelled") == 0) {
        snprintf(why, len, "the run was cancelled: %s", st->message);
        return 0;
    }
    /* failed: because a task failed (it would fail again) or bad input;
     * otherwise a worker or the job died: it goes on */
    if (st->failed > 0 || st->exit_status == 2) {
        snprintf(why, len, "the run failed: %s", st->message);
        return 0;
    }
    return 1;
}

/* Cancel the jobs of RUN_DIR/chain.jobs after this one (SLURM_JOB_ID)
 * with scancel; they would find nothing to do. */
static void cancel_rest(const char *dir)
{
    char path[PATH_MAX + 16], line[256], *ids[SUBMIT_CHAIN_MAX + 2];
    const char *me = getenv("SLURM_JOB_ID");
    int n = 1, after = 0;
    snprintf(path, sizeof(path), "%s/chain.jobs", dir);
    FILE *f = me ? fopen(path, "r") : NULL;
    if (!f)
        return;
    ids[0] = (char *)"scancel";
    while (n < SUBMIT_CHAIN_MAX + 1 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (after && line[0] && (ids[n] = strdup(line)))
            n++;
        after |= strcmp(line, me) == 0;
    }
    fclose(f);
    ids[n] = NULL;
    if (n > 1) {
        pid_t pid;
        int st;
        printf("tessera: cancelling the rest of the chain:");
        for (int i = 1; i < n; i++)
            printf(" %s", ids[i]);
        printf("\n");
        fflush(stdout);
        if (posix_spawnp(&pid, "scancel", NULL, NULL, ids, environ) == 0)
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        else
            fprintf(stderr, "tessera resume: cannot run scancel\n");
    }
    for (int i = 1; i < n; i++)
        free(ids[i]);
}

int cmd_resume(int argc, char **argv)
{
    const char *dir = NULL, *workers = NULL, *slots = NULL;
    int chain = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--chain"))
            chain = 1;
        else if ((!strcmp(a, "-n") || !strcmp(a, "--workers")) && i + 1 < argc)
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
    int have = runstatus_read(dir, &st, &err) == 0;
    char why[2 * PATH_MAX];
    int code;
    if (chain && !chain_continues(dir, &st, have, why, sizeof(why), &code)) {
        printf("tessera: %s; the chain stops here\n", why);
        cancel_rest(dir);
        if (code != 0)
            return code;
    }
    if (have && strcmp(st.state, "completed") == 0) {
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
