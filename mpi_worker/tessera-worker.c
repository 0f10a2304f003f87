/*
 * tessera-worker - the MPI worker program (one build per architecture).
 *
 * Started on ranks > 0 of an MPI job whose rank 0 is an engine (the
 * `tessera` command, or any program using the MPI executor), MPMD style:
 *   mpirun -np 1 tessera run ... : -np 4 tessera-worker --kernel-path DIR
 * Kernels are named "library:symbol" and loaded with dlopen from the kernel
 * path (--kernel-path, TESS_KERNEL_PATH).
 */
#include "config.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_worker/worker.h"

static void usage(FILE *f)
{
    fputs("usage: tessera-worker [--slots N] [--arch NAME] [--cache-mb N]\n"
          "                      [--kernel-path DIR[:DIR...]]\n"
          "Serves tasks for the engine at rank 0 of this MPI job.\n", f);
}

int main(int argc, char **argv)
{
    worker_opts_t o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--slots") == 0 && v) {
            o.slots = atoi(v);
            i++;
        } else if (strcmp(a, "--arch") == 0 && v) {
            o.arch = v;
            i++;
        } else if (strcmp(a, "--cache-mb") == 0 && v) {
            o.cache_bytes = (size_t)strtoull(v, NULL, 10) << 20;
            i++;
        } else if (strcmp(a, "--kernel-path") == 0 && v) {
            o.kernel_path = v;
            i++;
        } else {
            fprintf(stderr, "tessera-worker: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        fprintf(stderr, "tessera-worker: cannot initialise MPI\n");
        return 2;
    }
    int rc = worker_main(MPI_COMM_WORLD, &o);
    MPI_Finalize();
    return rc;
}
