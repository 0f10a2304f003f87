/*
 * cc_store.c - tessera-cc-store: application 2 of the persistent neurons
 * analysis as a C program (the workflow is cc_store.xml; docs/store.md,
 * "The persistent neurons analysis").
 *
 *   mpirun -np K tessera-cc-store NEURON_DATA CORRELATION [--store DIR]
 *          [--block-size BS] [--wait S] [--run-dir DIR] [--maxlag M]
 *          [--num-surrs S] [--seed X] [--delta D]
 *
 * The seed's loop over the blocks of NeuronData, in C:
 *
 *   for block_i in nd.spikes.keys():
 *       for block_j in nd.spikes.keys():
 *           cc_surrogate_range(block_i, block_j, nd, correlation, seed, ...)
 *           seed = seed + delta
 *
 * one task per pair of blocks (block_j >= block_i), block id
 * block_i * nb + block_j of Correlation (nb = N / BS rounded up, BS the
 * block size NeuronData was loaded with), seeded seed + id * delta. It
 * waits up to --wait seconds (default 600) for NeuronData and each of its
 * blocks, working on them as they are committed. Rank 0 runs this
 * program, the other ranks are workers.
 * Exit: 0 done; 1 a task or the run failed; 2 bad usage or input (an
 * object missing or of the wrong kind, Correlation existing already).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/neurons/kernels.h"
#include "examples/neurons/neurons.h"
#include "examples/neurons/opts.h"
#include "tessera.h"

#define PROG "tessera-cc-store"

typedef struct app {
    neurons_opts_t o;      /* in: NeuronData's name, out: Correlation's */
    const char *store_dir; /* --store, NULL: the default store */
    int64_t block_size;
    double wait;
    tess_store_t *store;   /* open until the run is destroyed */
} app_t;

/* Exit status of a refusal of the store: 2 when it is the user's input. */
static int status_of(int e)
{
    return e == ENOENT || e == EEXIST || e == EINVAL || e == EPROTO ? 2 : 1;
}

static int analysis(tess_run_t *run, int argc, char **argv, void *arg)
{
    app_t *a = arg;
    tess_error_t err;
    char params[512];
    (void)argc;
    (void)argv;

    tess_data_t nd = tess_persist_open(run, a->store, a->o.in, a->wait, &err);
    if (!nd) {
        fprintf(stderr, PROG ": %s\n", err.text);
        return status_of(errno);
    }
    int64_t shape[TESS_MAX_RANK];
    tess_type_t type;
    if (tess_array_shape(run, nd, shape, &type) != 2 || type != TESS_U8) {
        fprintf(stderr, PROG ": object %s is not a 2-D u8 array (neurons x "
                "bins)\n", a->o.in);
        return 2;
    }
    int64_t n = shape[0], bins = shape[1], L = 2 * a->o.maxlag + 1;
    if (neurons_check_params(n, bins, a->o.maxlag, a->o.num_surrs, &err) < 0) {
        fprintf(stderr, PROG ": %s: %s\n", a->o.in, err.text);
        return 2;
    }
    int64_t nb = (n + a->block_size - 1) / a->block_size;
    int64_t cshape[4] = {n, n, NEURONS_CC_CHANNELS, L};
    snprintf(params, sizeof(params),
             "neuron_data=%s correlation=%s block_size=%" PRId64
             " maxlag=%" PRId64 " num_surrs=%" PRId64 " seed=%" PRId64
             " delta=%" PRId64, a->o.in, a->o.out, a->block_size,
             a->o.maxlag, a->o.num_surrs, a->o.seed, a->o.delta);
    tess_store_spec_t spec = {TESS_F64, 4, cshape, nb * (nb + 1) / 2, PROG,
                              NULL, params, 0};
    tess_data_t corr = tess_persist_create(run, a->store, a->o.out, &spec,
                                           &err);
    if (!corr) {
        fprintf(stderr, PROG ": %s\n", err.text);
        return status_of(errno);
    }
    tess_blocks_t *bi = tess_blocks(run, nd, &err);
    tess_block_t x, y, c;
    int64_t tasks = 0;
    int rc = bi ? 0 : 1, more;
    while (rc == 0 && (more = tess_blocks_next(bi, &x, &err)) == 1) {
        tess_blocks_t *bj = tess_blocks(run, nd, &err);
        while (rc == 0 && bj && (more = tess_blocks_next(bj, &y, &err)) == 1) {
            if (y.id < x.id)
                continue; /* no pair ni < nj: the seed's loop skips it */
            int64_t id = x.id * nb + y.id;
            int64_t start[4] = {x.start[0], y.start[0], 0, 0};
            int64_t count[4] = {x.count[0], y.count[0], NEURONS_CC_CHANNELS,
                                L};
            uint64_t seed;
            if (neurons_frag_seed(a->o.seed, a->o.delta, id, &seed,
                                  &err) < 0 ||
                tess_block_new(run, corr, id, start, count, &c, &err) < 0) {
                fprintf(stderr, PROG ": block pair (%" PRId64 ", %" PRId64
                        "): %s\n", x.id, y.id, err.text);
                rc = 2;
                break;
            }
            if (!TESS_SUBMIT(run, "cc_block_pair", 0, tess_block(TESS_IN, &x),
                             tess_block(TESS_IN, &y),
                             tess_block(TESS_OUT, &c), tess_int((int64_t)seed),
                             tess_int(a->o.num_surrs),
                             tess_int(a->o.maxlag))) {
                fprintf(stderr, PROG ": %s\n", tess_run_error(run));
                rc = 1;
            }
            tasks++;
        }
        if (rc == 0 && (!bj || more < 0)) {
            fprintf(stderr, PROG ": %s\n", err.text);
            rc = 1;
        }
        tess_blocks_destroy(bj);
    }
    if (rc == 0 && more < 0) {
        fprintf(stderr, PROG ": %s\n", err.text);
        rc = 1;
    }
    tess_blocks_destroy(bi);
    if (rc == 0 && tess_persist_complete(run, corr, &err) < 0) {
        fprintf(stderr, PROG ": %s\n", err.text);
        rc = 1;
    }
    if (rc == 0)
        printf(PROG ": %s: %" PRId64 " neurons in %" PRId64 " blocks: %"
               PRId64 " tasks into %s\n", a->o.in, n, nb, tasks, a->o.out);
    return rc;
}

