/*
 * tessera.h - the Tessera task API (the COMPSs programming model in C).
 *
 * A program creates a run, declares data (arrays, files), submits tasks by
 * kernel name with per-parameter directions (IN, OUT, INOUT), optionally on a
 * region (hyperslab) of an array, and reads results back with tess_wait_on().
 * The run builds the task graph from these data accesses and executes tasks in
 * parallel; the program reads as a sequential program and its results equal a
 * sequential execution in program order.
 *
 * Mapping for PyCOMPSs users:
 *   @task(x=IN, y=INOUT) f(x, y, 3)   ->  TESS_SUBMIT(run, "f", 0,
 *                                             tess_in(x), tess_inout(y), tess_int(3));
 *   compss_wait_on(y)                 ->  tess_wait_on(run, y, buf, &err);
 *   compss_barrier()                  ->  tess_barrier(run, &err);
 *   compss_delete_object(y)           ->  tess_delete(run, y);
 *   @task(priority=True)              ->  flags TESS_PRIORITY
 *
 * Error convention: functions return -1 (or 0 handles / NULL) and set errno;
 * where a person needs to read what happened, a caller-owned tess_error_t is
 * filled with a message naming the place (task, data, file).
 *
 * Threading: a run is driven from one thread (the one that calls the API);
 * kernels run on executor threads or other processes.
 *
 * ABI: the layout of every struct below changes only together with the
 * library's soname (libtessera.so.N); options added in between are new
 * functions. See docs/api.md, "ABI".
 */
#ifndef TESSERA_H
#define TESSERA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Highest array rank (number of dimensions) Tessera handles. */
#define TESS_MAX_RANK 8

/** Version of the on-disk formats (HDF5 attributes, run directory). */
#define TESS_FORMAT_VERSION 1

/** Element types of arrays. Values are part of the on-disk/wire formats. */
typedef enum tess_type {
    TESS_U8 = 1,
    TESS_I32 = 2,
    TESS_I64 = 3,
    TESS_F32 = 4,
    TESS_F64 = 5,
} tess_type_t;

/** Size in bytes of one element of @p type, 0 if unknown. */
size_t tess_type_size(tess_type_t type);
/** Name of @p type ("u8", "f64", ...), "?" if unknown. Static string. */
const char *tess_type_name(tess_type_t type);

/** Direction of a task parameter. */
typedef enum tess_dir {
    TESS_IN = 1,    /**< the task reads the data */
    TESS_OUT = 2,   /**< the task writes the data (every element of the region) */
    TESS_INOUT = 3, /**< the task reads and writes the data */
} tess_dir_t;

/** A message for a person, filled by functions that take one. Caller-owned. */
typedef struct tess_error {
    char text[512];
} tess_error_t;

