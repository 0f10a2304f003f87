/*
 * neurons.h - numerics of the cross-correlation-with-surrogates analysis
 * (Denker et al. 2010, the PyCOMPSs neurons example), bit-compatible with
 * the numpy original (see PRODUCT.md, "The reference application").
 *
 * Pure C11: no Tessera engine, no HDF5, no global state; every function is
 * reentrant (the generator state and all buffers belong to the caller).
 * Errors: -1 with errno set (EINVAL for bad input, ENOMEM) and, where a
 * tess_error_t is taken, a message for a person.
 *
 * Shapes: spikes is num_neurons x num_bins uint8 (0/1), row-major; a window
 * has L = 2*maxlag+1 lags; pairs are counted p = 0 .. N(N-1)/2-1 in the order
 * (0,1), (0,2), ..., (0,N-1), (1,2), ...
 */
#ifndef NEURONS_NEURONS_H
#define NEURONS_NEURONS_H

#include <stdint.h>

#include "tessera.h" /* tess_error_t */

/* ------------------------------------------------------------------ */
/* MT19937, as numpy's legacy RandomState                              */
/* ------------------------------------------------------------------ */

#define NEURONS_MT_N 624

/** Generator state. A plain value (not opaque) so that callers keep one on
 *  the stack per fragment; touch it only through the functions below. */
typedef struct neurons_mt {
    uint32_t key[NEURONS_MT_N];
    int pos;
} neurons_mt_t;

/** Seed as numpy's RandomState(seed) (init_genrand). numpy accepts only
 *  0 <= seed < 2^32; so do we: -1/EINVAL with a message otherwise. */
int neurons_mt_seed(neurons_mt_t *mt, uint64_t seed, tess_error_t *err);

/** Next raw 32-bit output (genrand_int32). */
uint32_t neurons_mt_next(neurons_mt_t *mt);

/** Uniform integer in [0, n-1], n >= 1, drawn as numpy's legacy
 *  randint(0, n): outputs masked with the smallest all-ones mask >= n-1,
 *  rejected while > n-1. n == 1 returns 0 and consumes nothing (as numpy). */
uint32_t neurons_mt_bounded(neurons_mt_t *mt, uint32_t n);

/** Uniform double in [0, 1) with 53 random bits, as numpy's
 *  RandomState.random_sample() (genrand_res53). */
double neurons_mt_double(neurons_mt_t *mt);

/* ------------------------------------------------------------------ */
/* Parameters, pairs and fragments                                     */
/* ------------------------------------------------------------------ */

/** Number of pairs N(N-1)/2; 0 for N < 2. */
int64_t neurons_num_ccs(int64_t num_neurons);

/** Rows [*start, *end) of fragment @p f of @p num_frags: step=num_ccs/num_frags
 *  pairs, the first num_ccs % num_frags fragments one longer.
 *  -1/EINVAL if num_ccs < 0, num_frags < 1 or f outside [0, num_frags). */
int neurons_frag_bounds(int64_t num_ccs, int64_t num_frags, int64_t f,
                        int64_t *start, int64_t *end);

/** Seed of fragment @p f: seed + f*delta. -1/EINVAL with a message when
 *  it is outside [0, 2^32) (numpy's RandomState would raise). */
int neurons_frag_seed(int64_t seed, int64_t delta, int64_t f, uint64_t *out,
                      tess_error_t *err);

/** The pair (*ni, *nj) of pair index @p p, 0 <= p < num_ccs. O(N). */
void neurons_pair(int64_t num_neurons, int64_t p, int64_t *ni, int64_t *nj);

/** Python's round(x) for finite |x| < 2^63: nearest integer, ties to
 *  even, whatever the FPU rounding mode. */
int64_t neurons_round_half_even(double x);

/** Index of the surrogate order statistic for quantile @p q (0.95, 0.05):
 *  round(num_surrs*q). May equal num_surrs (numpy would raise IndexError);
 *  neurons_check_params() rejects such num_surrs. */
int64_t neurons_quantile_index(int64_t num_surrs, double q);

/** Validate the analysis parameters against the input shape: N >= 2,
 *  2 <= B < 2^32, 0 <= maxlag <= B-2 (the window must fit in the full
 *  correlation), num_surrs >= 1 with both quantile indices < num_surrs.
 *  0, or -1/EINVAL with a message naming the parameter. */
