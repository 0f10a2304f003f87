/*
 * submit_script.c - the sbatch script of `tessera submit`: readable, with
 * comments saying what the job will do, and independent of where it is
 * submitted from: every path in it is absolute and the job runs in the
 * directory tessera submit ran in (--chdir), so `sbatch RUN_DIR/job.sbatch`
 * from anywhere submits the same job.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher/submit.h"

int submit_script_abspath(const char *p, char *buf, size_t len)
{
    char cwd[PATH_MAX];
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    int n;
    if (p[0] == '/')
        n = snprintf(buf, len, "%s", p);
    else if (!getcwd(cwd, sizeof(cwd)))
        return -1;
    else if (p[0] == '\0' || strcmp(p, ".") == 0)
        n = snprintf(buf, len, "%s", cwd);
    else
        n = snprintf(buf, len, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", p);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
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

/* dirs (':'-separated) with each one absolute, quoted. */
static int abs_dirs(FILE *f, const char *dirs, tess_error_t *err)
{
    char *copy = strdup(dirs), *save = NULL, abs[PATH_MAX];
    if (!copy)
        return -1;
    size_t cap = strlen(dirs) * 2 + PATH_MAX, off = 0;
    char *out = malloc(cap);
    int rc = out ? 0 : -1;
    for (char *d = strtok_r(copy, ":", &save); rc == 0 && d;
         d = strtok_r(NULL, ":", &save)) {
        if (submit_script_abspath(d, abs, sizeof(abs)) < 0 ||
            off + strlen(abs) + 2 > cap) {
            errno = EINVAL;
            rc = tess_errprintf(err, "%s: cannot make it absolute", d);
            break;
        }
        off += (size_t)sprintf(out + off, "%s%s", off ? ":" : "", abs);
    }
    if (rc == 0) {
        out[off] = '\0';
        shquote(f, out);
    }
    free(out);
    free(copy);
    return rc;
}

/* --param NAME=VALUE as the job must see it: a path parameter with its
 * absolute value (the workflow resolved it against this directory), any
 * other value naming an existing file or directory relative to here made
 * absolute; numbers and other text as given. */
static int put_param(FILE *f, const wf_t *wf, const wf_param_override_t *ov)
{
    const char *type = "", *value = ov->value;
    char abs[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < wf_param_count(wf); i++) {
        const char *name, *t, *v;
        if (wf_param_get(wf, i, &name, &t, &v) == 0 &&
            strcmp(name, ov->name) == 0) {
            type = t;
            if (strcmp(t, "path") == 0)
                value = v;
        }
    }
    if (strcmp(type, "string") == 0 && value[0] && value[0] != '/' &&
        stat(value, &st) == 0 &&
        submit_script_abspath(value, abs, sizeof(abs)) == 0)
        value = abs;
    fputs(" --param ", f);
    size_t n = strlen(ov->name) + strlen(value) + 2;
    char *nv = malloc(n);
    if (!nv)
        return -1;
    snprintf(nv, n, "%s=%s", ov->name, value);
    shquote(f, nv);
    free(nv);
    return 0;
}

