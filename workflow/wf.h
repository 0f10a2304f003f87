/*
 * wf.h - XML workflow descriptions: load, validate, expand.
 *
 * A workflow file (schemas/workflow-1.xsd, docs/workflow-format.md) declares
 * parameters, data (arrays, HDF5 input arrays, files), task definitions and a
 * body of task calls, loops and sync points.  This module turns it into a
 * stream of declarations and task calls:
 *
 *   wf_load()      read the file safely (size bound, no DTD, no network),
 *                  XSD-validate it, resolve parameters (defaults, --param
 *                  overrides), compile expressions and run every check that
 *                  needs no file system;
 *   wf_validate()  the checks that do: input files and datasets, kernel
 *                  libraries and symbols, and a dry run of the expansion
 *                  (shapes, region bounds, arithmetic, files read before any
 *                  task writes them);
 *   wf_expand()    drive a sink (an ops table) with the flattened program,
 *                  streaming: memory stays proportional to the workflow text,
 *                  not to the number of task calls.
 *
 * Errors: functions return -1/NULL with errno set (EINVAL for bad input,
 * ENOENT/EIO/ENOMEM otherwise) and fill the caller's tess_error_t with
 * "file:line:col: message", or "--param NAME: message" for overrides.
 * A wf_t is used from one thread at a time; wf_expand() is not reentrant.
 */
#ifndef TESS_WORKFLOW_WF_H
#define TESS_WORKFLOW_WF_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* The namespace of version 1 of the format (also in the XSD). */
#define WF_NAMESPACE "https://tessera.dev/schemas/workflow/1"
#define WF_SCHEMA_FILE "workflow-1.xsd"

/* Limits (bad input beyond them is rejected with a message). */
#define WF_MAX_FILE_BYTES (16u << 20) /* workflow file size */
#define WF_MAX_NAME 64                /* identifier length */
#define WF_MAX_EXPR 4096              /* expression text length */
#define WF_MAX_EXPR_DEPTH 64          /* parentheses / unary nesting */
#define WF_MAX_LOOP_DEPTH 32          /* nested foreach */
#define WF_MAX_PARAMS 64              /* parameters of one task */
#define WF_MAX_PATH 4096              /* an expanded path or string */
#define WF_MAX_STATEMENTS 1000000     /* elements of one workflow */
#define WF_MAX_IMPLS 16               /* implementations of one task */
#define WF_MAX_CPUS 1048576           /* cpus constraint of one task */
#define WF_MAX_MEMORY_MB (1LL << 40)  /* memory constraint of one task (MiB) */

typedef struct wf wf_t;

/* Place in the workflow file: 1-based line and column (bytes). */
typedef struct wf_loc {
    uint32_t line;
    uint32_t col;
} wf_loc_t;

/* One --param NAME=VALUE. Strings are borrowed for the call. */
typedef struct wf_param_override {
    const char *name;
    const char *value;
} wf_param_override_t;

/* Parse "NAME=VALUE" (as given to --param) into @p ov, pointing into @p arg
 * (which is modified: '=' becomes '\0'). -1/EINVAL with @p err filled. */
int wf_param_override_parse(char *arg, wf_param_override_t *ov,
                            tess_error_t *err);

/* Load options; zero-initialise, then override. */
typedef struct wf_load_opts {
    const char *schema_dir; /* NULL: $TESS_SCHEMA_DIR, then TESS_SCHEMADIR */
    size_t max_bytes;       /* 0: WF_MAX_FILE_BYTES */
} wf_load_opts_t;

/* Load workflow @p path with the default options. Caller destroys. */
wf_t *wf_load(const char *path, const wf_param_override_t *overrides,
              size_t noverrides, tess_error_t *err);

/* Load from @p path, or, if @p buf is not NULL, from @p len bytes of @p buf
 * named @p path in messages (relative paths then resolve against the
 * current directory). @p opts may be NULL. Caller destroys. */
wf_t *wf_load2(const char *path, const char *buf, size_t len,
               const wf_param_override_t *overrides, size_t noverrides,
               const wf_load_opts_t *opts, tess_error_t *err);

