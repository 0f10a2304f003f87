/*
 * cc_tessera.c - tessera-cc: the neurons analysis as a Tessera program.
 *
 *   mpirun -np K tessera-cc SPIKES.h5 [--out RESULTS.h5] [--run-dir DIR]
 *                          [--num-frags F] [--maxlag M] [--num-surrs S]
 *                          [--seed X] [--delta D]
 *
 * The main program of the PyCOMPSs original, in C: one cc_surrogate_range
 * task per fragment of the pair list (seeded seed + f*delta), then a
 * high-priority gather task writing the fragment's rows of cc_original and
 * cc_surrs. Rank 0 runs this program, the other ranks are workers; the
 * results go to RESULTS.h5 (default RUN_DIR/results.h5).
 * Exit: 0 done; 1 a task or the run failed; 2 bad usage or input.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "examples/neurons/kernels.h"
#include "examples/neurons/neurons.h"
#include "examples/neurons/opts.h"
#include "tessera.h"

#define PROG "tessera-cc"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int analysis(tess_run_t *run, int argc, char **argv, void *arg)
{
    const neurons_opts_t *o = arg;
    tess_error_t err;
    double t0 = now();
    (void)argc;
    (void)argv;

    tess_data_t spikes = tess_array_h5(run, "spikes", o->in, "/spikes", &err);
    int64_t shape[TESS_MAX_RANK];
    tess_type_t type;
    if (!spikes) {
        fprintf(stderr, PROG ": %s\n", err.text);
        return 2;
    }
    if (tess_array_shape(run, spikes, shape, &type) != 2 || type != TESS_U8) {
        fprintf(stderr, PROG ": %s: dataset /spikes must be a 2-D uint8 "
                "array (neurons x bins)\n", o->in);
        return 2;
    }
    int64_t n = shape[0], bins = shape[1];
    int64_t num_ccs = neurons_num_ccs(n), L = 2 * o->maxlag + 1;
    if (neurons_check_params(n, bins, o->maxlag, o->num_surrs, &err) < 0) {
        fprintf(stderr, PROG ": %s: %s\n", o->in, err.text);
        return 2;
    }
    if (o->num_frags < 1 || o->num_frags > num_ccs) {
        fprintf(stderr, PROG ": --num-frags %" PRId64 ": must be in 1..%" PRId64
                " (the number of pairs)\n", o->num_frags, num_ccs);
        return 2;
    }
    int64_t cshape[3] = {num_ccs, L, 2};
    tess_data_t cc_original =
        tess_array(run, "cc_original", TESS_F64, 2, cshape, NULL, &err);
    tess_data_t cc_surrs =
        tess_array(run, "cc_surrs", TESS_F64, 3, cshape, NULL, &err);
    if (!cc_original || !cc_surrs) {
        fprintf(stderr, PROG ": %s\n", err.text);
        return 1;
    }

    for (int64_t f = 0; f < o->num_frags; f++) {
        int64_t start, end;
        uint64_t seed;
        if (neurons_frag_bounds(num_ccs, o->num_frags, f, &start, &end) < 0 ||
            neurons_frag_seed(o->seed, o->delta, f, &seed, &err) < 0) {
            fprintf(stderr, PROG ": fragment %" PRId64 ": %s\n", f, err.text);
            return 2;
        }
        int64_t fo_shape[3] = {end - start, L, 2};
        char name[64];
        snprintf(name, sizeof(name), "frag_orig_%" PRId64, f);
        tess_data_t fo = tess_array(run, name, TESS_F64, 2, fo_shape, NULL, &err);
        snprintf(name, sizeof(name), "frag_surrs_%" PRId64, f);
        tess_data_t fs = tess_array(run, name, TESS_F64, 3, fo_shape, NULL, &err);
        if (!fo || !fs ||
            !TESS_SUBMIT(run, "cc_surrogate_range", 0, tess_in(spikes),
                         tess_out(fo), tess_out(fs), tess_int(start),
                         tess_int(end), tess_int((int64_t)seed),
                         tess_int(o->num_surrs), tess_int(o->maxlag)) ||
            !TESS_SUBMIT(run, "gather", TESS_PRIORITY, tess_in(fo), tess_in(fs),
                         tess_rows(TESS_OUT, cc_original, start, end),
                         tess_rows(TESS_OUT, cc_surrs, start, end))) {
            fprintf(stderr, PROG ": %s\n", tess_run_error(run));
            return 1;
        }
        /* Like compss_delete_object: the fragments go once gathered. */
        tess_delete(run, fo);
        tess_delete(run, fs);
    }

    char path[PATH_MAX], params[512];
    if (o->out)
        snprintf(path, sizeof(path), "%s", o->out);
    else if (tess_run_dir(run))
        snprintf(path, sizeof(path), "%s/results.h5", tess_run_dir(run));
    else
        snprintf(path, sizeof(path), "results.h5"); /* one process, no dir */
    snprintf(params, sizeof(params),
             "spikes=%s num_frags=%" PRId64 " maxlag=%" PRId64
             " num_surrs=%" PRId64 " seed=%" PRId64 " delta=%" PRId64,
             o->in, o->num_frags, o->maxlag, o->num_surrs, o->seed, o->delta);
    tess_data_t results[2] = {cc_original, cc_surrs};
    if (tess_write_results(run, path, 2, results, "neurons-cc", params,
                           &err) < 0) {
        fprintf(stderr, PROG ": %s\n", err.text);
        return 1;
    }
    tess_stats_t st;
    tess_run_stats(run, &st);
    printf(PROG ": %" PRId64 " neurons x %" PRId64 " bins, %" PRId64
           " pairs, %" PRId64 " fragments: %llu tasks in %.2f s\n"
           PROG ": results: %s\n",
           n, bins, num_ccs, o->num_frags, (unsigned long long)st.completed,
           now() - t0, path);
    return 0;
}

int main(int argc, char **argv)
{
    static const tess_kernel_def_t kernels[] = {
        {"cc_surrogate_range", cc_surrogate_range},
        {"gather", gather},
        {NULL, NULL}};
    neurons_opts_t o;
    int parsed = neurons_opts_parse(PROG, argc, argv, 1, 1, &o);
    if (parsed != 0) {
        fprintf(parsed > 0 ? stdout : stderr,
                "usage: mpirun -np K " PROG " SPIKES.h5 [--out RESULTS.h5] "
                "[--run-dir DIR] [options]\n" NEURONS_OPTS_HELP);
        return parsed > 0 ? 0 : 2;
    }
    tess_config_t cfg;
    tess_config_init(&cfg);
    cfg.run_dir = o.run_dir;
    const char *slots = getenv("TESS_SLOTS");
    cfg.nthreads = slots ? atoi(slots) : 0;
    return tess_mpi_main(&argc, &argv, kernels, &cfg, analysis, &o);
}
