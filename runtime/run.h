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

/* Dispatch ready tasks and collect finished ones; with block, sleep until
 * at least one task finishes (if any is in flight). */
int run_progress(tess_run_t *run, int block);

/* The run's registry (to add search directories, register kernels). */
kreg_t *run_kernels(tess_run_t *run);

#endif