/* Free @p wf. Accepts NULL; preserves errno. */
void wf_destroy(wf_t *wf);

/* Where kernel libraries are searched: a ':'-separated list of directories
 * (copied), tried before $TESS_KERNEL_PATH, the workflow's directory and
 * TESS_PKGLIBDIR. A kernel "lib:symbol" whose lib contains '/' is a path
 * (relative to the workflow's directory); otherwise lib.so is searched. */
int wf_set_kernel_path(wf_t *wf, const char *dirs);

/* Directory against which relative <file> paths resolve (copied). Default:
 * paths are passed to the sink as written. */
int wf_set_run_dir(wf_t *wf, const char *dir);

/* The store of the workflow's persistent objects (copied; NULL: the
 * default, $TESSERA_STORE, else ~/.tessera/store). A store given here or
 * by $TESSERA_STORE is checked by WF_CHECK_STORE: objects to read must
 * exist (unless they may be waited for) with the declared element type and
 * shape, and the dry run walks their blocks. -1/ENOMEM. */
int wf_set_store(wf_t *wf, const char *dir);

/* Whether binding the dims of an object read (dims=, WF_CHECK_INPUTS)
 * waits for its creation up to its wait= seconds (1: as a run does), or
 * fails at once if it is not there (0, the default: validation). */
int wf_set_wait_objects(wf_t *wf, int wait);

/* Stop expansions (and dry runs) after @p max_steps statements and loop
 * iterations with E2BIG and a message; 0: no limit (the default). */
int wf_set_expand_limit(wf_t *wf, uint64_t max_steps);

/* The workers a run will have, for WF_CHECK_RESOURCES: @p archs is a
 * ','-separated list of their architectures (as tess_run_archs(): "default"
 * for workers that declare none; copied; NULL: unknown, no architecture
 * check), @p max_cpus the largest slot count of one worker (0: unknown, no
 * cpus check). -1/EINVAL if max_cpus < 0, ENOMEM. */
int wf_set_resources(wf_t *wf, const char *archs, int max_cpus);

/* The most memory (MiB) a worker offers (0: unknown, no check); call with
 * wf_set_resources(). -1/EINVAL if negative. */
int wf_set_max_memory(wf_t *wf, int64_t max_memory_mb);

/* wf_validate() flags. */
#define WF_CHECK_INPUTS 0x1u  /* open HDF5 inputs, check type/rank, bind dims */
#define WF_CHECK_KERNELS 0x2u /* dlopen kernel libraries (of the tasks and
                                 their implementations), find symbols */
#define WF_CHECK_EXPAND 0x4u  /* dry-run the expansion (implies INPUTS) */
#define WF_CHECK_RESOURCES 0x8u /* every task's constraints can be met by
                                   the workers of wf_set_resources() (no-op
                                   if it was not called); cpus that depend
                                   on call arguments: with WF_CHECK_EXPAND */
#define WF_CHECK_STORE 0x10u /* object names; with a store given
                                   (wf_set_store(), $TESSERA_STORE): the
                                   objects read exist, of the declared
                                   type and shape */
#define WF_CHECK_ALL 0x1fu

/* Run the checks selected by @p flags. Returns 0, or -1 with @p err filled
 * (errno EINVAL for a problem of the workflow or its inputs). */
int wf_validate(wf_t *wf, unsigned flags, tess_error_t *err);

/* ------------------------------------------------------------------ */
/* Expansion                                                           */
/* ------------------------------------------------------------------ */

/* An array to declare. Borrowed for the callback. */
typedef struct wf_array_decl {
    const char *name;
    tess_type_t type;
    int rank;
    const int64_t *shape;
    const char *source_file;    /* input arrays: HDF5 file (absolute path) */
    const char *source_dataset; /* ... and dataset */
    int zero;                   /* init="zero": starts as zeros; otherwise
                                   (and not an input) it has no initial
                                   value: reading it before a task wrote it
                                   is an error */
    int local;                  /* declared in a loop body (one per iteration) */
    wf_loc_t loc;
} wf_array_decl_t;

