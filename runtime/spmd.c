/*
 * spmd.c - tess_mpi_main(): one program, rank 0 the engine, the other
 * ranks workers (SPMD). The same binary serves both roles, so kernels
 * linked into the program are found by name on every rank.
 */
#include "config.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/rundir.h"
#include "runtime/exec_mpi.h"
#include "runtime/run.h"
#include "mpi_worker/worker.h"
#include "runtime/spmd.h"
#include "tessera.h"

struct mk {
    const tess_config_t *cfg;
};

static exec_t *make_mpi(void *arg, tess_run_t *run, tess_error_t *err)
{
    const struct mk *m = arg;
    const char *sync = getenv("TESS_FSYNC");
    exec_mpi_config_t xc = {.inline_max = m->cfg->inline_max,
                            .policy = m->cfg->policy,
                            .isolation = m->cfg->isolation,
                            .nosync = sync && strcmp(sync, "0") == 0};
    return exec_mpi_create(MPI_COMM_WORLD, run_kernels(run), run_dir(run),
                           run_workdir(run), &xc, err);
}

tess_run_t *spmd_run_create(const tess_config_t *cfg, tess_error_t *err)
{
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1)
        return tess_run_create(cfg, err);
    tess_config_t c = *cfg;
    char dir[512];
    if (!c.run_dir) {
        /* a new directory of its own, whatever runs beside it */
        char prefix[300] = "tessera-run", comm[64] = "";
        FILE *f = fopen("/proc/self/comm", "r");
        if (f && fgets(comm, sizeof(comm), f))
            comm[strcspn(comm, "\n")] = '\0';
        if (f)
            fclose(f);
        if (comm[0])
            snprintf(prefix, sizeof(prefix), "tessera-run.%s", comm);
        if (rundir_make_unique(prefix, dir, sizeof(dir), err) < 0)
            return NULL;
        c.run_dir = dir;
    }
    struct mk m = {&c};
    return run_create(&c, make_mpi, &m, err);
}

int tess_mpi_main(int *argc, char ***argv, const tess_kernel_def_t *kernels,
                  const tess_config_t *cfg, tess_main_f app, void *arg)
{
    int provided, rank = 0, rc;
    tess_config_t c;
    if (cfg)
        c = *cfg;
    else
        tess_config_init(&c);
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        fprintf(stderr, "tessera: cannot initialise MPI\n");
        return 2;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) {
        worker_opts_t wo = {.slots = c.nthreads, .cache_bytes = c.cache_bytes,
                            .kernels = kernels};
        rc = worker_main(MPI_COMM_WORLD, &wo);
        MPI_Finalize();
        return rc;
    }
    tess_error_t err;
    tess_run_t *run = spmd_run_create(&c, &err);
    if (!run) {
        fprintf(stderr, "tessera: %s\n", err.text);
        MPI_Abort(MPI_COMM_WORLD, 2);
        return 2;
    }
    for (const tess_kernel_def_t *d = kernels; d && d->name; d++)
        tess_register_kernel(run, d->name, d->fn);
    rc = app(run, argc ? *argc : 0, argv ? *argv : NULL, arg);
    run_set_exit(run, rc);
    if (tess_run_destroy(run, &err) < 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        if (rc == 0)
            rc = 1;
    }
    MPI_Finalize();
    return rc;
}
