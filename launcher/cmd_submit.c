/*
 * cmd_submit.c - `tessera submit`: write a readable sbatch script into the
 * run directory that runs `tessera run` in the allocation, and submit it.
 * Everything that can be checked is checked first (the workflow, and with
 * Slurm support that some node has the requested feature), so a job that
 * could never run is refused before it waits in the queue.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher/cmd.h"

extern char **environ;
#ifdef HAVE_SLURM
#include "launcher/slurm_alloc.h"
#endif

struct sopts {
    const char *nodes, *time, *partition, *constraint, *account, *qos;
    int dry_run;
};

/* HH:MM:SS, MM:SS, minutes, or D-HH:MM:SS: what sbatch --time accepts,
 * checked here so a typo is not a queued job that Slurm rejects later. */
static int valid_time(const char *t)
{
    int d, h, m, s;
    char c;
    return sscanf(t, "%d-%d:%d:%d%c", &d, &h, &m, &s, &c) == 4 ||
           sscanf(t, "%d:%d:%d%c", &h, &m, &s, &c) == 3 ||
           sscanf(t, "%d:%d%c", &m, &s, &c) == 2 ||
           sscanf(t, "%d%c", &m, &c) == 1;
}

/* Split submit-only options out of argv; the rest stays for wfopts. */
static int split(int argc, char **argv, struct sopts *so, int *nargc,
                 char **rest)
{
    memset(so, 0, sizeof(*so));
    *nargc = 0;
    rest[(*nargc)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        static const char *const names[] = {"--nodes", "--time", "--partition",
                                            "--constraint", "--account",
                                            "--qos"};
        const char **dst[] = {&so->nodes, &so->time, &so->partition,
                              &so->constraint, &so->account, &so->qos};
        int k, found = 0;
        if (strcmp(argv[i], "--dry-run") == 0) {
            so->dry_run = 1;
            continue;
        }
        for (k = 0; k < 6; k++) {
            if (strcmp(argv[i], names[k]) == 0) {
                if (i + 1 == argc) {
                    fprintf(stderr, "tessera submit: %s needs a value\n",
                            argv[i]);
                    return -1;
                }
                *dst[k] = argv[++i];
                found = 1;
                break;
            }
        }
        if (!found)
            rest[(*nargc)++] = argv[i];
    }
    rest[*nargc] = NULL;
    if (!so->nodes || !so->time) {
        fprintf(stderr, "tessera submit: --nodes and --time are required "
                "(see tessera submit --help)\n");
        return -1;
    }
    char *end;
    long n = strtol(so->nodes, &end, 10);
    if (*end || n < 1) {
        fprintf(stderr, "tessera submit: --nodes: '%s' is not a node count\n",
                so->nodes);
        return -1;
    }
    if (!valid_time(so->time)) {
        fprintf(stderr, "tessera submit: --time: '%s' is not HH:MM:SS\n",
                so->time);
        return -1;
    }
    return 0;
}