/* A file to declare (once per distinct path). Borrowed for the callback. */
typedef struct wf_file_decl {
    const char *name; /* the name it was first declared or used under */
    const char *path;
    wf_loc_t loc;
} wf_file_decl_t;

/* A persistent object to open or create (<persistent>). Borrowed for the
 * callback. */
typedef struct wf_object_decl {
    const char *name;     /* the data's name in the workflow */
    const char *object;   /* the object's name in the store */
    int create;           /* 1: the run creates it; 0: reads it */
    tess_type_t type;
    int rank;
    const int64_t *shape; /* its whole shape */
    int64_t nblocks;      /* create: blocks announced, 0: not said */
    double wait;          /* read: seconds to wait for it and each block */
    wf_loc_t loc;
} wf_object_decl_t;

/* One task call. Borrowed for the callback (string values included). */
typedef struct wf_task_call {
    const char *task;       /* name of the task definition */
    const char *kernel;     /* "lib:symbol" as written */
    const char *kernel_lib; /* resolved library path, NULL if not resolved */
    const char *kernel_symbol;
    unsigned flags;         /* TESS_PRIORITY */
    const char *arch;       /* <constraints arch>: only on workers of this
                               architecture; NULL: any */
    int cpus;               /* slots the call occupies (>= 1) */
    int64_t memory_mb;      /* memory it needs (MiB), 0: no constraint */
    tess_on_failure_t on_failure; /* <on-failure policy> */
    int retries;
    double timeout;         /* seconds, 0: none */
    tess_isolation_t isolation;
    int nimpls;             /* <implementation>s, in document order */
    const tess_impl_t *impls; /* kernel "lib:symbol" per architecture */
    int nparams;
    const tess_param_t *params;
    const char *const *param_names; /* names of the task definition */
    uint64_t seq;                   /* 1, 2, ... in program order */
    wf_loc_t loc;
} wf_task_call_t;

/* The consumer of an expansion. Each op returns 0, or -1 with @p err filled
 * to stop the expansion. NULL ops are skipped (NULL declare ops hand out
 * handles 1, 2, ...). */
typedef struct wf_sink_ops {
    int (*declare_array)(void *ctx, const wf_array_decl_t *decl,
                         tess_data_t *out, tess_error_t *err);
    int (*declare_file)(void *ctx, const wf_file_decl_t *decl,
                        tess_data_t *out, tess_error_t *err);
    int (*task)(void *ctx, const wf_task_call_t *call, tess_error_t *err);
    int (*barrier)(void *ctx, tess_error_t *err);
    int (*wait)(void *ctx, tess_data_t data, const char *name, int is_file,
                tess_error_t *err);
    int (*delete_data)(void *ctx, tess_data_t data, tess_error_t *err);
    /* Persistent objects (NULL ops: a dry run). declare_object: the
     * object's array. block: the box of block @p id of @p obj into
     * @p start/@p count: declared with the box @p dstart/@p dcount (not
     * NULL: an object created), else the block the run knows or waits
     * for. Iterations: blocks_begin gives an iteration, blocks_next the
     * next id (1, 0 at the end, -1), blocks_end frees it. */
    int (*declare_object)(void *ctx, const wf_object_decl_t *decl,
                          tess_data_t *out, tess_error_t *err);
    int (*block)(void *ctx, tess_data_t obj, int64_t id,
                 const int64_t *dstart, const int64_t *dcount,
                 int64_t *start, int64_t *count, tess_error_t *err);
    int (*blocks_begin)(void *ctx, tess_data_t obj, void **it,
                        tess_error_t *err);
    int (*blocks_next)(void *ctx, void *it, int64_t *id, tess_error_t *err);
    void (*blocks_end)(void *ctx, void *it);
    int (*complete)(void *ctx, tess_data_t obj, tess_error_t *err);
    int (*delete_object)(void *ctx, const char *object, tess_error_t *err);
} wf_sink_ops_t;

