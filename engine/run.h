/*
 * run.h - the run object behind tessera.h (struct tess_run).
 *
 * A run ties together the dag (analysis), the kernel registry, one executor
 * and the optional graph export. It is driven by the thread that calls the
 * tessera.h API: that thread submits, dispatches ready tasks and collects
 * finished ones (run_progress), so no lock guards the dag.
 */
#ifndef TESS_ENGINE_RUN_H
#define TESS_ENGINE_RUN_H

#include "engine/dag.h"
#include "engine/exec.h"
#include "engine/kernels.h"
#include "tessera.h"

/* Dispatch ready tasks and collect finished ones; with block, sleep until
 * at least one task finishes (if any is in flight). */
int run_progress(tess_run_t *run, int block);

/* The run's registry (to add search directories, register kernels). */
kreg_t *run_kernels(tess_run_t *run);

#endif
