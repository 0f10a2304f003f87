/*
 * kernels.c - the Tessera kernels of the neurons analysis, built as the
 * loadable module neurons_kernels (found by name with dlsym).
 *
 *   cc_surrogate_range(spikes IN u8 [N x B],
 *                      frag_orig OUT f64 [npairs x L],
 *                      frag_surrs OUT f64 [npairs x L x 2],
 *                      pair_start, pair_end, seed, num_surrs, maxlag: int)
 *       npairs = pair_end - pair_start, L = 2*maxlag+1
 *   gather(frag_orig IN f64 [npairs x L], frag_surrs IN f64 [npairs x L x 2],
 *          cc_original OUT rows [start,end) of [num_ccs x L],
 *          cc_surrs OUT rows [start,end) of [num_ccs x L x 2])
 *
 * The persistent variant (cc_store_load.xml, cc_store.xml,
 * cc_store_summary.xml; the blocks of NeuronData and Correlation):
 *   copy_block(src IN [any], dst OUT [same shape and type])
 *   cc_block_pair(block_i IN u8 [ri x B] (neurons start_i..),
 *                 block_j IN u8 [rj x B] (neurons start_j..),
 *                 corr OUT f64 [ri x rj x 3 x L] at [start_i, start_j, 0, 0]
 *                 of Correlation [N x N x 3 x L],
 *                 seed, num_surrs, maxlag: int)
 *   significance(corr IN f64 [ri x rj x 3 x L] (a Correlation block),
 *                lags OUT i64 [ri x rj], significant OUT u8 [ri x rj],
 *                both at the block's [start_i, start_j])
 *       lags: the lags where cc_original leaves the surrogate band, 0 for
 *       no pair (ni >= nj); significant: lags > 0
 *
 * The module is not linked against libtessera: the tess_* symbols it uses
 * come from the program that loads it (tessera-worker or a C main).
 */
#include <inttypes.h>
#include <string.h>

#include "tessera.h"
#include "examples/neurons/kernels.h"
#include "examples/neurons/neurons.h"

/* Array parameter @p i has @p type, @p rank and, where dims[d] >= 0, that
 * extent in dimension d. 0, or -1 after tess_args_fail() naming @p what. */
static int check_array(const tess_args_t *a, int i, const char *what,
                       tess_type_t type, int rank, const int64_t *dims)
{
    if (tess_args_rank(a, i) < 1 ||
        (!tess_args_data(a, i) && tess_args_numel(a, i) > 0))
        return tess_args_fail(a, "parameter %d (%s) is not an array", i, what);
    if (tess_args_type(a, i) != type)
        return tess_args_fail(a, "parameter %d (%s) is %s, expected %s", i,
                              what, tess_type_name(tess_args_type(a, i)),
                              tess_type_name(type));
    if (tess_args_rank(a, i) != rank)
        return tess_args_fail(a, "parameter %d (%s) has rank %d, expected %d",
                              i, what, tess_args_rank(a, i), rank);
    const int64_t *shape = tess_args_shape(a, i);
    for (int d = 0; d < rank; d++) {
        if (dims[d] >= 0 && shape[d] != dims[d])
            return tess_args_fail(a, "parameter %d (%s) has extent %" PRId64
                                  " in dimension %d, expected %" PRId64, i,
                                  what, shape[d], d, dims[d]);
    }
    return 0;
}