int neurons_check_params(int64_t num_neurons, int64_t num_bins,
                         int64_t maxlag, int64_t num_surrs,
                         tess_error_t *err);

/* ------------------------------------------------------------------ */
/* Correlation                                                         */
/* ------------------------------------------------------------------ */

/** Check that @p spikes (num_neurons x num_bins) holds only 0 and 1.
 *  0, or -1/EINVAL with a message naming the first bad element. */
int neurons_check_spikes(const uint8_t *spikes, int64_t num_neurons,
                         int64_t num_bins, tess_error_t *err);

/** Cross-correlations with surrogates of pairs [pair_start, pair_end),
 *  all drawn from one generator seeded with @p seed, pair after pair:
 *    out_orig[p][k]     c[num_bins-maxlag+k], k = 0..2*maxlag, where
 *                       c[m] = sum_t a[t+m-(num_bins-1)]*b[t], a = spikes[ni],
 *                       b = spikes[nj] (numpy correlate(a, b, "full"));
 *    out_surrs[p][k][0] element round(num_surrs*0.95) of the num_surrs
 *                       surrogate values at lag k sorted ascending;
 *    out_surrs[p][k][1] element round(num_surrs*0.05);
 *  p counted from pair_start; out_orig is (end-start) x L, out_surrs
 *  (end-start) x L x 2, L = 2*maxlag+1, written completely.
 *  @p spikes must hold only 0 and 1. Returns 0, or -1 with errno
 *  (EINVAL: bad parameters or spikes, ENOMEM) and a message in @p err;
 *  everything is checked and allocated first: on failure nothing is
 *  written. Reentrant: scratch memory is per call. */
int neurons_cc_range(const uint8_t *spikes, int64_t num_neurons,
                     int64_t num_bins, int64_t pair_start, int64_t pair_end,
                     uint64_t seed, int64_t num_surrs, int64_t maxlag,
                     double *out_orig, double *out_surrs, tess_error_t *err);

/* ------------------------------------------------------------------ */
/* Block pairs (the persistent variant: NeuronData, Correlation)       */
/* ------------------------------------------------------------------ */

/** Channels of a Correlation block: out[a][b][c][k], c = */
enum { NEURONS_CC_ORIG = 0, /**< cc_original[p][k] */
       NEURONS_CC_HI = 1,   /**< cc_surrs[p][k][0], the 95% statistic */
       NEURONS_CC_LO = 2,   /**< cc_surrs[p][k][1], the 5% statistic */
       NEURONS_CC_CHANNELS = 3 };

/** The pairs of two blocks of neurons: rows @p rows_i of neurons
 *  @p start_i.. (@p spikes_i, rows_i x num_bins) and @p rows_j of neurons
 *  @p start_j.. (@p spikes_j). Every pair (ni, nj), ni in block i, nj in
 *  block j, ni < nj, in the order ni, then nj (the order of all pairs
 *  restricted to these), gets the window and the surrogate statistics of
 *  neurons_cc_range(), all drawn from one generator seeded @p seed, into
 *  @p out[a][b][c][k] (rows_i x rows_j x 3 x L, a = ni - start_i, b = nj -
 *  start_j, channels NEURONS_CC_*); elements of no pair (ni >= nj) are NaN.
 *  So blocks of one neuron each (or one block of all of them) reproduce
 *  neurons_cc_range() exactly, pair by pair, when the seeds match. The
 *  same block may be given twice (start_i == start_j). 0, or -1 with errno
 *  and @p err as neurons_cc_range(); nothing written on failure. */
int neurons_cc_blocks(const uint8_t *spikes_i, int64_t rows_i, int64_t start_i,
                      const uint8_t *spikes_j, int64_t rows_j, int64_t start_j,
                      int64_t num_bins, uint64_t seed, int64_t num_surrs,
                      int64_t maxlag, double *out, tess_error_t *err);

/** The number of lags at which window @p orig (L values) leaves the band
 *  [@p lo, @p hi] of its surrogates (orig > hi or orig < lo); NaN in orig
 *  (no pair) gives -1. */
int64_t neurons_lags_outside(const double *orig, const double *hi,
                             const double *lo, int64_t L);

#endif /* NEURONS_NEURONS_H */
