/*
 * test_property - the sequential-semantics promise, checked on random
 * programs: a program of random tasks over random regions of a few arrays,
 * run by the thread executor with 1 and 4 threads, leaves bitwise the same
 * arrays as running its tasks one by one in program order on plain memory.
 *
 * Deterministic: program p uses seed p. Several hundred programs, each a
 * few hundred tasks, arrays of rank 1..4, directions IN/OUT/INOUT, regions
 * that overlap, nest, or cover the whole array, interleaved waits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/test/cunit_main.h"
#include "runtime/test/randprog.h"
#include "tessera.h"

#define NPROGRAMS 300
#define NTASKS 200

static int run_program(int prog, int threads)
{
    tess_config_t cfg;
    tess_error_t err;
    tess_config_init(&cfg);
    cfg.nthreads = threads;
    cfg.max_in_flight = prog % 3 == 0 ? 8 : 1u << 16; /* throttling too */
    tess_run_t *run = tess_run_create(&cfg, &err);
    if (!run)
        return 1;
    tess_register_kernel(run, "mix", randprog_mix);
    int bad = randprog_run(run, (unsigned)prog, NTASKS) != 0;
    if (tess_run_destroy(run, &err) < 0)
        bad = 1;
    if (bad)
        fprintf(stderr, "program %d failed with %d threads\n", prog, threads);
    return bad;
}

static void test_sequential_semantics_1_thread(void)
{
    int bad = 0;
    for (int p = 0; p < NPROGRAMS; p++)
        bad += run_program(p, 1);
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_sequential_semantics_4_threads(void)
{
    int bad = 0;
    for (int p = 0; p < NPROGRAMS; p++)
        bad += run_program(p, 4);
    CU_ASSERT_EQUAL(bad, 0);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("property", NULL, NULL);
    if (!s)
        return -1;
    CU_add_test(s, "random programs, 1 thread = sequential",
                test_sequential_semantics_1_thread);
    CU_add_test(s, "random programs, 4 threads = sequential",
                test_sequential_semantics_4_threads);
    return 0;
}
