/*
 * exec.h - executors: what runs the ready tasks of a run.
 *
 * An executor is an ops table plus private state (Slurm's plugin style):
 * the local thread pool (exec_threads.c) and MPI worker ranks
 * (exec_mpi.c). The
 * engine thread hands ready tasks to dispatch() and collects finished ones
 * through poll(), so the dag is only ever touched by the engine thread.
 * Executors own the payloads of versions (buffers, files) they produce.
 */
#ifndef TESS_RUNTIME_EXEC_H
#define TESS_RUNTIME_EXEC_H

#include "engine/dag.h"
#include "kernels/kreg.h"

typedef struct exec exec_t;

/* A finished task: ok != 0 on success; msg (borrowed until the callback
 * returns) says why it failed. */
typedef void (*exec_done_f)(void *ctx, dag_task_t *t, int ok, const char *msg);

typedef struct exec_ops {
    const char *name;
    /* Hand over ready tasks (a list linked through t->next). The kernel of
     * each task is kreg_fn(kernels, t->kernel), read here, on the engine
     * thread. */
    int (*dispatch)(exec_t *x, dag_task_t *list);
    /* Report finished tasks through done(); with block, sleep until at
     * least one finishes. Returns the number reported, -1 on error. */
    int (*poll)(exec_t *x, int block, exec_done_f done, void *ctx);
    /* Give back the dispatched tasks that have not started (reported
     * through done() as not run, with msg). Returns how many. */
    int (*unqueue)(exec_t *x, exec_done_f done, void *ctx, const char *msg);
    /* Copy the elements piece of version v into dst (dense, of shape
     * dst_shape, piece placed at dst_start). v is complete. */
    int (*read)(exec_t *x, const dag_version_t *v, const region_t *piece,
                void *dst, const int64_t *dst_shape, const int64_t *dst_start,
                tess_error_t *err);
    /* Make the user's file hold the content of file version v. */
    int (*publish_file)(exec_t *x, const dag_version_t *v, tess_error_t *err);
    /* Attach the initial value to version 0 of v->data: buf (numel
     * elements, ownership taken, NULL for zeros) for arrays; files are the
     * user's path (v->data->name). */
    int (*init_version)(exec_t *x, dag_version_t *v, void *buf,
                        tess_error_t *err);
    /* Free what v->payload holds (engine thread, v has no references). */
    void (*version_free)(exec_t *x, dag_version_t *v);
    /* The workers' architectures, ','-separated ("default" for workers
     * without one), the largest slot count and the largest memory (MiB,
     * 0: unknown) of a worker. */
    void (*describe)(exec_t *x, char *archs, size_t len, int *max_slots,
                     int64_t *max_memory_mb);
    /* Stop threads/ranks (all tasks are finished) and free x. */
    void (*destroy)(exec_t *x);
} exec_ops_t;

struct exec {
    const exec_ops_t *ops;
};

/* The local executor: nthreads threads running kernels in this process.
 * workdir holds versions of files (renamed writes); it must exist. */
exec_t *exec_threads_create(int nthreads, const kreg_t *kernels,
                            const char *workdir, tess_error_t *err);

#endif
