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

/* How a task ended (the values of proto.h's enum proto_state). */
enum exec_state {
    EXEC_OK = 1,      /* ran, outputs stored */
    EXEC_FAILED = 2,  /* the kernel returned non-zero */
    EXEC_CRASHED = 3, /* its executor process died (signal, exit) */
    EXEC_TIMEOUT = 4, /* killed at its time limit */
    EXEC_ERROR = 5,   /* could not be run (inputs, outputs, kernel) */
    EXEC_NOT_RUN = 6, /* given back without starting */
};

/* What an executor reports about a finished task. Strings are borrowed
 * until the callback returns. */
typedef struct exec_result {
    int state;            /* enum exec_state */
    int32_t code;         /* see proto_done_t */
    const char *msg;      /* why it failed ("" if ok) */
    int worker;           /* MPI rank, 0 for threads, -1 never started */
    int windex;           /* the executor's index of that worker (retries
                             avoid it), -1 never started */
    int slot;
    const char *node;     /* where it ran */
    const char *arch;
    const char *kernel;   /* what ran (the architecture's implementation) */
    uint64_t start_ns, end_ns; /* CLOCK_REALTIME on the worker */
    uint64_t bytes_in, bytes_out;
    uint32_t cache_hits;
} exec_result_t;

typedef void (*exec_done_f)(void *ctx, dag_task_t *t, const exec_result_t *r);

/* Where the payload of a complete version is (the journal records it; a
 * replayed task's outputs get it back). Kinds are journal_kind's. */
enum exec_vkind {
    EXEC_V_ZERO = 0,   /* no payload: zeros */
    EXEC_V_FRAG = 1,   /* its fragment file RUN_DIR/frags/d<id>/v<n>.h5 */
    EXEC_V_INLINE = 2, /* bytes held by the engine */
    EXEC_V_FILE = 3,   /* a file version at path */
};

typedef struct exec_vloc {
    int kind;
    const void *bytes;  /* INLINE (borrowed) */
    size_t len;
    const char *path;   /* FILE (borrowed) */
} exec_vloc_t;

/* A worker of an executor, for status reports. */
typedef struct exec_worker {
    int rank;
    char node[64];
    char arch[32];
    int slots;
    int running;          /* tasks running now */
    uint64_t done;        /* tasks it finished */
    int64_t pid;
} exec_worker_t;

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
     * through done() as EXEC_NOT_RUN, with msg). Returns how many. */
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
    /* Worker i (0-based): where it is and what it does now; -1 past the
     * last worker. */
    int (*worker_info)(exec_t *x, int i, struct exec_worker *out);
    /* Task t failed and its failure is ignored: make its outputs read as
     * their defaults (arrays: zeros; files: the version it read, or an
     * empty file). Called before dag_complete(t, ok). */
    int (*fill_defaults)(exec_t *x, dag_task_t *t, tess_error_t *err);
    /* Where the payload of complete version v is (see exec_vloc_t). */
    void (*locate)(exec_t *x, const dag_version_t *v, exec_vloc_t *loc);
    /* Give version v of a task replayed from the journal the payload loc
     * describes (reading a fragment if the executor keeps values in
     * memory). */
    int (*adopt)(exec_t *x, dag_version_t *v, const exec_vloc_t *loc,
                 tess_error_t *err);
    /* The file holding version v (its fragment, or a file version), into
     * buf; -1 if it has none. */
    int (*version_path)(exec_t *x, const dag_version_t *v, char *buf,
                        size_t len);
    /* Stop threads/ranks (all tasks are finished) and free x. */
    void (*destroy)(exec_t *x);
} exec_ops_t;

struct exec {
    const exec_ops_t *ops;
    int keep_files; /* files of versions > 0 stay when the versions are
                       freed: the run removes them (journal) or keeps them
                       (a stopped run, to resume) */
};

/* The local executor: nthreads slots running kernels in this process, or
 * in executor processes (isolation: the default of tasks that say
 * nothing; TESS_ISOLATION_NONE: no executor processes at all). workdir
 * holds versions of files (renamed writes); it must exist. log_dir (NULL:
 * none) receives the executors' stderr. With a run_dir, outputs larger
 * than 64 KiB are also written as fragment files there (a journaled run
 * resumes from them). */
exec_t *exec_threads_create(int nthreads, const kreg_t *kernels,
                            const char *workdir, tess_isolation_t isolation,
                            const char *log_dir, const char *run_dir,
                            tess_error_t *err);

#endif