/* Expand @p wf into @p ops/@p ctx, in program order. Binds the inputs
 * (WF_CHECK_INPUTS) first if wf_validate() has not. Returns 0, or -1 with
 * @p err "file:line:col: message (in iteration i=.., j=..)". */
int wf_expand(wf_t *wf, const wf_sink_ops_t *ops, void *ctx,
              tess_error_t *err);

/* ------------------------------------------------------------------ */
/* Accessors (strings borrowed until wf_destroy())                     */
/* ------------------------------------------------------------------ */

const char *wf_name(const wf_t *wf);

/* Task calls of the last expansion or dry run (WF_CHECK_EXPAND): how many
 * tasks a run of the workflow submits. 0 before either, and when the dry
 * run could not know (loops over blocks of objects not in the store). */
uint64_t wf_call_count(const wf_t *wf);
const char *wf_path(const wf_t *wf);

/* Parameters in declaration order, with their final values as text
 * (for provenance). Returns -1/ERANGE past the end. */
size_t wf_param_count(const wf_t *wf);
int wf_param_get(const wf_t *wf, size_t i, const char **name,
                 const char **type, const char **value);

/* "name=value name=value" of the parameters into @p buf (@p len bytes,
 * cut if longer), for provenance. */
void wf_params_text(const wf_t *wf, char *buf, size_t len);

/* Results to collect: data name and dataset name in the result file. */
size_t wf_result_count(const wf_t *wf);
int wf_result_get(const wf_t *wf, size_t i, const char **data_name,
                  const char **dataset);
/* Handle of result @p i given by the sink in the last wf_expand(); 0 before. */
tess_data_t wf_result_data(const wf_t *wf, size_t i);

/* Input files (after WF_CHECK_INPUTS): the input's name and its file's
 * absolute path into path. -1/ERANGE past the end or before binding. */
size_t wf_input_count(const wf_t *wf);
int wf_input_get(const wf_t *wf, size_t i, const char **name, char *path,
                 size_t len);

/* Kernel libraries used by the task definitions: "lib" as written and the
 * resolved path (NULL until WF_CHECK_KERNELS succeeded). */
size_t wf_kernel_lib_count(const wf_t *wf);
int wf_kernel_lib_get(const wf_t *wf, size_t i, const char **lib,
                      const char **path);

/* One kernel of a task definition (the task's own or an implementation's).
 * Strings borrowed until wf_destroy(). */
typedef struct wf_kernel_info {
    const char *task;   /* the task definition's name */
    const char *arch;   /* the implementation's architecture; NULL: the
                           task's own kernel */
    const char *kernel; /* "lib:symbol" as written */
    const char *symbol;
    const char *path;   /* the library's file, NULL until WF_CHECK_KERNELS
                           succeeded */
    wf_loc_t loc;
} wf_kernel_info_t;

/* Kernels in document order: each task's own, then its implementations'.
 * wf_kernel_get() returns -1/ERANGE past the end. */
size_t wf_kernel_count(const wf_t *wf);
int wf_kernel_get(const wf_t *wf, size_t i, wf_kernel_info_t *out);

/* ------------------------------------------------------------------ */
/* The sink bound to the run API (workflow/wf_run.c)                     */
/* ------------------------------------------------------------------ */

typedef struct wf_run_sink wf_run_sink_t;

/* A sink that declares data and submits tasks on @p run with
 * tess_submit2() (constraints and implementations): kernels, the tasks' and
 * their implementations', are registered with tess_register_kernel() under
 * "lib:symbol" from the libraries wf_validate(WF_CHECK_KERNELS) resolved
 * (kept open until wf_run_sink_destroy()); input arrays are read from their
 * HDF5 files.
 * @p run and @p wf are borrowed. Caller destroys. */
wf_run_sink_t *wf_run_sink_create(tess_run_t *run, wf_t *wf,
                                  tess_error_t *err);
void wf_run_sink_destroy(wf_run_sink_t *sink);
const wf_sink_ops_t *wf_run_sink_ops(void);

#endif /* TESS_WORKFLOW_WF_H */
