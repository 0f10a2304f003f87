/*
 * randprog.h - random task programs for the sequential-semantics checks.
 *
 * A program is a seed: it declares a few arrays of rank 1..4 with random
 * contents and submits random tasks of kernel "mix" over random regions
 * with random directions, while replaying every task on plain memory in
 * program order. Any executor (threads, MPI ranks) must leave bitwise the
 * arrays of that sequential replay.
 */
#ifndef TESS_TEST_RANDPROG_H
#define TESS_TEST_RANDPROG_H

#include "tessera.h"

/* The kernel every program uses; register it as "mix". */
int randprog_mix(const tess_args_t *a);

/* Run program `seed` of `ntasks` tasks on run (which has "mix"), waiting
 * on every array now and then during the submission and at the end;
 * returns the number of those waits that found an array differing from the
 * sequential replay (0: pass), or -1 if a submission or wait failed.
 * Messages go to stderr. */
int randprog_run(tess_run_t *run, unsigned seed, int ntasks);

#endif
