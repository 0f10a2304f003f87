/*
 * launch_local.c - the local backend: mpirun on this machine, one rank
 * for the engine and N worker ranks of the same tessera executable.
 * mpirun is found in PATH, or named by TESS_MPIRUN.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/launch.h"


static int local_detect(void)
{
    return 1;
}

static int local_resources(const launch_req_t *req, char *archs, size_t len,
                           int *max_slots, int64_t *max_memory_mb,
                           tess_error_t *err)
{
    (void)err;
    const char *a = getenv("TESS_ARCH");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    *max_memory_mb = pages > 0 && size > 0
                         ? (int64_t)pages * size / (1024 * 1024) : 0;
    snprintf(archs, len, "%s", a && *a ? a : "default");
    *max_slots = req->slots > 0 ? req->slots : (n > 0 ? (int)n : 1);
    return 0;
}

static int local_run(const launch_req_t *req, job_result_t *r,
                     tess_error_t *err)
{
    char np[32];
    snprintf(np, sizeof(np), "%d", (req->workers > 0 ? req->workers : 1) + 1);
    /* mpirun, options, then: self run ARGS */
    int max = req->argc + 40, n = 0;
    char **argv = calloc((size_t)max, sizeof(char *));
    if (!argv)
        return tess_errprintf(err, "out of memory");
    /* Found in PATH, as the site's MPI module sets it up; TESS_MPIRUN
     * names another one (a path, or a name looked up in PATH). */
    const char *mpirun = getenv("TESS_MPIRUN");
    if (!mpirun || !*mpirun)
        mpirun = "mpirun";
    argv[n++] = (char *)mpirun;
    if (geteuid() == 0)
        argv[n++] = (char *)"--allow-run-as-root";
    argv[n++] = (char *)"--oversubscribe";  /* the engine rank mostly sleeps */
    argv[n++] = (char *)"--bind-to";
    argv[n++] = (char *)"none";             /* workers run threads */
    /* not -q: it also silences "mpirun noticed that process rank 1 ...
     * exited on signal 9", the only word on a lost rank (job.c keeps it
     * and hides mpirun's boxed notices) */
    static const char *const pass[] = {"TESS_KERNEL_PATH", "TESS_IN_JOB",
                                       "TESS_RUNDIR_TOKEN",
                                       "TESS_LAUNCHER_PID", "TESS_RESUME",
                                       "TESS_TASKS_TOTAL"};
    for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
        argv[n++] = (char *)"-x";
        argv[n++] = (char *)pass[i];
    }
    argv[n++] = (char *)"-np";
    argv[n++] = np;
    argv[n++] = (char *)req->self;
    for (int i = 0; i < req->argc; i++)
        argv[n++] = req->argv[i];
    argv[n] = NULL;

    setenv("TESS_IN_JOB", "1", 1);
    if (req->kernel_path)
        setenv("TESS_KERNEL_PATH", req->kernel_path, 1);
    /* Shared-memory transport without CMA: ptrace is often restricted in
     * containers, and the fallback costs little for our message sizes. */
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    /* OpenMPI's UCX messaging layer costs ~0.2 s of MPI_Init per job
     * (mpirun -np 3 of MPI_Init+Finalize: 0.46 s, 0.22 s with ob1) and
     * brings nothing between ranks of one machine, where ob1 uses shared
     * memory; a site's own OMPI_MCA_pml wins */
    setenv("OMPI_MCA_pml", "ob1", 0);

    char log[4096 + 32];
    snprintf(log, sizeof(log), "%s/logs/launch.log", req->run_dir);
    /* mpirun forks the ranks itself; 10 s: it ends within a second of
     * them, even on a loaded machine */
    job_spec_t spec = {.argv = argv, .what = "mpirun", .log_path = log,
                       .leader_hang_s = 10,
                       .tick = req->tick, .tick_arg = req->tick_arg};
    int rc = job_run(&spec, r, err);
    free(argv);
    if (rc < 0) {
        char why[sizeof(err->text)];
        snprintf(why, sizeof(why), "%s", err->text);
        tess_errprintf(err, "%s (is it in PATH? TESS_MPIRUN names another "
                       "mpirun)", why);
    }
    return rc;
}

const launch_ops_t launch_local = {
    .name = "local",
    .detect = local_detect,
    .resources = local_resources,
    .run = local_run,
};

const launch_ops_t *launch_select(void)
{
#ifdef HAVE_SLURM
    if (launch_slurm.detect())
        return &launch_slurm;
#endif
    return &launch_local;
}

int launch_in_job(void)
{
    const char *v = getenv("TESS_IN_JOB");
    return v && strcmp(v, "1") == 0;
}
