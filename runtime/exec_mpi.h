/*
 * exec_mpi.h - the MPI executor (rank 0 of an MPI job; workers elsewhere).
 */
#ifndef TESS_RUNTIME_EXEC_MPI_H
#define TESS_RUNTIME_EXEC_MPI_H

#include <mpi.h>
#include <stddef.h>

#include "runtime/exec.h"

typedef struct exec_mpi_config {
    size_t inline_max;  /* values up to this many bytes travel in messages
                           (0: 64 KiB) */
    const char *policy; /* scheduling policy, see sched.h (NULL: locality) */
    tess_isolation_t isolation; /* the default of tasks that say nothing */
    int nosync;         /* fragment files without fsync (scratch runs) */
} exec_mpi_config_t;

/* Every other rank of comm must be running worker_serve(). run_dir must be
 * visible to all ranks (a shared file system on a cluster). Blocks until
 * every worker said HELLO: a worker that says FATAL, or nothing within
 * TESS_START_TIMEOUT seconds (default 60), is an error naming its rank. */
exec_t *exec_mpi_create(MPI_Comm comm, const kreg_t *kernels,
                        const char *run_dir, const char *workdir,
                        const exec_mpi_config_t *cfg, tess_error_t *err);

int exec_mpi_workers(const exec_t *e);

#endif
