/*
 * cmd_submit.c - `tessera submit`: check everything that can be checked
 * (the options, the workflow, and with Slurm support the request against
 * the cluster's partitions and nodes: submit_check.c), so that a job that
 * could never run is refused with exit 2 before anything is created; then
 * make the run directory (a new unique one by default), write job.sbatch
 * into it (submit_script.c) and submit it with sbatch. --dry-run prints
 * the script and touches nothing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/namelist.h"
#include "launcher/submit.h"

extern char **environ;

#define DIR_SUFFIX "XXXXXX" /* mkdtemp's unique part of a default run dir */

/* Run sbatch on the script (no shell: the path may hold any character),
 * after job `after` (afterany) unless NULL; its messages go to our
 * stderr. The job id into id. 0, or -1. */
static int sbatch(const char *script, const char *after, char *id,
                  size_t len)
{
    int fd[2];
    if (pipe(fd) < 0) {
        fprintf(stderr, "tessera submit: %s\n", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    char dep[300];
    snprintf(dep, sizeof(dep), "--dependency=afterany:%s", after ? after : "");
    char *argv[] = {(char *)"sbatch", (char *)"--parsable", dep,
                    (char *)script, NULL};
    if (!after) { /* no dependency */
        argv[2] = (char *)script;
        argv[3] = NULL;
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, "sbatch", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        fprintf(stderr, "tessera submit: cannot run sbatch: %s\n",
                strerror(rc));
        return -1;
    }
    ssize_t n;
    size_t got = 0;
    while (got < len - 1 &&
           (n = read(fd[0], id + got, len - 1 - got)) > 0)
        got += (size_t)n;
    id[got] = '\0';
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    id[strcspn(id, ";\n")] = '\0'; /* "ID;CLUSTER" with -M */
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !id[0]) {
        fprintf(stderr, "tessera submit: sbatch failed (status %d)\n",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    return 0;
}

/* 1 if the directory may take a job: empty, or "prepared" (nothing but
 * job.sbatch and job output: the run-directory contract); 0 with the
 * first other entry named in what; -1 with errno. */
static int dir_prepared(const char *path, char *what, size_t len)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int ok = 1;
    while (ok && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
            strcmp(n, "job.sbatch") == 0 || strcmp(n, "chain.sbatch") == 0 ||
            strcmp(n, "chain.jobs") == 0 ||
            fnmatch("slurm-*.out", n, 0) == 0 ||
            fnmatch("tessera-*.out", n, 0) == 0)
            continue;
        snprintf(what, len, "%s", n);
        ok = 0;
    }
    closedir(d);
    return ok;
}

/* The run directory the job will use, absolute, into out: --run-dir (new,
 * empty or prepared; its parent must exist), or by default
 * ./tessera-run.NAME.YYYYmmdd-HHMMSS.XXXXXX, made unique when created.
 * *exists: 1 if it is there already. 0, or -1 after a message. */
static int plan_run_dir(const submit_opts_t *o, const wf_t *wf, char *out,
                        size_t len, int *exists)
{
    struct stat st;
    *exists = 0;
    if (!o->wf.run_dir) {
        char stamp[32];
        time_t t = time(NULL);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
        char name[PATH_MAX];
        snprintf(name, sizeof(name), "tessera-run.%s.%s." DIR_SUFFIX,
                 wf_name(wf), stamp);
        if (submit_script_abspath(name, out, len) < 0) {
            fprintf(stderr, "tessera submit: %s: %s\n", name,
                    strerror(errno));
            return -1;
        }
        return 0;
    }
    const char *rd = o->wf.run_dir;
    if (stat(rd, &st) == 0) {
        char what[256];
        int p = S_ISDIR(st.st_mode) ? dir_prepared(rd, what, sizeof(what))
                                    : (errno = ENOTDIR, -1);
        if (p < 0) {
            fprintf(stderr, "tessera submit: --run-dir %s: %s\n", rd,
                    strerror(errno));
            return -1;
        }
        if (p == 0) {
            fprintf(stderr, "tessera submit: --run-dir %s holds '%s': a "
                    "run directory serves one run; give a new or empty "
                    "one\n", rd, what);
            return -1;
        }
        if (!realpath(rd, out)) {
            fprintf(stderr, "tessera submit: --run-dir %s: %s\n", rd,
                    strerror(errno));
            return -1;
        }
        *exists = 1;
        return 0;
    }
    /* A new directory: its parent must be there (no mkdir -p). */
    char parent[PATH_MAX], real[PATH_MAX];
    if (submit_script_abspath(rd, parent, sizeof(parent)) < 0) {
        fprintf(stderr, "tessera submit: --run-dir %s: %s\n", rd,
                strerror(errno));
        return -1;
    }
    char *slash = strrchr(parent, '/');
    while (slash && slash > parent && slash[1] == '\0') {
        *slash = '\0'; /* "dir/" */
        slash = strrchr(parent, '/');
    }
    char base[NAME_MAX + 1];
    snprintf(base, sizeof(base), "%s", slash + 1);
    if (slash == parent)
        snprintf(parent, sizeof(parent), "/");
    else
        *slash = '\0';
    if (!realpath(parent, real) || stat(real, &st) < 0 ||
        (!S_ISDIR(st.st_mode) && (errno = ENOTDIR))) {
        fprintf(stderr, "tessera submit: --run-dir %s: its parent directory "
                "%s: %s\n", rd, parent, strerror(errno));
        return -1;
    }
    if (snprintf(out, len, "%s%s%s", real, strcmp(real, "/") ? "/" : "",
                 base) >= (int)len) {
        fprintf(stderr, "tessera submit: --run-dir %s: name too long\n", rd);
        return -1;
    }
    return 0;
}

/* The script for run_dir, in memory (caller frees), or NULL after a
 * message. */
static char *render(const submit_opts_t *o, const wf_t *wf, const char *self,
                    const char *workflow, const char *run_dir,
                    const char *cwd, int follow_up)
{
    char *text = NULL;
    size_t size = 0;
    tess_error_t err = {.text = "out of memory"};
    FILE *f = open_memstream(&text, &size);
    submit_script_t s = {.o = o, .wf = wf, .self = self, .workflow = workflow,
                         .run_dir = run_dir, .cwd = cwd,
                         .follow_up = follow_up};
    int rc = f ? submit_script_write(f, &s, &err) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc < 0) {
        fprintf(stderr, "tessera submit: %s\n", err.text);
        free(text);
        return NULL;
    }
    return text;
}