/* Single-quote s for the shell. */
static void shquote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static int write_script(FILE *f, const struct sopts *so, const wf_t *wf,
                        const char *self, const char *workflow,
                        const char *workflow_arg, const char *run_dir,
                        int argc, char **argv)
{
    char stamp[64];
    time_t t = time(NULL);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&t));
    fprintf(f, "#!/bin/bash\n"
               "# Tessera job: workflow '%s', written by `tessera submit` on "
               "%s.\n"
               "# Submit again with: sbatch %s/job.sbatch\n",
            wf_name(wf), stamp, run_dir);
    fprintf(f, "#SBATCH --job-name=tessera-%s\n", wf_name(wf));
    fprintf(f, "#SBATCH --nodes=%s\n", so->nodes);
    fprintf(f, "#SBATCH --time=%s\n", so->time);
    fputs("#SBATCH --exclusive  # whole nodes: one worker uses all CPUs\n", f);
    fprintf(f, "#SBATCH --output=%s/slurm-%%j.out\n", run_dir);
    if (so->partition)
        fprintf(f, "#SBATCH --partition=%s\n", so->partition);
    if (so->constraint)
        fprintf(f, "#SBATCH --constraint=%s\n", so->constraint);
    if (so->account)
        fprintf(f, "#SBATCH --account=%s\n", so->account);
    if (so->qos)
        fprintf(f, "#SBATCH --qos=%s\n", so->qos);
    fputs("\nset -euo pipefail\n", f);
    const char *env[] = {"TESS_KERNEL_PATH", "TESS_SCHEMA_DIR", "OMPI_MCA_btl",
                         "TESS_DEADLINE_MARGIN"};
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
        const char *v = getenv(env[i]);
        if (v) {
            fprintf(f, "export %s=", env[i]);
            shquote(f, v);
            fputc('\n', f);
        }
    }
    fputs("# tessera run learns the allocation from Slurm and starts the engine\n"
          "# and one worker per node with srun --mpi=pmix.\n", f);
    fputs("exec ", f);
    shquote(f, self);
    fputs(" run ", f);
    shquote(f, workflow);
    fputs(" --run-dir ", f);
    shquote(f, run_dir);
    for (int i = 1; i < argc; i++) {
        if (argv[i] == workflow_arg)
            continue; /* given above, as an absolute path */
        if (strcmp(argv[i], "--run-dir") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        fputc(' ', f);
        shquote(f, argv[i]);
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

/* Run sbatch on the script (no shell: the path may hold any character);
 * print the job id. 0, or 1. */
static int sbatch(const char *script)
{
    int fd[2];
    if (pipe(fd) < 0) {
        fprintf(stderr, "tessera submit: %s\n", strerror(errno));
        return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    char *argv[] = {(char *)"sbatch", (char *)"--parsable", (char *)script,
                    NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "sbatch", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        fprintf(stderr, "tessera submit: cannot run sbatch: %s\n",
                strerror(rc));
        return 1;
    }
    char out[256];
    ssize_t n, len = 0;
    while (len < (ssize_t)sizeof(out) - 1 &&
           (n = read(fd[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
        len += n;
    out[len] = '\0';
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    out[strcspn(out, ";\n")] = '\0';
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !out[0]) {
        fprintf(stderr, "tessera submit: sbatch failed (status %d)\n",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return 1;
    }
    printf("tessera: submitted batch job %s\n", out);
    return 0;
}

int cmd_submit(int argc, char **argv)
{
    struct sopts so;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nargc, rc = 2;
    wfopts_t o;
    memset(&o, 0, sizeof(o));
    if (!rest || split(argc, argv, &so, &nargc, rest) < 0 ||
        wfopts_parse(nargc, rest, 1, &o) < 0)
        goto out;
    /* The nodes the job may get (all, or those with --constraint): the
     * workflow's tasks must be able to run on them. */
    char archs[256];
    int max_cpus = 0, known = 0;
    int64_t max_mem = 0;
#ifdef HAVE_SLURM
    int simple = so.constraint && strpbrk(so.constraint, "&|[]*,") == NULL;
    tess_error_t serr;
    if (slurm_alloc_cluster_archs(simple ? so.constraint : NULL, archs,
                                  sizeof(archs), &max_cpus, &max_mem,
                                  &serr) == 0) {
        if (simple && !archs[0]) {
            fprintf(stderr, "tessera submit: --constraint %s: no node of the "
                    "cluster has feature '%s'; the job could never start\n",
                    so.constraint, so.constraint);
            goto out;
        }
        known = !so.constraint || simple;
    } else if (!so.dry_run) {
        fprintf(stderr, "tessera submit: warning: %s\n", serr.text);
    }
#endif
    wf_t *wf = wfopts_load2(&o, WF_CHECK_ALL, known ? archs : NULL,
                            known ? max_cpus : 0, known ? max_mem : 0);
    if (!wf)
        goto out;
    char run_dir[PATH_MAX], script[PATH_MAX + 16], self[PATH_MAX], wfabs[PATH_MAX];
    if (o.run_dir) {
        snprintf(run_dir, sizeof(run_dir), "%s", o.run_dir);
    } else {
        char stamp[32];
        time_t t = time(NULL);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
        snprintf(run_dir, sizeof(run_dir), "tessera-run.%s.%s", wf_name(wf),
                 stamp);
    }
    if ((mkdir(run_dir, 0755) < 0 && errno != EEXIST) ||
        !realpath(run_dir, self) || !realpath(o.workflow, wfabs)) {
        fprintf(stderr, "tessera submit: %s: %s\n", run_dir, strerror(errno));
        wf_destroy(wf);
        goto out;
    }
    snprintf(run_dir, sizeof(run_dir), "%s", self);
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = '\0';
    snprintf(script, sizeof(script), "%s/job.sbatch", run_dir);
    FILE *f = fopen(script, "w");
    if (!f || write_script(f, &so, wf, self, wfabs, o.workflow, run_dir,
                              nargc, rest) < 0 ||
        fclose(f) != 0) {
        fprintf(stderr, "tessera submit: %s: cannot write: %s\n", script,
                strerror(errno));
        wf_destroy(wf);
        goto out;
    }
    chmod(script, 0755);
    wf_destroy(wf);
    if (so.dry_run) {
        FILE *s = fopen(script, "r");
        char line[4096];
        while (s && fgets(line, sizeof(line), s))
            fputs(line, stdout);
        if (s)
            fclose(s);
        printf("# (dry run: written to %s, not submitted)\n", script);
        rc = 0;
    } else {
        rc = sbatch(script);
        if (rc == 0)
            printf("tessera: results will be in %s/results.h5\n", run_dir);
    }
out:
    wfopts_free(&o);
    free(rest);
    return rc;
}
