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
