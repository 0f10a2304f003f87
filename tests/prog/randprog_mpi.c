/*
 * randprog_mpi - the sequential-semantics check on MPI worker ranks:
 *   mpirun -np K randprog_mpi FIRST_SEED NPROGRAMS NTASKS
 * runs random programs (runtime/test/randprog.h) on one run and exits 0 iff
 * every array equals the sequential replay.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "runtime/test/randprog.h"
#include "tessera.h"

struct opts {
    unsigned first;
    int n, ntasks;
};

static int app(tess_run_t *run, int argc, char **argv, void *arg)
{
    (void)argc;
    (void)argv;
    const struct opts *o = arg;
    int bad = 0;
    for (int p = 0; p < o->n; p++)
        if (randprog_run(run, o->first + (unsigned)p, o->ntasks) != 0)
            bad++;
    printf("randprog_mpi: %d programs, %d failed\n", o->n, bad);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    static const tess_kernel_def_t kernels[] = {{"mix", randprog_mix},
                                                {NULL, NULL}};
    struct opts o = {0, 20, 200};
    if (argc > 1)
        o.first = (unsigned)strtoul(argv[1], NULL, 10);
    if (argc > 2)
        o.n = atoi(argv[2]);
    if (argc > 3)
        o.ntasks = atoi(argv[3]);
    tess_config_t cfg;
    tess_config_init(&cfg);
    cfg.nthreads = 2;
    cfg.inline_max = (argc > 4) ? (size_t)atol(argv[4]) : 0;
    return tess_mpi_main(&argc, &argv, kernels, &cfg, app, &o);
}