/* text as comment lines of at most 72 columns. */
static void comment(FILE *f, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t len = strlen(p), cut = len;
        if (len > 70) {
            cut = 70;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = strcspn(p, " ");
        }
        fprintf(f, "# %.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

/* "the first node", "each of the first K nodes". */
static const char *first_nodes(int k, char *buf, size_t len)
{
    if (k == 1)
        snprintf(buf, len, "the first node");
    else
        snprintf(buf, len, "each of the first %d nodes", k);
    return buf;
}

/* The comment saying what the job starts: how many workers each node
 * gets (launch_slurm.c: round robin over the allocation's nodes in their
 * order) and how many tasks each runs at once. */
static void workers_comment(FILE *f, const submit_opts_t *o)
{
    int n = o->nodes, w = o->wf.workers;
    char text[512], slots[96], nodes[48];
    size_t off = (size_t)snprintf(text, sizeof(text), "tessera run learns "
                                  "the allocation from Slurm and starts, as "
                                  "one job step (srun --mpi=pmix), the "
                                  "engine (rank 0, on the first node) and ");
    if (o->wf.slots > 0)
        snprintf(slots, sizeof(slots), "%d task%s at once (--slots)",
                 o->wf.slots, o->wf.slots == 1 ? "" : "s");
    else
        snprintf(slots, sizeof(slots), "as many tasks at once as %s",
                 w > n ? "its share of its node's CPUs"
                       : "its node has CPUs");
    if (w == 0)
        snprintf(text + off, sizeof(text) - off, "no worker ranks (-n 0): "
                 "the tasks run on threads of the tessera process, on the "
                 "first node only%s.", n > 1 ? "; the other nodes stay idle"
                                             : "");
    else if (w < 0 || w == n)
        snprintf(text + off, sizeof(text) - off, "one worker per node (%d "
                 "worker%s), each running %s.", n, n == 1 ? "" : "s", slots);
    else if (w < n)
        snprintf(text + off, sizeof(text) - off, "%d worker%s (-n %d), one "
                 "on %s of the allocation (the other %d get none), "
                 "each running %s.", w, w == 1 ? "" : "s", w,
                 first_nodes(w, nodes, sizeof(nodes)), n - w, slots);
    else if (w % n == 0)
        snprintf(text + off, sizeof(text) - off, "%d workers (-n %d), %d "
                 "per node, each running %s.", w, w, w / n, slots);
    else
        snprintf(text + off, sizeof(text) - off, "%d workers (-n %d) round "
                 "robin over the nodes (%d on %s of the allocation, "
                 "%d on the others), each running %s.", w, w, w / n + 1,
                 first_nodes(w % n, nodes, sizeof(nodes)), w / n, slots);
    comment(f, text);
}

int submit_script_write(FILE *f, const submit_script_t *s, tess_error_t *err)
{
    const submit_opts_t *o = s->o;
    char stamp[64];
    time_t t = time(NULL);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&t));
    fprintf(f, "#!/bin/bash\n"
               "# Tessera job: workflow '%s' (%s),\n"
               "# written by `tessera submit` on %s.\n"
               "# Run directory: %s\n",
            wf_name(s->wf), s->workflow, stamp, s->run_dir);
    if (s->follow_up)
        comment(f, "A follow-up job of a chain (tessera submit --chain): it "
                "starts when the job before it ended, and resumes the run "
                "if that job stopped at its time limit or was killed; if "
                "the run completed, failed or was cancelled it does "
                "nothing and cancels the jobs after it (chain.jobs).");
    else
        fprintf(f, "# To submit it again, from any directory, while the run "
                   "directory holds\n# no run yet (e.g. after scancel): "
                   "sbatch %s/job.sbatch\n", s->run_dir);
    if (o->job_name)
        fprintf(f, "#SBATCH --job-name=%s\n", o->job_name);
    else
        fprintf(f, "#SBATCH --job-name=tessera-%s\n", wf_name(s->wf));
    fprintf(f, "#SBATCH --nodes=%d\n", o->nodes);
    fprintf(f, "#SBATCH --time=%s\n", o->time_arg);
    fputs("#SBATCH --exclusive  # whole nodes: a worker uses all the CPUs "
          "of its node\n", f);
    fprintf(f, "#SBATCH --chdir=%s\n", s->cwd);
    fprintf(f, "#SBATCH --output=%s/slurm-%%j.out\n", s->run_dir);
    /* after a node failure Slurm runs the job again: it resumes the run */
    fputs("#SBATCH --requeue  # requeued (node failure): the run resumes\n"
          "#SBATCH --open-mode=append  # a requeued job's output follows "
          "the first's\n", f);
    if (o->partition)
        fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    if (o->constraint)
        fprintf(f, "#SBATCH --constraint=%s\n", o->constraint);
    if (o->account)
        fprintf(f, "#SBATCH --account=%s\n", o->account);
    if (o->qos)
        fprintf(f, "#SBATCH --qos=%s\n", o->qos);
    if (o->nsbatch)
        fputs("# given with --sbatch (after the lines above, so they win "
              "over them):\n", f);
    for (size_t i = 0; i < o->nsbatch; i++)
        fprintf(f, "#SBATCH %s\n", o->sbatch[i]);
    /* no -u: site set-up (module, source ...) often reads unset variables */
    fputs("\nset -eo pipefail\n", f);
    if (o->nsetup)
        fputs("# set-up given with --setup:\n", f);
    for (size_t i = 0; i < o->nsetup; i++)
        fprintf(f, "%s\n", o->setup[i]);
    /* What the workflow was checked with. */
    static const struct {
        const char *name;
        int dirs;
    } env[] = {{"TESS_KERNEL_PATH", 1}, {"TESS_SCHEMA_DIR", 1},
               {"OMPI_MCA_btl", 0}, {"TESS_DEADLINE_MARGIN", 0}};
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
        const char *v = getenv(env[i].name);
        if (!v || !*v)
            continue;
        fprintf(f, "export %s=", env[i].name);
        if (env[i].dirs) {
            if (abs_dirs(f, v, err) < 0)
                return -1;
        } else {
            shquote(f, v);
        }
        fputc('\n', f);
    }
    workers_comment(f, o);
    fputs("exec ", f);
    shquote(f, s->self);
    if (s->follow_up) {
        /* what the run is (workflow, parameters, options) is in run.conf */
        fputs(" resume ", f);
        shquote(f, s->run_dir);
        fputs(" --chain\n", f);
        return ferror(f) ? -1 : 0;
    }
    fputs(" run ", f);
    shquote(f, s->workflow);
    fputs(" --run-dir ", f);
    shquote(f, s->run_dir);
    if (o->wf.workers >= 0)
        fprintf(f, " -n %d", o->wf.workers);
    if (o->wf.slots > 0)
        fprintf(f, " --slots %d", o->wf.slots);
    for (size_t i = 0; i < o->wf.nparams; i++)
        if (put_param(f, s->wf, &o->wf.params[i]) < 0)
            return -1;
    if (o->wf.kernel_path) {
        fputs(" --kernel-path ", f);
        if (abs_dirs(f, o->wf.kernel_path, err) < 0)
            return -1;
    }
    if (o->wf.store) {
        char abs[PATH_MAX];
        if (submit_script_abspath(o->wf.store, abs, sizeof(abs)) < 0) {
            errno = EINVAL;
            return tess_errprintf(err, "--store %s: cannot make it absolute",
                                  o->wf.store);
        }
        fputs(" --store ", f);
        shquote(f, abs);
    }
    if (o->wf.dot) {
        char abs[PATH_MAX];
        if (submit_script_abspath(o->wf.dot, abs, sizeof(abs)) < 0) {
            errno = EINVAL;
            return tess_errprintf(err, "--dot %s: cannot make it absolute",
                                  o->wf.dot);
        }
        fputs(" --dot ", f);
        shquote(f, abs);
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