int cc_surrogate_range(const tess_args_t *a)
{
    if (tess_args_count(a) != 8)
        return tess_args_fail(a, "%d parameters, expected 8 (spikes, "
                              "frag_orig, frag_surrs, pair_start, pair_end, "
                              "seed, num_surrs, maxlag)", tess_args_count(a));
    int64_t start = tess_args_int(a, 3), end = tess_args_int(a, 4);
    int64_t seed = tess_args_int(a, 5), num_surrs = tess_args_int(a, 6);
    int64_t maxlag = tess_args_int(a, 7);
    if (seed < 0)
        return tess_args_fail(a, "seed %" PRId64 " is negative", seed);
    if (end < start)
        return tess_args_fail(a, "pairs [%" PRId64 ", %" PRId64 ") are "
                              "reversed", start, end);
    const int64_t any2[2] = {-1, -1};
    if (check_array(a, 0, "spikes", TESS_U8, 2, any2) < 0)
        return -1;
    const int64_t *sh = tess_args_shape(a, 0);
    tess_error_t err;
    /* Before the shapes below: it bounds maxlag, so L cannot overflow. */
    if (neurons_check_params(sh[0], sh[1], maxlag, num_surrs, &err) < 0)
        return tess_args_fail(a, "%s", err.text);
    int64_t L = 2 * maxlag + 1;
    const int64_t orig[2] = {end - start, L}, surrs[3] = {end - start, L, 2};
    if (check_array(a, 1, "frag_orig", TESS_F64, 2, orig) < 0 ||
        check_array(a, 2, "frag_surrs", TESS_F64, 3, surrs) < 0)
        return -1;
    if (neurons_cc_range(tess_args_data(a, 0), sh[0], sh[1], start, end,
                         (uint64_t)seed, num_surrs, maxlag,
                         tess_args_data(a, 1), tess_args_data(a, 2), &err) < 0)
        return tess_args_fail(a, "%s", err.text);
    return 0;
}

int gather(const tess_args_t *a)
{
    if (tess_args_count(a) != 4)
        return tess_args_fail(a, "%d parameters, expected 4 (frag_orig, "
                              "frag_surrs, cc_original, cc_surrs)",
                              tess_args_count(a));
    const int64_t any2[2] = {-1, -1};
    if (check_array(a, 0, "frag_orig", TESS_F64, 2, any2) < 0)
        return -1;
    const int64_t *sh = tess_args_shape(a, 0);
    const int64_t orig[2] = {sh[0], sh[1]}, surrs[3] = {sh[0], sh[1], 2};
    /* The region buffers are dense, of the region's shape: a plain copy. */
    if (check_array(a, 1, "frag_surrs", TESS_F64, 3, surrs) < 0 ||
        check_array(a, 2, "cc_original region", TESS_F64, 2, orig) < 0 ||
        check_array(a, 3, "cc_surrs region", TESS_F64, 3, surrs) < 0)
        return -1;
    size_t n = (size_t)(sh[0] * sh[1]) * sizeof(double);
    if (n > 0) { /* an empty fragment may come without buffers */
        memcpy(tess_args_data(a, 2), tess_args_data(a, 0), n);
        memcpy(tess_args_data(a, 3), tess_args_data(a, 1), 2 * n);
    }
    return 0;
}

int copy_block(const tess_args_t *a)
{
    if (tess_args_count(a) != 2)
        return tess_args_fail(a, "%d parameters, expected 2 (src, dst)",
                              tess_args_count(a));
    int rank = tess_args_rank(a, 0);
    if (rank < 1 || tess_args_rank(a, 1) != rank ||
        tess_args_type(a, 0) != tess_args_type(a, 1) ||
        memcmp(tess_args_shape(a, 0), tess_args_shape(a, 1),
               (size_t)rank * sizeof(int64_t)) != 0)
        return tess_args_fail(a, "src and dst differ in type, rank or shape");
    size_t n = (size_t)tess_args_numel(a, 0) *
               tess_type_size(tess_args_type(a, 0));
    if (n > 0)
        memcpy(tess_args_data(a, 1), tess_args_data(a, 0), n);
    return 0;
}