/** Format a message into @p err (may be NULL). Always returns -1. */
int tess_errprintf(tess_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** A run: the data, the task graph and the executors of one program. */
typedef struct tess_run tess_run_t;

/** Handle of a data object (array or file) of a run; 0 is "no data". */
typedef uint64_t tess_data_t;

/* ------------------------------------------------------------------ */
/* Kernels: the bodies of tasks                                        */
/* ------------------------------------------------------------------ */

/** The arguments of one running task, as its kernel sees them. */
typedef struct tess_args tess_args_t;

/**
 * A kernel. Returns 0 on success; non-zero fails the task (and the run),
 * optionally with a message set by tess_args_fail().
 * Kernels are found by name: registered with tess_register_kernel() or
 * looked up as exported symbols (dlsym) of the program or a kernel library.
 */
typedef int (*tess_kernel_f)(const tess_args_t *args);

/** Number of parameters of the task. */
int tess_args_count(const tess_args_t *args);
/** Buffer of array parameter @p i: the region, dense, row-major, of the
 *  region's shape. Borrowed for the kernel's duration. IN buffers must not
 *  be written. NULL if @p i is not an array parameter. */
void *tess_args_data(const tess_args_t *args, int i);
/** Rank and shape (region counts) of array parameter @p i. */
int tess_args_rank(const tess_args_t *args, int i);
const int64_t *tess_args_shape(const tess_args_t *args, int i);
/** Region start of array parameter @p i (zeros for a whole array). */
const int64_t *tess_args_start(const tess_args_t *args, int i);
/** Element type of array parameter @p i. */
tess_type_t tess_args_type(const tess_args_t *args, int i);
/** Number of elements of array parameter @p i. */
int64_t tess_args_numel(const tess_args_t *args, int i);
/** Scalar parameters (by value). 0 / 0.0 / NULL when @p i is of another
 *  kind, except that tess_args_double() converts an int parameter. */
int64_t tess_args_int(const tess_args_t *args, int i);
double tess_args_double(const tess_args_t *args, int i);
const char *tess_args_string(const tess_args_t *args, int i);
/** Path of file parameter @p i: read it (IN), write it (OUT) or both. */
const char *tess_args_path(const tess_args_t *args, int i);
/** Name of the kernel and sequence number of the task (for messages). */
const char *tess_args_kernel(const tess_args_t *args);
uint64_t tess_args_task_id(const tess_args_t *args);
/** Set the failure message of the task; returns -1 for `return tess_args_fail(...)`. */
int tess_args_fail(const tess_args_t *args, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* Task parameters                                                     */
/* ------------------------------------------------------------------ */

typedef enum tess_param_kind {
    TESS_P_DATA = 1, /**< an array or file, with a direction */
    TESS_P_INT = 2,
    TESS_P_DOUBLE = 3,
    TESS_P_STRING = 4, /**< copied at submission */
} tess_param_kind_t;

#define TESS_ROWS_RANK (-2)

/** One parameter of a task call. Build with the tess_in()... helpers. */
typedef struct tess_param {
    tess_param_kind_t kind;
    tess_dir_t dir;
    tess_data_t data;
    int rank;                       /**< 0: the whole data; 1..TESS_MAX_RANK:
                                         a region of that rank;
                                         TESS_ROWS_RANK: rows start[0] ..
                                         start[0]+count[0], other dims whole */
    int64_t start[TESS_MAX_RANK];   /**< region start per dimension */
    int64_t count[TESS_MAX_RANK];   /**< region extent per dimension */
    union {
        int64_t i;
        double d;
        const char *s;
    } value;
} tess_param_t;

tess_param_t tess_in(tess_data_t data);
tess_param_t tess_out(tess_data_t data);
tess_param_t tess_inout(tess_data_t data);
/** A region (hyperslab) of an array: @p rank entries of start and count. */
tess_param_t tess_region(tess_dir_t dir, tess_data_t data, int rank,
                         const int64_t *start, const int64_t *count);
/** Rows [row_start, row_end) of an array, all other dimensions whole. */
tess_param_t tess_rows(tess_dir_t dir, tess_data_t data, int64_t row_start,
                       int64_t row_end);
tess_param_t tess_int(int64_t value);
tess_param_t tess_double(double value);
tess_param_t tess_string(const char *value);

/* ------------------------------------------------------------------ */
/* Runs                                                                */
/* ------------------------------------------------------------------ */

/** Where kernels run. */
typedef enum tess_isolation {
    TESS_ISOLATION_DEFAULT = 0, /**< tasks: the run's setting; runs: an
                                     executor process per slot on MPI
                                     workers and in the `tessera` command,
                                     the slot's thread for tess_run_create */
    TESS_ISOLATION_PROCESS = 1, /**< an executor process per worker slot: a
                                     segfault, abort(), exit(), time-out or
                                     runaway allocation fails the task, the
                                     worker and the run go on */
    TESS_ISOLATION_NONE = 2,    /**< on the slot's thread: the least cost
                                     per task; a crash ends the process */
} tess_isolation_t;

/** Settings of a run. Initialise with tess_config_init(), then override. */
typedef struct tess_config {
    int nthreads;          /**< local executor threads (0: number of cores) */
    size_t max_in_flight;  /**< submit blocks beyond this many unfinished tasks */
    const char *dot_path;  /**< if set: the task graph, written as Graphviz dot */
    const char *run_dir;   /**< run directory (fragments, results); NULL:
                                a temporary one (threads) or
                                a new ./tessera-run.PROGRAM.STAMP.XXXXXX
                                (MPI); one run owns it at a time */
    size_t inline_max;     /**< MPI: values up to this size travel inside
                                messages instead of files (0: 64 KiB) */
    const char *policy;    /**< MPI scheduling policy: "locality" (NULL) or
                                "fifo" */
    size_t cache_bytes;    /**< MPI workers: fragment cache (0: 512 MiB) */
    int result_deflate;    /**< deflate level 0..9 of result files (0: off) */
    double deadline;       /**< wall-clock limit (UNIX time, 0: none): from
                                deadline - deadline_margin on, no task starts;
                                running tasks finish, the rest are reported
                                as not run and the run fails cleanly */
    double deadline_margin; /**< seconds kept before the deadline (0: 30) */
    tess_isolation_t isolation; /**< where kernels run (see
                                     tess_isolation_t) */
    int resume;            /**< 1: continue the run recorded in run_dir
                                (also TESS_RESUME=1): tasks its journal
                                has as completed are not run again, their
                                outputs are reused; the program must
                                submit the same tasks in the same order
                                (see docs/api.md, "Resume") */
} tess_config_t;

void tess_config_init(tess_config_t *cfg);

/** Create a run executing tasks on a local thread pool.
 *  Returns NULL with @p err filled on failure. Caller destroys. */
tess_run_t *tess_run_create(const tess_config_t *cfg, tess_error_t *err);

/** Wait for all tasks, then free the run. Accepts NULL; preserves errno.
 *  Returns 0, or -1 if a task failed (message in @p err). */
int tess_run_destroy(tess_run_t *run, tess_error_t *err);

/** Make @p fn the kernel called @p name for this run (copies the name). */
int tess_register_kernel(tess_run_t *run, const char *name, tess_kernel_f fn);

/** The initial value of an array that has none: reading an element no task
 *  wrote is an error (naming the array and region) instead of zeros. */
extern const char tess_undefined[];
#define TESS_UNDEFINED ((const void *)tess_undefined)

/** Declare an array of @p rank dimensions. @p init (numel elements, copied)
 *  is its first value, NULL for zeros, or TESS_UNDEFINED for none. Returns
 *  0 on error (err filled). */
tess_data_t tess_array(tess_run_t *run, const char *name, tess_type_t type,
                       int rank, const int64_t *shape, const void *init,
                       tess_error_t *err);

/** Declare an array whose first value is the dataset @p dataset of the
 *  existing HDF5 file @p path (read now; shape and element type come from
 *  the file). Returns 0 on error, with err naming the file and dataset. */
tess_data_t tess_array_h5(tess_run_t *run, const char *name, const char *path,
                          const char *dataset, tess_error_t *err);

/** Shape and element type of an array; rank returned, -1 if unknown data.
 *  @p shape has room for TESS_MAX_RANK entries (may be NULL). */
int tess_array_shape(tess_run_t *run, tess_data_t data, int64_t *shape,
                     tess_type_t *type);

/** Write the current values of the arrays @p data (n of them) into the HDF5
 *  file @p path, one chunked dataset each (deflated if the config's
 *  result_deflate is 1..9), named after the array,
 *  with provenance attributes (Tessera version, format version, @p workflow,
 *  @p params, creation time). Waits for the values; assembles each array
 *  piece by piece (never whole in memory unless one task wrote it whole).
 *  The file appears complete or not at all; an existing file at @p path is
 *  untouched on failure. */
int tess_write_results(tess_run_t *run, const char *path, int n,
                       const tess_data_t *data, const char *workflow,
                       const char *params, tess_error_t *err);

/** Declare a file by path (copied). Its content is the data. */
tess_data_t tess_file(tess_run_t *run, const char *path, tess_error_t *err);

/** Task flag: run before the ready tasks without it (COMPSs priority=True). */
#define TESS_PRIORITY 0x1u

/** Submit a task calling kernel @p kernel. Parameters are copied.
 *  Returns the task's sequence number (>= 1), or 0 with @p err filled. */
uint64_t tess_submit(tess_run_t *run, const char *kernel, unsigned flags,
                     int nparams, const tess_param_t *params,
                     tess_error_t *err);

/** An implementation of a task for one architecture (COMPSs @implements):
 *  on a worker whose architecture is @p arch, @p kernel runs instead of
 *  the task's default kernel. */
typedef struct tess_impl {
    const char *arch;
    const char *kernel;
} tess_impl_t;

/** What a failed task does to the run (COMPSs on_failure). */
typedef enum tess_on_failure {
    TESS_ON_FAILURE_FAIL = 0,   /**< the run stops: nothing new starts, the
                                     run fails (the default) */
    TESS_ON_FAILURE_RETRY = 1,  /**< run it again, on another worker when
                                     there is one, up to `retries` times;
                                     then as FAIL */
    TESS_ON_FAILURE_CANCEL_SUCCESSORS = 2, /**< the tasks that need its
                                     outputs are cancelled, the rest goes
                                     on; the run fails at its end */
    TESS_ON_FAILURE_IGNORE = 3, /**< its outputs read as zeros (files: the
                                     version it read, or empty) and the run
                                     goes on as if it had succeeded */
} tess_on_failure_t;

/** Where a task may run and how (COMPSs @constraint, @implements and
 *  @task options). Zero-initialise, then set what you need. */
typedef struct tess_task_opts {
    unsigned flags;           /**< TESS_PRIORITY */
    const char *arch;         /**< only on workers of this architecture
                                   (the node feature, e.g. "mic"); NULL: any */
    int cpus;                 /**< slots (cores) the task occupies (0: 1) */
    int64_t memory_mb;        /**< memory the task needs on its worker, in
                                   MiB (0: no constraint); with process
                                   isolation also its address-space limit */
    int nimpls;
    const tess_impl_t *impls; /**< architecture-specific kernels */
    const char *name;         /**< the task definition's name, for traces
                                   and messages (NULL: the kernel's name) */
    tess_on_failure_t on_failure;
    int retries;              /**< TESS_ON_FAILURE_RETRY: extra attempts
                                   (0: 1) */
    double timeout;           /**< seconds a run of the task may take
                                   before it is killed and counts as failed
                                   (0: none); implies process isolation */
    tess_isolation_t isolation;
} tess_task_opts_t;

/** tess_submit() with constraints and implementations. A task that no
 *  worker of the run can ever run (no worker of the required architecture,
 *  or with enough slots or memory) is refused: 0, with err naming the
 *  constraint. A worker runs tasks at once only while their slots and
 *  memory fit its own. */
uint64_t tess_submit2(tess_run_t *run, const char *kernel,
                      const tess_task_opts_t *opts, int nparams,
                      const tess_param_t *params, tess_error_t *err);

/** The architectures of the run's workers ("default" for workers that
 *  declare none), as a ','-separated list; "" before any worker. Borrowed. */
const char *tess_run_archs(const tess_run_t *run);

/** tess_submit with the parameters as arguments; errors go to the run's
 *  error (see tess_run_error()). */
#define TESS_SUBMIT(run, kernel, flags, ...)                                 \
    tess_submit((run), (kernel), (flags),                                    \
                (int)(sizeof((tess_param_t[]){__VA_ARGS__}) /                \
                      sizeof(tess_param_t)),                                 \
                (tess_param_t[]){__VA_ARGS__}, NULL)

/** Wait until the current value of array @p data is computed and copy it
 *  (numel elements) into @p buf. Returns -1 if a task it needs failed. */
int tess_wait_on(tess_run_t *run, tess_data_t data, void *buf,
                 tess_error_t *err);

/** Wait until the current version of file @p data is written. */
int tess_wait_on_file(tess_run_t *run, tess_data_t data, tess_error_t *err);

/** Wait until every submitted task is done. -1 if one failed. */
int tess_barrier(tess_run_t *run, tess_error_t *err);

/** The program will not use @p data again: its versions are freed once the
 *  tasks that read them are done. */
int tess_delete(tess_run_t *run, tess_data_t data);

/** The run directory (fragments, files, trace, results), NULL if none. */
const char *tess_run_dir(const tess_run_t *run);

/** The first error of the run (a failed task, a bad submission), "" if none. */
const char *tess_run_error(const tess_run_t *run);

/** Stop the run as a cancellation: nothing new starts, tasks not started
 *  are reported as not run, waits return -1 once the running ones end.
 *  Async-signal-safe (it only sets a flag): call it from a SIGTERM
 *  handler. @p signal names the cause in the message (0: SIGTERM). */
void tess_run_cancel(tess_run_t *run, int signal);

/** A kernel and its name, for tess_mpi_main(). */
typedef struct tess_kernel_def {
    const char *name;
    tess_kernel_f fn;
} tess_kernel_def_t;

/** The application's main program, called on rank 0 only. */
typedef int (*tess_main_f)(tess_run_t *run, int argc, char **argv,
                           void *arg);

/**
 * Run a Tessera program as an MPI job (start it with `mpirun -np K`):
 * initialises MPI; on rank 0 creates a run whose workers are the other
 * ranks and calls @p app with it, then finishes the run; on ranks > 0
 * serves tasks until rank 0 is done. With one rank, tasks run on local
 * threads. @p kernels (terminated by {NULL, NULL}) are registered on every
 * rank; kernels may also be named "library:symbol". Returns @p app's
 * return value on rank 0 (1 if the run failed and app returned 0), 0 on
 * workers that served normally, 2 if MPI or the run could not start.
 */
int tess_mpi_main(int *argc, char ***argv, const tess_kernel_def_t *kernels,
                  const tess_config_t *cfg, tess_main_f app, void *arg);

/** Counters of a run. */
typedef struct tess_stats {
    uint64_t submitted;     /**< tasks submitted */
    uint64_t completed;     /**< tasks finished (successfully or not) */
    uint64_t edges;         /**< dependence edges created */
    uint64_t versions;      /**< data versions created */
    uint64_t live_tasks;    /**< task records currently allocated */
    uint64_t peak_live_tasks;
    uint64_t live_versions; /**< version records currently allocated */
    size_t engine_bytes;    /**< bytes held by the engine's pools */
} tess_stats_t;

void tess_run_stats(const tess_run_t *run, tess_stats_t *stats);

/* ------------------------------------------------------------------ */
/* The store: named persistent objects shared by applications          */
/* ------------------------------------------------------------------ */

/*
 * A store is a directory on a (shared) file system holding named objects
 * that outlive the run that made them (docs/store.md). An object is a
 * named collection of blocks: arrays of one element type and rank, each
 * identified by a block id (>= 0) and placed at a position (start) of an
 * optional whole array, e.g. the neurons of NeuronData in blocks of rows,
 * or one block per block pair of Correlation. Blocks are committed one by
 * one, atomically, and never change; an object is under construction
 * until its producer marks it complete. Consumers may open an object
 * before or while it is produced and wait for its blocks.
 *
 * Errors: NULL/-1 with errno and @p err (may be NULL) naming the store,
 * the object and the block. errno values: EINVAL bad name or arguments;
 * ENOENT no such object (or block); EEXIST the name or block exists
 * already; EROFS the object is complete (no more blocks); ESTALE the
 * object was deleted since it was opened; EPIPE its producer ended
 * without completing it; ETIMEDOUT a wait timed out; EPROTO an entry of
 * the store that is not a Tessera object, or a newer format; others as
 * the file system reports them (EACCES, ENOSPC, EIO).
 *
 * Threads: a handle is used by one thread at a time; distinct handles
 * may be used from several threads at once.
 */

/** A store (a directory). */
typedef struct tess_store tess_store_t;
/** An object of a store opened by this process. */
typedef struct tess_store_obj tess_store_obj_t;
/** An iteration over the blocks of an object. */
typedef struct tess_store_iter tess_store_iter_t;

/** Longest object name, in bytes. */
#define TESS_STORE_NAME_MAX 128

/** tess_store_open(): create the store directory (and its parents) if
 *  it does not exist. */
#define TESS_STORE_CREATE 0x1u

/** Open the store in directory @p dir; NULL: $TESSERA_STORE if set and
 *  not empty, else $HOME/.tessera/store. Without TESS_STORE_CREATE the
 *  directory must exist (ENOENT). Any directory is a store; an empty one
 *  is an empty store. Caller closes with tess_store_close(). */
tess_store_t *tess_store_open(const char *dir, unsigned flags,
                              tess_error_t *err);

/** Close a store. Its objects must be closed first. Accepts NULL;
 *  preserves errno. */
void tess_store_close(tess_store_t *store);

/** The store's directory (absolute). Borrowed until tess_store_close(). */
const char *tess_store_dir(const tess_store_t *store);

/** 0 if @p name is a valid object name: 1 to TESS_STORE_NAME_MAX bytes of
 *  A-Z a-z 0-9 '.' '_' '-', the first a letter or a digit. Else -1,
 *  errno EINVAL, @p err saying why (non-printable bytes shown as \xNN). */
int tess_store_check_name(const char *name, tess_error_t *err);

/** tess_store_spec_t flags: blocks are not fsynced before they become
 *  visible. Still atomic for readers and against the death of the
 *  producer, not against an operating-system crash (scratch stores). */
#define TESS_STORE_NOSYNC 0x1u

/** What a new object holds and where it comes from. */
typedef struct tess_store_spec {
    tess_type_t type;        /**< element type of every block */
    int rank;                /**< rank of every block, 1..TESS_MAX_RANK */
    const int64_t *shape;    /**< the whole array the blocks lie in (rank
                                  entries), NULL if none */
    int64_t nblocks;         /**< blocks expected (checked at completion),
                                  0 if not known */
    const char *workflow;    /**< provenance: producing workflow, its run
                                  directory and parameters; NULL: none */
    const char *run;
    const char *params;
    unsigned flags;          /**< TESS_STORE_NOSYNC */
} tess_store_spec_t;

/** Create the object @p name, under construction, with this process as
 *  its producer (until tess_store_obj_close() or the process ends). Of
 *  several processes creating one name at once, anywhere, exactly one
 *  succeeds; the others get EEXIST and a message naming the creator.
 *  Caller closes the handle. */
tess_store_obj_t *tess_store_create(tess_store_t *store, const char *name,
                                    const tess_store_spec_t *spec,
                                    tess_error_t *err);

/** Open the existing object @p name. If it does not exist, wait up to
 *  @p timeout_s seconds for it to be created (0: do not wait; ENOENT or
 *  ETIMEDOUT). Caller closes with tess_store_obj_close(). */
tess_store_obj_t *tess_store_obj_open(tess_store_t *store, const char *name,
                                      double timeout_s, tess_error_t *err);

/** Close an object handle (a producer's object stays as it is: complete,
 *  or incomplete if not completed). Accepts NULL; preserves errno. */
void tess_store_obj_close(tess_store_obj_t *obj);

/** Commit block @p block of @p obj: @p count elements (the block's shape,
 *  rank entries) from the dense row-major @p buf, at position @p start
 *  of the whole array (NULL: zeros). Written to a temporary file, synced,
 *  then made visible at once and for good: readers see the whole block
 *  or nothing. Any process may commit blocks of an object under
 *  construction. EEXIST if the block exists, EROFS if the object is
 *  complete, ESTALE if it was deleted, EINVAL if the type, rank or box do
 *  not fit the object. @p buf is only read. */
int tess_store_put(tess_store_obj_t *obj, int64_t block,
                   const int64_t *start, const int64_t *count,
                   const void *buf, tess_error_t *err);

/** Mark the object complete: its block list is fixed (the blocks
 *  committed so far), made durable, and consumers' iterations end. Call
 *  it after every tess_store_put() of the object has returned (a block
 *  committed later is not part of the object); completing a complete
 *  object does nothing. EINVAL if the spec announced another number of
 *  blocks than were committed (the object stays under construction). */
int tess_store_complete(tess_store_obj_t *obj, tess_error_t *err);

/** State of an object. */
typedef enum tess_store_state {
    TESS_STORE_BUILDING = 1,   /**< under construction, producer alive */
    TESS_STORE_COMPLETE = 2,   /**< complete: the block list is final */
    TESS_STORE_INCOMPLETE = 3, /**< its producer ended without completing
                                    it: it never will be */
    TESS_STORE_DELETED = 4,    /**< deleted since the handle was opened */
} tess_store_state_t;

/** Name of a state ("building", "complete", "incomplete", "deleted"). */
const char *tess_store_state_name(tess_store_state_t state);

/** What tess_store_info() reports. Strings are borrowed from the handle
 *  until the next tess_store_info() or tess_store_obj_close(). */
typedef struct tess_store_info {
    const char *name;
    const char *id;          /**< unique id of this incarnation of the name */
    tess_store_state_t state;
    tess_type_t type;
    int rank;
    int has_shape;           /**< shape is the whole array's (else zeros) */
    int64_t shape[TESS_MAX_RANK];
    int64_t nblocks_expected; /**< 0 if not announced */
    int64_t nblocks;         /**< blocks committed (complete: final) */
    int64_t bytes;           /**< bytes of their elements; -1 unless
                                  complete (see tess_store_blocks()) */
    const char *user;        /**< creator: user, host, pid */
    const char *host;
    long pid;
    const char *created;     /**< UTC, ISO 8601 */
    const char *completed;   /**< "" unless complete */
    const char *workflow;    /**< provenance, "" if none */
    const char *run;
    const char *params;
    int format;              /**< on-disk format version */
    int producer_alive;      /**< 1 alive, 0 gone (and for complete
                                  objects), -1 unknown (file system
                                  without locks; see docs/store.md) */
} tess_store_info_t;

/** Describe @p obj now (the state is re-read from the store). */
int tess_store_info(tess_store_obj_t *obj, tess_store_info_t *info,
                    tess_error_t *err);

/** One block: its id, position in the whole array, shape, element bytes. */
typedef struct tess_store_block {
    int64_t id;
    int rank;
    int64_t start[TESS_MAX_RANK];
    int64_t count[TESS_MAX_RANK];
    int64_t bytes;
} tess_store_block_t;

/** tess_store_blocks(): wait for blocks while the object is built. */
#define TESS_STORE_WAIT 0x1u

/** Iterate over the blocks of @p obj. A complete object yields its block
 *  list in id order. Without TESS_STORE_WAIT an object under construction
 *  yields the blocks committed now; with it, also the blocks committed
 *  later, each once, until the object is complete (then the iteration
 *  ends), its producer ends without completing it (EPIPE), or no new
 *  block comes for @p timeout_s seconds (ETIMEDOUT; <= 0: no limit).
 *  Waits do not busy-wait (docs/store.md). Caller destroys. */
tess_store_iter_t *tess_store_blocks(tess_store_obj_t *obj, unsigned flags,
                                     double timeout_s, tess_error_t *err);

/** The next block into @p blk: 1, or 0 at the end, or -1 (errno, err). */
int tess_store_next(tess_store_iter_t *it, tess_store_block_t *blk,
                    tess_error_t *err);

/** Free an iteration. Accepts NULL; preserves errno. */
void tess_store_iter_destroy(tess_store_iter_t *it);

/** Describe block @p block of @p obj (ENOENT if not committed). */
int tess_store_block_info(tess_store_obj_t *obj, int64_t block,
                          tess_store_block_t *blk, tess_error_t *err);

/** Wait until block @p block of @p obj is committed: 0 once it is;
 *  -1 with ENOENT if the object is complete without it, EPIPE if its
 *  producer ended without committing it, ESTALE if the object was
 *  deleted, ETIMEDOUT after @p timeout_s seconds (<= 0: no limit). */
int tess_store_wait(tess_store_obj_t *obj, int64_t block, double timeout_s,
                    tess_error_t *err);

/** Read block @p block of @p obj whole into @p buf (its elements, dense,
 *  row-major). A block deleted under the reader gives ESTALE, never
 *  other data. */
int tess_store_read(tess_store_obj_t *obj, int64_t block, void *buf,
                    tess_error_t *err);

/** Read the box @p start/@p count (whole-array coordinates, inside the
 *  block) of block @p block into the dense row-major @p buf of shape
 *  @p count. ERANGE if the box is not inside the block. */
int tess_store_read_box(tess_store_obj_t *obj, int64_t block,
                        const int64_t *start, const int64_t *count,
                        void *buf, tess_error_t *err);

/** Delete the object @p name: its name disappears at once (a new object
 *  may take it), then its files are removed. Readers that have it open
 *  finish the block they are reading and get ESTALE after; its producer
 *  gets ESTALE at its next commit. ENOENT if there is no such object. */
int tess_store_delete(tess_store_t *store, const char *name,
                      tess_error_t *err);

/** Called by tess_store_foreach() with each object name; non-zero stops. */
typedef int (*tess_store_name_f)(const char *name, void *arg);

/** Call @p fn for each object of the store, in name order (entries that
 *  are not objects are skipped). Returns 0, or @p fn's non-zero value,
 *  or -1 on error. */
int tess_store_foreach(tess_store_t *store, tess_store_name_f fn, void *arg,
                       tess_error_t *err);

/** Remove what crashes left behind: files of deleted objects whose
 *  removal was interrupted, objects whose creator died before naming
 *  them, temporary files of dead writers in objects that are complete or
 *  whose producer is gone. Touches nothing else of a named object.
 *  Returns the number of entries removed, -1 on error. */
int tess_store_gc(tess_store_t *store, tess_error_t *err);

/* ------------------------------------------------------------------ */
/* Persistent objects in runs: blocks as task data                     */
/* ------------------------------------------------------------------ */

/*
 * An object of a store opened or created in a run is an array of the
 * run, of the object's whole shape (docs/store.md, "Blocks in runs"):
 * each block is the region of that array the block covers, and tasks take
 * blocks as parameters like any region (tess_block()), IN, OUT or INOUT,
 * with dependences, renaming and locality unchanged.
 *
 * - Reading (tess_persist_open): the blocks become values of the array as
 *   the run meets them, iterating (tess_blocks_next) or naming them
 *   (tess_block_get); workers read each block from its file in the store,
 *   without a copy. An object under construction is read while its
 *   producer writes it: the iteration waits for each block, and the run
 *   keeps executing the tasks submitted so far meanwhile.
 * - Writing (tess_persist_create): the program declares each block (id
 *   and box, tess_block_new) and one task writes it (OUT); the block is
 *   committed to the store when that task ends, so consumers see it at
 *   once (in situ). The run completes the object when the program says so
 *   (tess_persist_complete) or when it ends successfully; a failed run
 *   leaves it incomplete, and resuming the run continues it.
 *
 * Stores passed in are borrowed until tess_run_destroy().
 */

/** Open the object @p name of @p store for reading in @p run, waiting up
 *  to @p timeout_s seconds for its creation and, later, for each of its
 *  blocks (0: it must exist, and waits for blocks have no limit); the
 *  run's tasks keep running while it waits. Returns the run's array of
 *  the object's whole shape and element type (its blocks cannot be
 *  written), 0 on error (err: no such object, time-out, no whole shape). */
tess_data_t tess_persist_open(tess_run_t *run, tess_store_t *store,
                              const char *name, double timeout_s,
                              tess_error_t *err);

/** Create the object @p name of @p store, produced by @p run: @p spec as
 *  for tess_store_create(), with a whole shape (the run's array); its
 *  provenance names the run directory. A resumed run (tess_config_t
 *  resume) takes over the object it created before it stopped. Returns
 *  the run's array, 0 on error (EEXIST: the name is taken). */
tess_data_t tess_persist_create(tess_run_t *run, tess_store_t *store,
                                const char *name,
                                const tess_store_spec_t *spec,
                                tess_error_t *err);

/** A block of a persistent object in a run. */
typedef struct tess_block {
    tess_data_t data;               /**< the object's array in the run */
    int64_t id;                     /**< the block's id in the store */
    int rank;
    int64_t start[TESS_MAX_RANK];   /**< its box in the whole array */
    int64_t count[TESS_MAX_RANK];
} tess_block_t;

/** Declare block @p id of an object the run creates: its box (inside the
 *  object's shape, not empty, ids and boxes distinct) into @p b. One task
 *  writes it, as a whole (tess_block(TESS_OUT, b)); a second writer is
 *  refused at submission (blocks are written once). */
int tess_block_new(tess_run_t *run, tess_data_t obj, int64_t id,
                   const int64_t *start, const int64_t *count,
                   tess_block_t *b, tess_error_t *err);

/** Block @p id of object @p obj into @p b: a block the run declared or met
 *  already, or, for an object read, the block of the store, waiting for
 *  its commit (as tess_persist_open's time-out says; the run's tasks keep
 *  running). ENOENT if there is none; ETIMEDOUT; EPIPE if the producer
 *  ended without committing it. */
int tess_block_get(tess_run_t *run, tess_data_t obj, int64_t id,
                   tess_block_t *b, tess_error_t *err);

/** Block @p b as a task parameter: the region of its box, direction
 *  @p dir. */
tess_param_t tess_block(tess_dir_t dir, const tess_block_t *b);

/** An iteration over the blocks of a persistent object in a run. */
typedef struct tess_blocks tess_blocks_t;

/** Iterate over the blocks of @p obj: for an object read, every block of
 *  the object, in id order if it is complete when the run first meets it,
 *  else in the order they are committed (waiting for each, the run's
 *  tasks running meanwhile) until the producer completes it; for an
 *  object created, the blocks declared so far. Iterations of one object
 *  yield its blocks in the same order (nested loops give pairs of blocks).
 *  Caller destroys. */
tess_blocks_t *tess_blocks(tess_run_t *run, tess_data_t obj,
                           tess_error_t *err);

/** The next block into @p b: 1, 0 at the end, -1 on error (ETIMEDOUT,
 *  EPIPE: the producer ended without completing the object, ESTALE: it
 *  was deleted, EIO: the run failed while waiting). */
int tess_blocks_next(tess_blocks_t *it, tess_block_t *b, tess_error_t *err);

/** Free an iteration. Accepts NULL; preserves errno. */
void tess_blocks_destroy(tess_blocks_t *it);

/** Complete object @p obj that the run creates, now: waits until every
 *  block written so far is committed, then marks it complete (consumers'
 *  iterations end). -1 if a writer failed or the store refuses (the
 *  number of blocks announced in its spec). */
int tess_persist_complete(tess_run_t *run, tess_data_t obj,
                          tess_error_t *err);

/** Delete the object @p name of @p store once the tasks submitted so far
 *  are done (tess_barrier()), and forget it in the run if it is open
 *  there. As tess_store_delete(). */
int tess_persist_delete(tess_run_t *run, tess_store_t *store,
                        const char *name, tess_error_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_H */
