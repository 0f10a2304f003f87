/*
 * dag.h - dependence analysis: data, versions, tasks and the task graph.
 *
 * The dag receives task submissions in program order and keeps, for every
 * array or file, which version holds each element (an rmap of versions).
 * A read of a region depends on the writers of exactly the versions that
 * cover it (read-after-write edges). Writes never wait for earlier readers
 * or writers: each write creates a new version (renaming), so write-after-
 * read and write-after-write create no edges.
 *
 * Lifetimes: a version is reference counted (map pieces, tasks reading it,
 * the task writing it); at zero the free hook runs and its record returns
 * to a pool. A task record lives from submission to completion only, so the
 * memory held is bounded by the tasks in flight, not by those ever submitted.
 *
 * Not thread-safe: one engine thread owns a dag. Executors report
 * completions to that thread (see exec.h).
 */
#ifndef TESS_ENGINE_DAG_H
#define TESS_ENGINE_DAG_H

#include <stdint.h>
#include <stdio.h>

#include "engine/region.h"
#include "tessera.h"

typedef struct dag dag_t;
typedef struct dag_data dag_data_t;
typedef struct dag_version dag_version_t;
typedef struct dag_task dag_task_t;

enum dag_data_kind { DAG_ARRAY = 1, DAG_FILE = 2 };

struct dag_data {
    dag_t *dag;
    uint64_t id;
    enum dag_data_kind kind;
    tess_type_t type;
    int rank;                     /* 0 for files */
    int64_t shape[TESS_MAX_RANK];
    char *name;                   /* array name or file path (owned) */
    struct rmap *map;             /* current versions; NULL once deleted */
    uint32_t next_version;
    uint32_t refs;                /* versions alive + 1 while not deleted */
    void *payload;                /* executor-private, per data */
    uint64_t init_ident;          /* the first value's identity (content
                                     hash of an array, size and mtime of a
                                     file), set by the runtime for resume */
};

enum dag_version_state { DAG_V_PENDING = 0, DAG_V_DONE = 1, DAG_V_FAILED = 2 };

struct dag_version {
    dag_data_t *data;
    dag_task_t *writer;           /* while pending; NULL afterwards */
    uint64_t writer_id;           /* task that wrote it, 0: initial value */
    void *payload;                /* executor-private (buffer, file path) */
    uint32_t number;              /* 0: the initial value */
    uint32_t refs;
    uint8_t state;
    uint8_t undefined;            /* version 0 of an array without an
                                     initial value: reading it is an error */
    int64_t box[];                /* start[rank], count[rank]: the elements
                                     this version wrote (compact: records
                                     are sized by the data's rank) */
};

enum dag_task_state {
    DAG_T_WAITING = 0, /* has unfinished predecessors */
    DAG_T_READY = 1,   /* in the ready queue */
    DAG_T_RUNNING = 2, /* handed to an executor */
};

/* Boxes are stored compactly as start[rank] followed by count[rank]
 * int64s; box_get() expands one into a region_t. */
static inline void box_get(int rank, const int64_t *box, region_t *r)
{
    r->rank = rank;
    for (int d = 0; d < rank; d++) {
        r->start[d] = box[d];
        r->count[d] = box[rank + d];
    }
}

/* One piece a task reads: the elements `box` of version `v`. */
typedef struct dag_src {
    dag_version_t *v;
    int64_t *box;
} dag_src_t;

/* One parameter of a task, as analysed. All pointers point into the task's
 * parameter block (one allocation per task). */
typedef struct dag_param {
    uint8_t kind;                /* tess_param_kind_t */
    uint8_t dir;                 /* tess_dir_t */
    uint8_t rank;                /* rank of data (0: file or scalar) */
    uint32_t nsrc;               /* pieces read, IN/INOUT */
    dag_data_t *data;            /* TESS_P_DATA */
    int64_t *box;                /* accessed elements (the whole data if
                                    the call named no region) */
    dag_version_t *out;          /* version written, OUT/INOUT */
    dag_src_t *src;
    union {
        int64_t i;
        double d;
        char *s;                 /* owned copy */
    } value;
} dag_param_t;

struct dag_task {
    uint64_t id;                 /* submission order, from 1 */
    uint32_t kernel;             /* kernel registry index */
    uint32_t npending;           /* unfinished predecessors */
    uint32_t nsucc, succ_cap;
    uint16_t nparams;
    uint8_t state;
    uint8_t flags;               /* TESS_PRIORITY, DAG_TASK_DOOMED */
    dag_task_t **succ;
    dag_param_t *params;
    size_t params_bytes;
    dag_task_t *next;            /* ready-queue link */
    void *exec;                  /* executor-private */
    const struct kclass *kclass; /* constraints/implementations, NULL: none
                                    (set by the run after dag_submit) */
    uint64_t submit_ns, ready_ns; /* CLOCK_REALTIME, for the trace */
    int32_t avoid;               /* 1 + the worker a retry should avoid,
                                    0: none */
    uint8_t attempt;             /* 1, 2, ...: runs so far (retries) */
};

