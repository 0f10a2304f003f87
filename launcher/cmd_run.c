/*
 * cmd_run.c - `tessera run`.
 *
 * Outside an MPI job, the command validates the workflow (exit 2 before
 * anything runs if it is bad), makes the run directory, and starts itself
 * as an MPI job through a launch backend: rank 0 is the engine, the other
 * ranks are workers. Inside the job (TESS_IN_JOB=1), rank 0 expands the
 * workflow into the run and writes the results; the others serve tasks.
 * -n 0 runs everything in this process on threads.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/run.h"
#include "launcher/cmd.h"
#include "launcher/launch.h"
#include "launcher/logopts.h"
#include "launcher/progress.h"
#include "runtime/spmd.h"
#include "mpi_worker/worker.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "name=value name=value" of the workflow's parameters (provenance). */
static void params_text(const wf_t *wf, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < wf_param_count(wf) && off < len; i++) {
        const char *name, *type, *value;
        if (wf_param_get(wf, i, &name, &type, &value) == 0)
            off += (size_t)snprintf(buf + off, len - off, "%s%s=%s",
                                    off ? " " : "", name, value);
    }
}

/* Expand wf into run, write its results and destroy run (which also ends
 * the workers). 0, 1 (run failed) or 2. */
static int execute(tess_run_t *run, wf_t *wf, const char *run_dir, double t0)
{
    tess_error_t err;
    int rc = 0;
    run_set_name(run, wf_name(wf));
    wf_run_sink_t *sink = wf_run_sink_create(run, wf, &err);
    if (!sink) {
        fprintf(stderr, "%s\n", err.text);
        tess_run_destroy(run, NULL); /* also releases the workers */
        return 2;
    }
    if (wf_expand(wf, wf_run_sink_ops(), sink, &err) < 0) {
        /* Bad input found while expanding (it names its place), or a task
         * that could not be submitted. */
        fprintf(stderr, "%s\n", err.text);
        rc = errno == EINVAL ? 2 : 1;
    }
    size_t n = wf_result_count(wf);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/results.h5", run_dir);
    if (rc == 0 && n > 0) {
        tess_data_t *d = calloc(n, sizeof(*d));
        char params[4096];
        params_text(wf, params, sizeof(params));
        for (size_t i = 0; d && i < n; i++)
            d[i] = wf_result_data(wf, i);
        if (!d || tess_write_results(run, path, (int)n, d, wf_name(wf), params,
                                     &err) < 0) {
            fprintf(stderr, "tessera: %s\n", d ? err.text : "out of memory");
            rc = 1;
        }
        free(d);
    }
    if (rc == 0 && tess_barrier(run, &err) < 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        rc = 1;
    }
    tess_stats_t st;
    tess_run_stats(run, &st);
    /* the record: how the run ended, with the first error if any */
    char why[sizeof(err.text)];
    snprintf(why, sizeof(why), "%s", rc && !tess_run_error(run)[0]
                                         ? err.text
                                         : tess_run_error(run));
    const char *state = run_state(run);
    run_write_status(run, rc == 0                       ? "completed"
                          : strcmp(state, "running") ? state
                                                     : "failed",
                     rc, why);
    if (tess_run_destroy(run, &err) < 0 && rc == 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        rc = 1;
    }
    wf_run_sink_destroy(sink);
    if (rc == 0 && logopts_level() >= LOGOPTS_INFO)
        printf("tessera: workflow '%s': %llu tasks in %.2f s\n"
               "tessera: results: %s\n",
               wf_name(wf), (unsigned long long)st.completed, now() - t0,
               n ? path : "(no results declared)");
    return rc;
}

static void config_for(const wfopts_t *o, const char *run_dir,
                       tess_config_t *cfg)
{
    const char *deadline = getenv("TESS_DEADLINE");
    const char *margin = getenv("TESS_DEADLINE_MARGIN");
    tess_config_init(cfg);
    cfg->run_dir = run_dir;
    cfg->dot_path = o->dot;
    /* the command runs workflows as production: a crashing kernel fails
     * its task, also on threads (-n 0) */
    cfg->isolation = TESS_ISOLATION_PROCESS;
    cfg->nthreads = o->slots;
    /* Set by the Slurm backend from the job's end time. */
    if (deadline)
        cfg->deadline = strtod(deadline, NULL);
    if (margin)
        cfg->deadline_margin = strtod(margin, NULL);
}

/* Inside the MPI job: every rank comes here. */
static int run_in_job(const wfopts_t *o)
{
    int provided, rank, rc;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        fprintf(stderr, "tessera: cannot initialise MPI\n");
        return 2;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) {
        worker_opts_t wo = {.slots = o->slots, .kernel_path = o->kernel_path};
        rc = worker_main(MPI_COMM_WORLD, &wo);
        MPI_Finalize();
        return rc;
    }
    double t0 = now();
    wf_t *wf = wfopts_load(o, WF_CHECK_INPUTS | WF_CHECK_KERNELS);
    tess_config_t cfg;
    tess_error_t err;
    config_for(o, o->run_dir, &cfg);
    tess_run_t *run = wf ? spmd_run_create(&cfg, &err) : NULL;
    if (wf && !run)
        fprintf(stderr, "tessera: %s\n", err.text);
    rc = run ? execute(run, wf, o->run_dir, t0) : 2;
    wf_destroy(wf);
    if (rc != 0 && !run) {
        /* The workers wait for an engine that will not come. */
        MPI_Abort(MPI_COMM_WORLD, rc);
    }
    MPI_Finalize();
    return rc;
}

