/*
 * run.h - the run object behind tessera.h (struct tess_run).
 *
 * A run ties together the dag (analysis), the kernel registry, one executor
 * and the optional graph export. It is driven by the thread that calls the
 * tessera.h API: that thread submits, dispatches ready tasks and collects
 * finished ones (run_progress), so no lock guards the dag.
 */
#ifndef TESS_RUNTIME_RUN_H
#define TESS_RUNTIME_RUN_H

#include "engine/dag.h"
#include "runtime/exec.h"
#include "kernels/kreg.h"
#include "tessera.h"

/* Makes the executor of a new run (the run's kernels and directories are
 * set up when it is called). */
typedef exec_t *(*run_exec_f)(void *arg, tess_run_t *run, tess_error_t *err);

/* tess_run_create() with another executor. */
tess_run_t *run_create(const tess_config_t *cfg, run_exec_f make_exec,
                       void *arg, tess_error_t *err);

/* The run directory (NULL if none), the file-versions directory. */
const char *run_dir(const tess_run_t *run);
const char *run_workdir(const tess_run_t *run);
exec_t *run_exec(tess_run_t *run);
dag_t *run_dag(tess_run_t *run);

/* The run's persistent objects (runtime/persist.c), made on first use. */
struct persist;
struct persist **run_persist(tess_run_t *run);

/* 1 if the run continues an earlier one (tess_config_t.resume or
 * TESS_RESUME=1). */
int run_resuming(const tess_run_t *run);

/* Dispatch ready tasks and collect finished ones; with block, sleep until
 * at least one task finishes (if any is in flight). */
int run_progress(tess_run_t *run, int block);

/* The completion callback executors report to (exec_done_f). */
void run_on_done(void *ctx, dag_task_t *t, const exec_result_t *r);

/* 1 if the run failed: a task failed (not ignored), tasks were cancelled
 * or not run, or it was stopped. */
int run_failed(const tess_run_t *run);

/* The run's state word for status.txt: running, failed, cancelled,
 * stopped-wall-time (completed is the caller's to say). */
const char *run_state(const tess_run_t *run);

/* tess_write_results() with the kernel libraries that ran (text: "lib path
 * sha256" lines, NULL: none) in the file's provenance. */
int run_write_results(tess_run_t *run, const char *path, int n,
                      const tess_data_t *data, const char *workflow,
                      const char *params, const char *kernels,
                      tess_error_t *err);

/* The name in the record (workflow or program), and how many tasks the
 * program will submit (-1: unknown), for progress reports. */
/* Wait for every task, then give every file its last version (the
 * user's path). A run is completed only after this: one killed before
 * resumes and publishes them. -1 with err. */
int run_publish_files(tess_run_t *run, tess_error_t *err);

void run_set_name(tess_run_t *run, const char *name);
void run_set_total(tess_run_t *run, int64_t total);

/* The program's exit status, before tess_run_destroy(): a run whose
 * program fails (a submission refused) is not recorded as completed. */
void run_set_exit(tess_run_t *run, int status);

/* Write RUN_DIR/status.txt now: state, exit_status (-1 while running) and
 * message, with the run's counts and workers. A status with an exit status
 * is final: tess_run_destroy() then does not write its own. No-op without
 * a run directory. -1 if the file could not be written. */
int run_write_status(tess_run_t *run, const char *state, int exit_status,
                     const char *message);

/* The run's registry (to add search directories, register kernels). */
kreg_t *run_kernels(tess_run_t *run);

#endif