#define DAG_TASK_DOOMED 0x80u /* an input failed: complete without running */

/* Hooks from the dag to the layers around it; any may be NULL. */
typedef struct dag_hooks {
    void *ctx;
    /* A version's last reference went: free its payload. */
    void (*version_free)(void *ctx, dag_version_t *v);
    /* A data object's last version went (after dag_delete). */
    void (*data_free)(void *ctx, dag_data_t *d);
    /* Graph tracing (dot export): a task was submitted; it reads a version
     * another task wrote (traced whether or not that task has finished, so
     * the graph does not depend on timing). */
    void (*trace_task)(void *ctx, const dag_task_t *t);
    void (*trace_edge)(void *ctx, uint64_t from, const dag_task_t *to,
                       const dag_version_t *v);
} dag_hooks_t;

dag_t *dag_create(const dag_hooks_t *hooks);
/* Frees all records, running the hooks for versions and data still alive.
 * Tasks still in the graph are dropped. Accepts NULL. */
void dag_destroy(dag_t *dag);

/* Declare an array; its version 0 (complete, whole array) is returned in
 * *v0 (borrowed) so the caller can attach the initial payload. */
dag_data_t *dag_array(dag_t *dag, const char *name, tess_type_t type,
                      int rank, const int64_t *shape, dag_version_t **v0,
                      tess_error_t *err);
dag_data_t *dag_file(dag_t *dag, const char *path, dag_version_t **v0,
                     tess_error_t *err);
/* Data by handle; NULL if never declared or deleted. */
dag_data_t *dag_data_get(const dag_t *dag, uint64_t id);
/* Highest handle given out so far (handles are 1..count). */
uint64_t dag_data_count(const dag_t *dag);

/* Analyse a task and add it to the graph; ready tasks enter the ready
 * queue (priority tasks first). Parameters are validated (data exists,
 * regions in bounds, directions); on error nothing is added and err says
 * which parameter is wrong. */
dag_task_t *dag_submit(dag_t *dag, uint32_t kernel, const char *kernel_name,
                       unsigned flags, int nparams, const tess_param_t *params,
                       tess_error_t *err);

/* Next ready task (state becomes RUNNING), or NULL. */
dag_task_t *dag_pop_ready(dag_t *dag);

/* A RUNNING task goes back to the ready queue, as it is (a retry). */
void dag_requeue(dag_t *dag, dag_task_t *task);

/* CLOCK_REALTIME in nanoseconds (the trace's clock). */
uint64_t dag_now_ns(void);

/* A running task finished (ok != 0: success). Its versions become done or
 * failed, successors whose last predecessor this was become ready (doomed
 * if this one failed), and the task record is freed. */
void dag_complete(dag_t *dag, dag_task_t *task, int ok);

/* A value of the elements @p box of array @p d that no task of this graph
 * writes (a block of a persistent object, already complete): a new DONE
 * version without a writer, held by the caller (one reference) and not yet
 * in the region map, so the caller can attach its payload first. Then
 * dag_put_commit() makes it the current value of @p box (tasks submitted
 * later read it; earlier ones are not affected: renaming), or
 * dag_version_release() drops it. NULL with err (EINVAL: not an array,
 * deleted, @p box outside it or empty; ENOMEM). */
dag_version_t *dag_put(dag_t *dag, dag_data_t *d, const region_t *box,
                       tess_error_t *err);
/* Write version @p v of dag_put() into its data's region map and drop the
 * caller's reference. -1/ENOMEM (v is then released). */
int dag_put_commit(dag_t *dag, dag_version_t *v);

/* Visit the pieces of the current value of data over region r (NULL: all). */
typedef int (*dag_piece_f)(void *ctx, dag_version_t *v, const region_t *piece);
int dag_current(const dag_t *dag, dag_data_t *d, const region_t *r,
                dag_piece_f visit, void *ctx);

/* Forget data: its versions go once no task needs them. */
int dag_delete(dag_t *dag, dag_data_t *d);

/* Take/drop a reference to a version (executors pinning a version). */
void dag_version_retain(dag_version_t *v);
void dag_version_release(dag_t *dag, dag_version_t *v);

typedef struct dag_stats {
    uint64_t submitted, completed, edges, versions;
    uint64_t live_tasks, peak_live_tasks, live_versions, ready;
    size_t bytes;
} dag_stats_t;

void dag_get_stats(const dag_t *dag, dag_stats_t *st);

#endif