/* Take --store, --block-size and --wait out of argv (the rest is
 * neurons_opts_parse()'s). -1 on bad usage. */
static int own_options(int *argc, char **argv, app_t *a)
{
    int k = 1;
    for (int i = 1; i < *argc; i++) {
        const char *opt = argv[i];
        int mine = !strcmp(opt, "--store") || !strcmp(opt, "--block-size") ||
                   !strcmp(opt, "--wait");
        if (!mine) {
            argv[k++] = argv[i];
            continue;
        }
        if (i + 1 == *argc) {
            fprintf(stderr, PROG ": %s needs a value\n", opt);
            return -1;
        }
        const char *v = argv[++i];
        char *end;
        if (!strcmp(opt, "--store")) {
            a->store_dir = v;
        } else if (!strcmp(opt, "--block-size")) {
            a->block_size = strtoll(v, &end, 10);
            if (*end || a->block_size < 1) {
                fprintf(stderr, PROG ": --block-size '%s': need >= 1\n", v);
                return -1;
            }
        } else {
            a->wait = strtod(v, &end);
            if (*end || !(a->wait >= 0)) {
                fprintf(stderr, PROG ": --wait '%s': need seconds >= 0\n", v);
                return -1;
            }
        }
    }
    *argc = k;
    argv[k] = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    static const tess_kernel_def_t kernels[] = {
        {"cc_block_pair", cc_block_pair}, {NULL, NULL}};
    static app_t a = {.block_size = 10, .wait = 600};
    tess_error_t err;
    int nargc = argc;
    char **nargv = calloc((size_t)argc + 1, sizeof(*nargv));
    if (!nargv)
        return 1;
    memcpy(nargv, argv, (size_t)argc * sizeof(*argv));
    int parsed = own_options(&nargc, nargv, &a) < 0
                     ? -1
                     : neurons_opts_parse(PROG, nargc, nargv, 2, 1, &a.o);
    free(nargv);
    if (parsed != 0) {
        fprintf(parsed > 0 ? stdout : stderr,
                "usage: mpirun -np K " PROG " NEURON_DATA CORRELATION "
                "[--store DIR] [--block-size BS] [--wait S] [--run-dir DIR] "
                "[options]\n" NEURONS_OPTS_HELP);
        return parsed > 0 ? 0 : 2;
    }
    tess_config_t cfg;
    tess_config_init(&cfg);
    cfg.run_dir = a.o.run_dir;
    const char *slots = getenv("TESS_SLOTS");
    cfg.nthreads = slots ? atoi(slots) : 0;
    /* every rank opens it, only rank 0 uses it (workers never look) */
    a.store = tess_store_open(a.store_dir, a.store_dir ? 0 : TESS_STORE_CREATE,
                              &err);
    if (!a.store) {
        fprintf(stderr, PROG ": %s\n", err.text);
        return 2;
    }
    int rc = tess_mpi_main(&argc, &argv, kernels, &cfg, analysis, &a);
    tess_store_close(a.store);
    return rc;
}