/* Write text to dir/name (temp + rename: never half a file). */
static int write_job(const char *dir, const char *name, const char *text,
                     char *path, size_t len)
{
    char tmp[PATH_MAX + 32];
    snprintf(path, len, "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", dir, name, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) == EOF || fflush(f) != 0 ||
        fchmod(fileno(f), 0755) != 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        int e = errno;
        if (f)
            unlink(tmp);
        fprintf(stderr, "tessera submit: %s: cannot write: %s\n", path,
                strerror(e));
        return -1;
    }
    return 0;
}

/* Make a new default run directory from its planned name (mkdtemp: unique
 * even for two submissions in one second), with the usual permissions. */
static int make_unique_dir(char *path)
{
    if (!mkdtemp(path)) {
        fprintf(stderr, "tessera submit: cannot create %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    chmod(path, 0777 & ~mask);
    return 0;
}

/* --chain: RUN_DIR/chain.sbatch submitted o->chain times, each job after
 * the one before (afterany), the first after job `first`; every id in
 * RUN_DIR/chain.jobs, in order (the follow-up jobs cancel the rest of the
 * chain from it). 0, or -1 after a message saying what was submitted. */
static int submit_chain(const submit_opts_t *o, const wf_t *wf,
                        const char *self, const char *wfabs,
                        const char *run_dir, const char *cwd,
                        const char *first)
{
    char script[PATH_MAX + 16], jobs[PATH_MAX + 16], prev[256];
    char *text = render(o, wf, self, wfabs, run_dir, cwd, 1);
    size_t cap = (size_t)(o->chain + 1) * 256, len = 0;
    char *ids = malloc(cap);
    int rc = -1, n = 0;
    if (!text || !ids ||
        write_job(run_dir, "chain.sbatch", text, script, sizeof(script)) < 0)
        goto out;
    len = (size_t)snprintf(ids, cap, "%s\n", first);
    snprintf(prev, sizeof(prev), "%s", first);
    for (n = 0; n < o->chain; n++) {
        char id[256];
        if (sbatch(script, prev, id, sizeof(id)) < 0)
            goto out;
        len += (size_t)snprintf(ids + len, cap - len, "%s\n", id);
        snprintf(prev, sizeof(prev), "%s", id);
    }
    rc = 0;
out:
    if (ids && n > 0) {
        /* what was submitted, whatever happened next */
        write_job(run_dir, "chain.jobs", ids, jobs, sizeof(jobs));
        printf("tessera: follow-up jobs (each resumes the run if the job "
               "before it stopped at its time limit):");
        for (char *p = strchr(ids, '\n') + 1; *p; p = strchr(p, '\n') + 1)
            printf(" %.*s", (int)strcspn(p, "\n"), p);
        printf("\n");
    }
    if (rc < 0)
        fprintf(stderr, "tessera submit: the chain is incomplete: %d of %d "
                "follow-up jobs submitted (job %s and those stay queued; "
                "scancel them to stop)\n", n, o->chain, first);
    free(ids);
    free(text);
    return rc;
}

#ifdef HAVE_SLURM
/* The checks against the cluster: 1 with fit filled, 0 if the cluster
 * could not be asked (warning printed), -1 after printing why the job
 * could never start. */
static int check_cluster(const submit_opts_t *o, slurm_alloc_cluster_t *c,
                         submit_fit_t *fit)
{
    tess_error_t err;
    if (o->other_cluster) {
        fprintf(stderr, "tessera submit: note: --sbatch -M: the job is not "
                "checked against that cluster\n");
        return 0;
    }
    if (slurm_alloc_cluster_load(c, &err) < 0) {
        fprintf(stderr, "tessera submit: warning: %s; the job is not "
                "checked against the cluster\n", err.text);
        return 0;
    }
    if (submit_check(c, o, fit, &err) < 0) {
        fprintf(stderr, "tessera submit: %s\n", err.text);
        return -1;
    }
    return 1;
}

/* Every architecture a task needs must be one some worker is sure to
 * have: for each architecture that is possible but not sure, check the
 * workflow without it. 0, or -1 after printing the task and the advice. */
static int check_sure(const submit_opts_t *o, const slurm_alloc_cluster_t *c,
                      const submit_fit_t *fit, wf_t *wf)
{
    char item[64];
    for (const char *p = fit->archs; *p;) {
        size_t k = strcspn(p, ",");
        snprintf(item, sizeof(item), "%.*s", (int)k, p);
        p += k + (p[k] == ',');
        if (namelist_contains(fit->sure, item))
            continue;
        char without[sizeof(fit->archs)] = "", other[64];
        for (const char *q = fit->archs; *q;) {
            size_t m = strcspn(q, ",");
            snprintf(other, sizeof(other), "%.*s", (int)m, q);
            q += m + (q[m] == ',');
            if (strcmp(other, item) != 0)
                namelist_add(without, sizeof(without), other);
        }
        tess_error_t err;
        if (wf_set_resources(wf, without, fit->max_cpus) == 0 &&
            wf_validate(wf, WF_CHECK_RESOURCES, &err) < 0) {
            char advice[512];
            submit_check_advice(c, o, item, advice, sizeof(advice));
            fprintf(stderr, "%s\ntessera submit: %s\n", err.text, advice);
            return -1;
        }
    }
    return 0;
}
#endif

int cmd_submit(int argc, char **argv)
{
    submit_opts_t o;
    wf_t *wf = NULL;
    char *text = NULL;
    int rc = 2, known = 0;
    char cwd[PATH_MAX], self[PATH_MAX], wfabs[PATH_MAX], run_dir[PATH_MAX];
    char archs[256] = "";
    int max_cpus = 0;
    int64_t max_mem = 0;
#ifdef HAVE_SLURM
    slurm_alloc_cluster_t cluster;
    submit_fit_t fit;
    memset(&cluster, 0, sizeof(cluster));
#endif
    if (submit_opts_parse(argc, argv, &o) < 0)
        goto out;
    if (!getcwd(cwd, sizeof(cwd))) {
        fprintf(stderr, "tessera submit: the current directory: %s\n",
                strerror(errno));
        goto out;
    }
#ifdef HAVE_SLURM
    if ((known = check_cluster(&o, &cluster, &fit)) < 0)
        goto out;
    if (known) {
        snprintf(archs, sizeof(archs), "%s", fit.archs);
        max_cpus = fit.max_cpus;
        max_mem = fit.max_memory_mb;
    }
#endif
    /* Tasks no node the job may get can run: refused with their place. */
    wf = wfopts_load2(&o.wf, WF_CHECK_ALL, known ? archs : NULL, max_cpus,
                      max_mem);
    if (!wf)
        goto out;
#ifdef HAVE_SLURM
    if (known && fit.sure_known && check_sure(&o, &cluster, &fit, wf) < 0)
        goto out;
#endif
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0 || !realpath(o.wf.workflow, wfabs)) {
        fprintf(stderr, "tessera submit: %s: %s\n",
                n <= 0 ? "cannot find my own executable" : o.wf.workflow,
                strerror(errno));
        goto out;
    }
    self[n] = '\0';
    int exists;
    if (plan_run_dir(&o, wf, run_dir, sizeof(run_dir), &exists) < 0)
        goto out;
    if (o.dry_run) {
        if (!(text = render(&o, wf, self, wfabs, run_dir, cwd, 0)))
            goto out;
        fputs(text, stdout);
        if (o.chain) {
            char *next = render(&o, wf, self, wfabs, run_dir, cwd, 1);
            if (!next)
                goto out;
            printf("# ---- chain.sbatch: the %d follow-up job%s, each "
                   "--dependency=afterany:PREVIOUS ----\n%s", o.chain,
                   o.chain == 1 ? "" : "s", next);
            free(next);
        }
        printf("# (dry run: nothing was written or submitted; the run "
               "directory would be %s%s)\n", run_dir,
               o.wf.run_dir ? "" : ", " DIR_SUFFIX " made unique");
        rc = 0;
        goto out;
    }

    /* Create, write, submit; undo what was created if sbatch fails. */
    char script[PATH_MAX + 16] = "", id[256];
    rc = 1;
    /* mkdir, not mkdir -p: a directory that appeared since is not ours */
    if (!exists && (o.wf.run_dir ? mkdir(run_dir, 0777) < 0
                                 : make_unique_dir(run_dir) < 0)) {
        if (o.wf.run_dir)
            fprintf(stderr, "tessera submit: cannot create %s: %s\n",
                    run_dir, strerror(errno));
        goto out;
    }
    if (!(text = render(&o, wf, self, wfabs, run_dir, cwd, 0)) ||
        write_job(run_dir, "job.sbatch", text, script, sizeof(script)) < 0 ||
        sbatch(script, NULL, id, sizeof(id)) < 0) {
        if (script[0])
            unlink(script);
        if (!exists)
            rmdir(run_dir);
        fprintf(stderr, "tessera submit: nothing was submitted%s\n",
                exists ? "" : "; the run directory was removed");
        goto out;
    }
    printf("tessera: submitted batch job %s\n", id);
    if (o.chain && submit_chain(&o, wf, self, wfabs, run_dir, cwd, id) < 0)
        goto out; /* the first job stays queued: said */
    printf("tessera: run directory: %s\n"
           "tessera: results will be in %s/results.h5\n", run_dir, run_dir);
    rc = 0;
out:
    free(text);
    wf_destroy(wf);
#ifdef HAVE_SLURM
    slurm_alloc_cluster_free(&cluster);
#endif
    submit_opts_free(&o);
    return rc;
}