/* The directories of the workflow's kernel libraries, ':'-joined. */
static char *kernel_dirs(const wf_t *wf, const char *extra)
{
    size_t cap = 1024, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    const char *parts[3] = {extra, getenv("TESS_KERNEL_PATH"), NULL};
    for (size_t i = 0; i < wf_kernel_lib_count(wf) + 2; i++) {
        char buf[PATH_MAX];
        const char *dir = NULL;
        if (i < 2) {
            dir = parts[i];
        } else {
            const char *lib, *path;
            if (wf_kernel_lib_get(wf, i - 2, &lib, &path) < 0 || !path)
                continue;
            snprintf(buf, sizeof(buf), "%s", path);
            dir = dirname(buf);
        }
        if (!dir || !*dir)
            continue;
        size_t n = strlen(dir);
        if (len + n + 2 > cap) {
            cap = (len + n + 2) * 2;
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                return NULL;
            }
            s = t;
        }
        len += (size_t)sprintf(s + len, "%s%s", len ? ":" : "", dir);
    }
    return s;
}

static int make_run_dir(const wfopts_t *o, const wf_t *wf, char *out,
                        size_t len)
{
    if (o->run_dir) {
        snprintf(out, len, "%s", o->run_dir);
    } else {
        char stamp[32];
        time_t t = time(NULL);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
        snprintf(out, len, "tessera-run.%s.%s", wf_name(wf), stamp);
    }
    if (mkdir(out, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "tessera: run directory %s: %s\n", out, strerror(errno));
        return -1;
    }
    /* Ranks may start elsewhere (srun): give them an absolute path. */
    char abs[PATH_MAX];
    if (realpath(out, abs))
        snprintf(out, len, "%s", abs);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    wfopts_t o;
    int rc;
    if (wfopts_parse(argc, argv, 1, &o) < 0) {
        wfopts_free(&o);
        return 2;
    }
    if (launch_in_job()) {
        rc = run_in_job(&o);
        wfopts_free(&o);
        return rc;
    }

    double t0 = now();
    /* Everything that can be checked is checked before anything starts,
     * including that every task can run on the workers this launch gets. */
    const launch_ops_t *backend = launch_select();
    launch_req_t probe = {.workers = o.workers < 0 ? 0 : o.workers,
                          .slots = o.slots};
    char archs[256];
    int max_slots = 0;
    int64_t max_mem = 0;
    tess_error_t rerr;
    if (o.workers == 0) { /* this process: the local backend's view */
        int rc0 = launch_local.resources(&probe, archs, sizeof(archs),
                                         &max_slots, &max_mem, &rerr);
        snprintf(archs, sizeof(archs), "default");
        (void)rc0;
    } else if (backend->resources(&probe, archs, sizeof(archs), &max_slots,
                                  &max_mem, &rerr) < 0) {
        fprintf(stderr, "tessera: %s\n", rerr.text);
        wfopts_free(&o);
        return 2;
    }
    wf_t *wf = wfopts_load2(&o, WF_CHECK_ALL, archs, max_slots, max_mem);
    char run_dir[PATH_MAX];
    if (!wf || make_run_dir(&o, wf, run_dir, sizeof(run_dir)) < 0) {
        wf_destroy(wf);
        wfopts_free(&o);
        return 2;
    }
    if (o.workers == 0) {
        tess_config_t cfg;
        tess_error_t err;
        config_for(&o, run_dir, &cfg);
        tess_run_t *run = tess_run_create(&cfg, &err);
        if (!run) {
            fprintf(stderr, "tessera: %s\n", err.text);
            rc = 1;
        } else {
            progress_t *prog = progress_start(run_dir, stderr);
            rc = execute(run, wf, run_dir, t0);
            progress_stop(prog);
        }
        wf_destroy(wf);
        wfopts_free(&o);
        return rc;
    }

    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *kpath = kernel_dirs(wf, o.kernel_path);
    wf_destroy(wf);
    if (n <= 0 || !kpath) {
        fprintf(stderr, "tessera: cannot find my own executable\n");
        free(kpath);
        wfopts_free(&o);
        return 2;
    }
    self[n] = '\0';
    /* Ranks get the same arguments plus the run directory chosen here. */
    char **args = calloc((size_t)argc + 4, sizeof(char *));
    int na = 0;
    if (!args) {
        free(kpath);
        wfopts_free(&o);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--run-dir") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        args[na++] = argv[i];
    }
    args[na++] = (char *)"--run-dir";
    args[na++] = run_dir;
    args[na] = NULL;
    launch_req_t req = {.self = self, .argc = na, .argv = args,
                        .workers = o.workers < 0 ? 0 : o.workers,
                        .slots = o.slots, .run_dir = run_dir,
                        .kernel_path = kpath};
    tess_error_t err;
    logopts_msg(LOGOPTS_DEBUG, "run directory %s, %s launch, %d worker%s",
                run_dir, backend->name, req.workers ? req.workers : 1,
                req.workers == 1 || !req.workers ? "" : "s");
    /* the live progress line while the job runs (see progress.h) */
    progress_t *prog = progress_start(run_dir, stderr);
    rc = backend->run(&req, &err);
    progress_stop(prog);
    if (rc < 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        rc = 1;
    } else if (rc == 0 && logopts_level() >= LOGOPTS_INFO) {
        printf("tessera: done in %.2f s (%s launch)\n", now() - t0,
               backend->name);
    }
    free(args);
    free(kpath);
    wfopts_free(&o);
    return rc;
}
