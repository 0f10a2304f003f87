/*
 * worker_main.c - how every program that serves as a worker starts one:
 * `tessera run` on ranks > 0, tessera-worker, tess_mpi_main on ranks > 0.
 * One place decides the architecture, the kernel search path, the cache
 * size and how a failure is reported.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernels/kreg.h"
#include "mpi_worker/worker.h"

int worker_main(MPI_Comm comm, const worker_opts_t *o)
{
    tess_error_t err;
    worker_config_t wc = {.slots = o->slots, .cache_bytes = o->cache_bytes,
                          .arch = o->arch};
    const char *env;
    if (!wc.arch || !*wc.arch)
        wc.arch = getenv("TESS_ARCH");
#ifdef TESS_BUILD_ARCH
    if (!wc.arch || !*wc.arch)
        wc.arch = TESS_BUILD_ARCH; /* an --enable-arch-builds variant */
#endif
    if (!wc.cache_bytes && (env = getenv("TESS_CACHE_MB")) && *env)
        wc.cache_bytes = (size_t)strtoull(env, NULL, 10) << 20;

    int rank = 0, rc = 0;
    MPI_Comm_rank(comm, &rank);
    kreg_t *k = kreg_create();
    if (!k) {
        tess_errprintf(&err, "out of memory");
        rc = -1;
    }
    for (const tess_kernel_def_t *d = o->kernels; rc == 0 && d && d->name; d++)
        if (kreg_register(k, d->name, d->fn) < 0)
            rc = tess_errprintf(&err, "kernel '%s': cannot register", d->name);
    if (rc == 0 && (kreg_add_path(k, o->kernel_path) < 0 ||
                    kreg_add_path(k, getenv("TESS_KERNEL_PATH")) < 0))
        rc = tess_errprintf(&err, "out of memory");
    if (rc == 0)
        rc = worker_serve(comm, 0, k, &wc, &err);
    if (rc < 0) {
        char host[256] = "?";
        gethostname(host, sizeof(host));
        fprintf(stderr, "tessera worker rank %d on %s: %s\n", rank, host,
                err.text);
    }
    kreg_destroy(k);
    return rc < 0 ? 1 : 0;
}
