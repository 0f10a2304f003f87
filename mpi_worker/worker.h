/*
 * worker.h - a Tessera worker: runs the tasks an engine sends it.
 *
 * The worker's main thread alone talks MPI (MPI_THREAD_FUNNELED is enough):
 * it receives batches of task descriptors, queues them for `slots` slot
 * threads (kernels/runner.h), and sends completions back in batches. A slot
 * thread gathers a task's inputs (from the fragment cache, the fragment
 * files or the message itself) into its slot's arena, runs the kernel
 * there, in the slot's executor process unless the task says otherwise
 * (kernels/sandbox.h: a crash, exit() or time-out fails the task, not the
 * worker), and writes outputs as HDF5 fragment files (kept in the cache) or
 * returns small ones inline. Idle, every thread sleeps.
 */
#ifndef TESS_MPI_WORKER_WORKER_H
#define TESS_MPI_WORKER_WORKER_H

#include <mpi.h>
#include <stddef.h>

#include "kernels/kreg.h"
#include "tessera.h"

typedef struct worker_config {
    int slots;            /* slot threads (0: cores of the process) */
    size_t cache_bytes;   /* fragment cache capacity (0: 512 MiB) */
    const char *arch;     /* architecture name reported to the engine */
    int64_t memory_mb;    /* memory tasks may use here (0: TESS_MEMORY_MB,
                             else the machine's physical memory) */
    int inproc;           /* 1: every task runs on its slot thread, no
                             executor processes (also TESS_ISOLATION=none);
                             0: tasks run in executor processes unless
                             they ask otherwise */
} worker_config_t;

/* Serve the engine at rank `engine` of comm until it says SHUTDOWN.
 * kernels: resolves kernel names (borrowed). A worker that cannot start
 * tells the engine why (FATAL) before returning -1. Returns 0, or -1 with
 * err (start-up, protocol or MPI failure; task failures are reported to
 * the engine, not here). */
int worker_serve(MPI_Comm comm, int engine, kreg_t *kernels,
                 const worker_config_t *cfg, tess_error_t *err);

/* What a program serving as a worker may set; zeros/NULL take the
 * defaults: slots the cores, cache TESS_CACHE_MB (else 512 MiB), arch
 * TESS_ARCH (else the architecture of this build, else none), kernels
 * searched in kernel_path then TESS_KERNEL_PATH, isolation from
 * TESS_ISOLATION ("process", the default, or "none"). */
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