int cc_block_pair(const tess_args_t *a)
{
    if (tess_args_count(a) != 6)
        return tess_args_fail(a, "%d parameters, expected 6 (block_i, "
                              "block_j, corr, seed, num_surrs, maxlag)",
                              tess_args_count(a));
    int64_t seed = tess_args_int(a, 3), num_surrs = tess_args_int(a, 4);
    int64_t maxlag = tess_args_int(a, 5);
    const int64_t any2[2] = {-1, -1};
    if (seed < 0)
        return tess_args_fail(a, "seed %" PRId64 " is negative", seed);
    if (check_array(a, 0, "block_i", TESS_U8, 2, any2) < 0)
        return -1;
    const int64_t *si = tess_args_shape(a, 0);
    const int64_t bins[2] = {-1, si[1]};
    if (check_array(a, 1, "block_j", TESS_U8, 2, bins) < 0)
        return -1;
    const int64_t *sj = tess_args_shape(a, 1);
    tess_error_t err;
    if (neurons_check_params(2, si[1], maxlag, num_surrs, &err) < 0)
        return tess_args_fail(a, "%s", err.text);
    int64_t L = 2 * maxlag + 1;
    const int64_t cshape[4] = {si[0], sj[0], NEURONS_CC_CHANNELS, L};
    if (check_array(a, 2, "corr", TESS_F64, 4, cshape) < 0)
        return -1;
    /* the Correlation block lies where its neurons are */
    int64_t start_i = tess_args_start(a, 0)[0];
    int64_t start_j = tess_args_start(a, 1)[0];
    const int64_t *sc = tess_args_start(a, 2);
    if (sc[0] != start_i || sc[1] != start_j || sc[2] != 0 || sc[3] != 0)
        return tess_args_fail(a, "corr lies at [%" PRId64 ", %" PRId64
                              ", ...], its blocks' neurons start at %" PRId64
                              " and %" PRId64, sc[0], sc[1], start_i,
                              start_j);
    if (neurons_cc_blocks(tess_args_data(a, 0), si[0], start_i,
                          tess_args_data(a, 1), sj[0], start_j, si[1],
                          (uint64_t)seed, num_surrs, maxlag,
                          tess_args_data(a, 2), &err) < 0)
        return tess_args_fail(a, "%s", err.text);
    return 0;
}

int significance(const tess_args_t *a)
{
    if (tess_args_count(a) != 3)
        return tess_args_fail(a, "%d parameters, expected 3 (corr, lags, "
                              "significant)", tess_args_count(a));
    const int64_t any4[4] = {-1, -1, NEURONS_CC_CHANNELS, -1};
    if (check_array(a, 0, "corr", TESS_F64, 4, any4) < 0)
        return -1;
    const int64_t *sh = tess_args_shape(a, 0);
    const int64_t out[2] = {sh[0], sh[1]};
    if (check_array(a, 1, "lags", TESS_I64, 2, out) < 0 ||
        check_array(a, 2, "significant", TESS_U8, 2, out) < 0)
        return -1;
    const int64_t *sc = tess_args_start(a, 0), *sl = tess_args_start(a, 1);
    const int64_t *ss = tess_args_start(a, 2);
    if (sl[0] != sc[0] || sl[1] != sc[1] || ss[0] != sc[0] || ss[1] != sc[1])
        return tess_args_fail(a, "lags and significant lie elsewhere than "
                              "the block of corr at [%" PRId64 ", %" PRId64
                              "]", sc[0], sc[1]);
    const double *c = tess_args_data(a, 0);
    int64_t *lags = tess_args_data(a, 1), L = sh[3];
    uint8_t *sig = tess_args_data(a, 2);
    for (int64_t p = 0; p < sh[0] * sh[1]; p++) {
        const double *o = c + p * NEURONS_CC_CHANNELS * L;
        int64_t n = neurons_lags_outside(o + NEURONS_CC_ORIG * L,
                                         o + NEURONS_CC_HI * L,
                                         o + NEURONS_CC_LO * L, L);
        lags[p] = n < 0 ? 0 : n;
        sig[p] = n > 0;
    }
    return 0;
}
