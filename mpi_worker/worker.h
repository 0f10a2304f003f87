/*
 * worker.h - a Tessera worker: runs the tasks an engine sends it.
 *
 * The worker's main thread alone talks MPI (MPI_THREAD_FUNNELED is enough):
 * it receives batches of task descriptors, queues them for `slots` compute
 * threads, and sends completions back in batches. Compute threads gather
 * their inputs (from the fragment cache, the fragment files or the message
 * itself), run the kernel, and write outputs as HDF5 fragment files (kept
 * in the cache) or return small ones inline. Idle, every thread sleeps.
 */
#ifndef TESS_MPI_WORKER_WORKER_H
#define TESS_MPI_WORKER_WORKER_H

#include <mpi.h>
#include <stddef.h>

#include "kernels/kreg.h"
#include "tessera.h"

typedef struct worker_config {
    int slots;            /* compute threads (0: cores of the process) */
    size_t cache_bytes;   /* fragment cache capacity */
    const char *arch;     /* architecture name reported to the engine */
    int64_t memory_mb;    /* memory tasks may use here (0: TESS_MEMORY_MB,
                             else the machine's physical memory) */
} worker_config_t;

/* Serve the engine at rank `engine` of comm until it says SHUTDOWN.
 * kernels: resolves kernel names (borrowed). Returns 0, or -1 with err
 * (a protocol or MPI failure; task failures are reported to the engine,
 * not here). */
int worker_serve(MPI_Comm comm, int engine, kreg_t *kernels,
                 const worker_config_t *cfg, tess_error_t *err);

/* What a program serving as a worker may set; zeros/NULL take the
 * defaults: slots the cores, cache TESS_CACHE_MB (else 512 MiB), arch
 * TESS_ARCH (else the architecture of this build, else none), kernels
 * searched in kernel_path then TESS_KERNEL_PATH. */
typedef struct worker_opts {
    int slots;
    size_t cache_bytes;
    const char *arch;
    const char *kernel_path;              /* ':'-separated directories */
    const tess_kernel_def_t *kernels;     /* registered first, {NULL} ends */
} worker_opts_t;

/* Serve the engine at rank 0 of comm (MPI initialised) until it is done:
 * the start-up every worker program shares. Failures are printed on stderr
 * naming the rank and host. Returns the process's exit status: 0, or 1. */
int worker_main(MPI_Comm comm, const worker_opts_t *o);

#endif
