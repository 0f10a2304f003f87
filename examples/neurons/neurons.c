/*
 * neurons.c - numerics of the cross-correlation-with-surrogates analysis.
 *
 * Exactness: every correlation value is an integer count, computed in
 * integers and converted to double once; order statistics are taken on
 * those integers. So results equal numpy's float64 ones bit for bit as
 * long as the random draws are the same, which neurons_mt_* guarantee.
 *
 * Speed: spike trains are sparse, so a correlation window is a histogram
 * of the lags ta - tb over the spike positions ta of a and tb of b (both
 * sorted, so the lags inside the window are found with two moving
 * pointers): O(n_i*n_j), not the O(B^2) of a full correlation. Surrogate
 * positions are deduplicated and sorted through a bit set. The sort of
 * num_surrs values per lag that the original does is replaced by per-lag
 * counts of each value, from which the two order statistics are read.
 * Memory: one workspace per call, L x (largest spike count + 1) counters
 * plus O(N*B); nothing is allocated per pair or per surrogate.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "examples/neurons/neurons.h"

/* Set errno to EINVAL, fill @p err, evaluate to -1. */
#define BAD(err, ...) (errno = EINVAL, tess_errprintf((err), __VA_ARGS__))

/* ------------------------------------------------------------------ */
/* MT19937 (Matsumoto & Nishimura), numpy's legacy variant             */
/* ------------------------------------------------------------------ */

#define MT_M 397
#define MT_MATRIX_A 0x9908b0dfU
#define MT_UPPER 0x80000000U
#define MT_LOWER 0x7fffffffU

int neurons_mt_seed(neurons_mt_t *mt, uint64_t seed, tess_error_t *err)
{
    if (seed > UINT32_MAX)
        return BAD(err, "seed %" PRIu64 " is outside [0, 2^32) (numpy's "
                   "RandomState accepts no other)", seed);
    uint32_t s = (uint32_t)seed;
    for (int i = 0; i < NEURONS_MT_N; i++) {
        mt->key[i] = s;
        /* init_genrand; uint32_t arithmetic wraps mod 2^32 as intended. */
        s = 1812433253U * (s ^ (s >> 30)) + (uint32_t)i + 1U;
    }
    mt->pos = NEURONS_MT_N; /* first draw regenerates the whole state */
    return 0;
}

static void mt_generate(neurons_mt_t *mt)
{
    uint32_t *k = mt->key;
    int i;
    for (i = 0; i < NEURONS_MT_N - MT_M; i++) {
        uint32_t y = (k[i] & MT_UPPER) | (k[i + 1] & MT_LOWER);
        k[i] = k[i + MT_M] ^ (y >> 1) ^ ((0U - (y & 1U)) & MT_MATRIX_A);
    }
    for (; i < NEURONS_MT_N - 1; i++) {
        uint32_t y = (k[i] & MT_UPPER) | (k[i + 1] & MT_LOWER);
        k[i] = k[i + (MT_M - NEURONS_MT_N)] ^ (y >> 1) ^
               ((0U - (y & 1U)) & MT_MATRIX_A);
    }
    uint32_t y = (k[NEURONS_MT_N - 1] & MT_UPPER) | (k[0] & MT_LOWER);
    k[NEURONS_MT_N - 1] = k[MT_M - 1] ^ (y >> 1) ^ ((0U - (y & 1U)) & MT_MATRIX_A);
    mt->pos = 0;
}

/* The generator's body, static so the hot loops get it inlined. */
static inline uint32_t mt_next(neurons_mt_t *mt)
{
    if (mt->pos >= NEURONS_MT_N)
        mt_generate(mt);
    uint32_t y = mt->key[mt->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

/* Smallest all-ones mask >= max. */
static uint32_t mt_mask(uint32_t max)
{
    max |= max >> 1;
    max |= max >> 2;
    max |= max >> 4;
    max |= max >> 8;
    max |= max >> 16;
    return max;
}

/* numpy's masked rejection: a value in [0, max], max > 0. */
static inline uint32_t mt_masked(neurons_mt_t *mt, uint32_t max, uint32_t mask)
{
    uint32_t v;
    while ((v = mt_next(mt) & mask) > max)
        ;
    return v;
}

uint32_t neurons_mt_next(neurons_mt_t *mt)
{
    return mt_next(mt);
}

uint32_t neurons_mt_bounded(neurons_mt_t *mt, uint32_t n)
{
    uint32_t max = n - 1; /* n == 0 would mean "any uint32": treat as n=2^32 */
    if (n == 1)
        return 0; /* numpy returns low without drawing when the range is 0 */
    return mt_masked(mt, max, mt_mask(max));
}

double neurons_mt_double(neurons_mt_t *mt)
{
    uint32_t a = neurons_mt_next(mt) >> 5;
    uint32_t b = neurons_mt_next(mt) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

/* ------------------------------------------------------------------ */
/* Parameters, pairs and fragments                                     */
/* ------------------------------------------------------------------ */

int64_t neurons_num_ccs(int64_t num_neurons)
{
    if (num_neurons < 2)
        return 0;
    return num_neurons * (num_neurons - 1) / 2;
}

int neurons_frag_bounds(int64_t num_ccs, int64_t num_frags, int64_t f,
                        int64_t *start, int64_t *end)
{
    if (num_ccs < 0 || num_frags < 1 || f < 0 || f >= num_frags) {
        errno = EINVAL;
        return -1;
    }
    int64_t step = num_ccs / num_frags;
    int64_t rem = num_ccs % num_frags;
    *start = f * step + (f < rem ? f : rem);
    *end = *start + step + (f < rem ? 1 : 0);
    return 0;
}

int neurons_frag_seed(int64_t seed, int64_t delta, int64_t f, uint64_t *out,
                      tess_error_t *err)
{
    const int64_t limit = (int64_t)UINT32_MAX;
    /* Overflow-free: bound the product before forming it. */
    int ok = seed >= 0 && seed <= limit && f >= 0;
    int64_t prod = 0;
    if (ok && f > 0 && delta != 0) {
        int64_t mag = delta == INT64_MIN ? INT64_MAX : llabs(delta);
        ok = f <= (2 * limit) / mag;
        if (ok)
            prod = f * delta;
    }
    int64_t s = seed + prod; /* |prod| <= 2^33: no overflow */
    if (!ok || s < 0 || s > limit)
        return BAD(err, "seed of fragment %" PRId64 " (seed %" PRId64 " + %"
                   PRId64 " * delta %" PRId64 ") is outside [0, 2^32) "
                   "(numpy's RandomState accepts no other)", f, seed, f, delta);
    *out = (uint64_t)s;
    return 0;
}

void neurons_pair(int64_t num_neurons, int64_t p, int64_t *ni, int64_t *nj)
{
    int64_t i = 0;
    /* Row i holds the N-1-i pairs (i, i+1..N-1). */
    while (p >= num_neurons - 1 - i) {
        p -= num_neurons - 1 - i;
        i++;
    }
    *ni = i;
    *nj = i + 1 + p;
}

int64_t neurons_round_half_even(double x)
{
    double f = floor(x);
    double d = x - f; /* exact: x and f are within one unit of each other */
    if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0.0))
        f += 1.0;
    return (int64_t)f;
}

int64_t neurons_quantile_index(int64_t num_surrs, double q)
{
    return neurons_round_half_even((double)num_surrs * q);
}

int neurons_check_params(int64_t num_neurons, int64_t num_bins,
                         int64_t maxlag, int64_t num_surrs,
                         tess_error_t *err)
{
    if (num_neurons < 2 || num_neurons > INT32_MAX)
        return BAD(err, "num_neurons=%" PRId64 ": need 2..%d (at least one "
                   "pair)", num_neurons, INT32_MAX);
    if (num_bins < 2 || num_bins > (int64_t)UINT32_MAX)
        return BAD(err, "num_bins=%" PRId64 ": need 2..%" PRIu32, num_bins,
                   UINT32_MAX);
    if (num_neurons > INT64_MAX / num_bins)
        return BAD(err, "spikes of %" PRId64 " x %" PRId64 " are too large",
                   num_neurons, num_bins);
    /* The window's last index num_bins+maxlag must exist in the full
     * correlation, whose last index is 2*num_bins-2. */
    if (maxlag < 0 || maxlag > num_bins - 2)
        return BAD(err, "maxlag=%" PRId64 ": need 0 <= maxlag <= num_bins-2 "
                   "= %" PRId64, maxlag, num_bins - 2);
    if (num_surrs < 1 || num_surrs > INT32_MAX)
        return BAD(err, "num_surrs=%" PRId64 ": need 1..%d", num_surrs,
                   INT32_MAX);
    int64_t hi = neurons_quantile_index(num_surrs, 0.95);
    if (hi >= num_surrs)
        return BAD(err, "num_surrs=%" PRId64 ": the 95%% order statistic, "
                   "element round(num_surrs*0.95)=%" PRId64 ", is past the "
                   "last surrogate (the original raises IndexError); use "
                   "num_surrs >= 11", num_surrs, hi);
    return 0;
}

int neurons_check_spikes(const uint8_t *spikes, int64_t num_neurons,
                         int64_t num_bins, tess_error_t *err)
{
    size_t n = (size_t)num_neurons * (size_t)num_bins;
    for (size_t i = 0; i < n; i++) {
        if (spikes[i] > 1)
            return BAD(err, "spikes[%zu][%zu] = %u: spikes must be 0 or 1",
                       i / (size_t)num_bins, i % (size_t)num_bins,
                       (unsigned)spikes[i]);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Correlation with surrogates                                         */
/* ------------------------------------------------------------------ */

/* Scratch memory of one neurons_cc_range() call, allocated once. */
struct ws {
    uint32_t *pos;    /* spike positions of every neuron, sorted */
    int64_t *off;     /* neuron n: pos[off[n] .. off[n+1]) */
    uint32_t *surr_i; /* distinct sorted positions of the two surrogates */
    uint32_t *surr_j;
    uint64_t *bits;   /* a surrogate as a bit set; all 0 between draws */
    int64_t nwords;
    uint32_t *hist;   /* L lag counts, all 0 between correlations */
    uint32_t *cnt;    /* [v][k]: surrogates with value v at lag k */
};

static void ws_free(struct ws *w)
{
    int saved = errno;
    free(w->pos);
    free(w->off);
    free(w->surr_i);
    free(w->surr_j);
    free(w->bits);
    free(w->hist);
    free(w->cnt);
    errno = saved;
}

/* calloc of n x size, NULL (ENOMEM) also when n x size overflows. */
static void *alloc0(int64_t n, size_t size)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return calloc(n > 0 ? (size_t)n : 1, size);
}

/* Spike positions of all neurons; returns the largest spike count. */
static int64_t ws_index_spikes(struct ws *w, const uint8_t *spikes,
                               int64_t num_neurons, int64_t num_bins)
{
    int64_t k = 0, most = 0;
    for (int64_t n = 0; n < num_neurons; n++) {
        const uint8_t *row = spikes + n * num_bins;
        w->off[n] = k;
        for (int64_t t = 0; t < num_bins; t++)
            if (row[t])
                w->pos[k++] = (uint32_t)t;
        if (k - w->off[n] > most)
            most = k - w->off[n];
    }
    w->off[num_neurons] = k;
    return most;
}

static int ws_init(struct ws *w, const uint8_t *spikes, int64_t num_neurons,
                   int64_t num_bins, int64_t L)
{
    memset(w, 0, sizeof(*w));
    int64_t total = 0;
    for (int64_t i = 0; i < num_neurons * num_bins; i++)
        total += spikes[i];
    w->pos = alloc0(total, sizeof(*w->pos));
    w->off = alloc0(num_neurons + 1, sizeof(*w->off));
    if (!w->pos || !w->off)
        return -1;
    /* A lag value counts distinct spike pairs, so it is at most the
     * smaller spike count of the pair: this bounds the value axis of cnt
     * (L x (vcap+1) counters: 0.8 MB at worst for 500 bins, maxlag 200). */
    int64_t vcap = ws_index_spikes(w, spikes, num_neurons, num_bins);
    if (vcap + 1 > INT64_MAX / L) {
        errno = ENOMEM;
        return -1;
    }
    w->surr_i = alloc0(num_bins, sizeof(*w->surr_i));
    w->surr_j = alloc0(num_bins, sizeof(*w->surr_j));
    w->nwords = (num_bins + 63) / 64;
    w->bits = alloc0(w->nwords, sizeof(*w->bits));
    w->hist = alloc0(L, sizeof(*w->hist));
    w->cnt = alloc0(L * (vcap + 1), sizeof(*w->cnt));
    if (!w->surr_i || !w->surr_j || !w->bits || !w->hist || !w->cnt)
        return -1;
    return 0;
}

/*
 * Lag histogram of the window: for ta in a, tb in b (sorted positions),
 * hist[k] += 1 for k = ta - tb + maxlag - 1 in [0, 2*maxlag]; that is
 * the full-correlation index m = ta - tb + num_bins - 1 taken from
 * num_bins - maxlag on. Lags outside [*kmin, *kmax] stay 0 (empty range:
 * *kmin > *kmax). The inner loop is a bare scatter on purpose: tracking
 * which lags become non-zero there chains every iteration to the last.
 */
static void lag_hist(const uint32_t *a, int64_t na, const uint32_t *b,
                     int64_t nb, int64_t maxlag, uint32_t *hist,
                     int64_t *kmin, int64_t *kmax)
{
    int64_t lo = 0, hi = 0;
    *kmin = INT64_MAX;
    *kmax = -1;
    for (int64_t i = 0; i < na; i++) {
        int64_t ta = a[i];
        /* tb in [ta - maxlag - 1, ta + maxlag - 1]; both ends only grow. */
        while (lo < nb && (int64_t)b[lo] < ta - maxlag - 1)
            lo++;
        while (hi < nb && (int64_t)b[hi] <= ta + maxlag - 1)
            hi++;
        if (lo == hi)
            continue;
        int64_t base = ta + maxlag - 1; /* k = base - tb, largest at lo */
        if (base - b[hi - 1] < *kmin)
            *kmin = base - b[hi - 1];
        if (base - b[lo] > *kmax)
            *kmax = base - b[lo];
        for (int64_t j = lo; j < hi; j++)
            hist[base - b[j]]++;
    }
}

/* Index of the lowest set bit of x != 0 (de Bruijn multiplication:
 * portable C11, no branch). */
static unsigned lowest_bit(uint64_t x)
{
    static const uint8_t index[64] = {
        0,  1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
        62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
        63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
        46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6};
    return index[((x & (0 - x)) * UINT64_C(0x03f79d71b4cb0a89)) >> 58];
}

/*
 * A surrogate train: ones at n bins drawn with replacement from
 * 0..num_bins-1 (numpy: surr[randint(0, num_bins, n)] = 1). Writes the
 * distinct bins to pos in ascending order, returns their number. All n
 * draws are made, repeats included, to keep the generator in step. A bit
 * set removes the repeats and sorts in O(n + num_bins/64).
 */
static int64_t draw_surrogate(neurons_mt_t *mt, int64_t n, int64_t num_bins,
                              uint64_t *bits, int64_t nwords, uint32_t *pos)
{
    /* = neurons_mt_bounded(mt, num_bins) n times; num_bins >= 2. */
    uint32_t max = (uint32_t)(num_bins - 1), mask = mt_mask(max);
    for (int64_t c = 0; c < n; c++) {
        uint32_t x = mt_masked(mt, max, mask);
        bits[x >> 6] |= (uint64_t)1 << (x & 63);
    }
    int64_t u = 0;
    for (int64_t wi = 0; wi < nwords; wi++) {
        uint64_t v = bits[wi];
        bits[wi] = 0;
        for (; v; v &= v - 1)
            pos[u++] = (uint32_t)(wi * 64) + lowest_bit(v);
    }
    return u;
}

/* The original window of one pair, as doubles. */
static void cc_original(struct ws *w, int64_t ni, int64_t nj, int64_t maxlag,
                        int64_t L, double *out)
{
    int64_t kmin, kmax;
    lag_hist(w->pos + w->off[ni], w->off[ni + 1] - w->off[ni],
             w->pos + w->off[nj], w->off[nj + 1] - w->off[nj], maxlag,
             w->hist, &kmin, &kmax);
    for (int64_t k = 0; k < L; k++) {
        out[k] = (double)w->hist[k];
        w->hist[k] = 0;
    }
}

/* Elements r_lo <= r_hi of lag k's num_surrs sorted values, read from the
 * counts cnt_k[v * L] of the values v = 1..vmax (the rest are zeros). */
static void lag_order_stats(const uint32_t *cnt_k, int64_t L, int64_t vmax,
                            int64_t num_surrs, int64_t r_lo, int64_t r_hi,
                            double *lo, double *hi)
{
    int64_t nonzero = 0;
    for (int64_t v = 1; v <= vmax; v++)
        nonzero += cnt_k[v * L];
    int64_t cum = num_surrs - nonzero; /* the zeros come first */
    int64_t v = 0;
    *lo = *hi = 0.0;
    while (cum <= r_hi && v < vmax) {
        v++;
        int64_t c = cnt_k[v * L];
        if (cum <= r_lo && r_lo < cum + c)
            *lo = (double)v;
        cum += c;
        if (r_hi < cum)
            *hi = (double)v;
    }
}

/* The 95% and 5% surrogate order statistics of one pair. */
static void cc_surrogates(struct ws *w, neurons_mt_t *mt, int64_t ni,
                          int64_t nj, int64_t num_bins, int64_t maxlag,
                          int64_t L, int64_t num_surrs, double *out)
{
    int64_t n_i = w->off[ni + 1] - w->off[ni];
    int64_t n_j = w->off[nj + 1] - w->off[nj];
    int64_t vmax = n_i < n_j ? n_i : n_j; /* values are 0..vmax */
    uint32_t *cnt = w->cnt;
    memset(cnt, 0, (size_t)(L * (vmax + 1)) * sizeof(*cnt));

    for (int64_t s = 0; s < num_surrs; s++) {
        int64_t ui = draw_surrogate(mt, n_i, num_bins, w->bits, w->nwords,
                                    w->surr_i);
        int64_t uj = draw_surrogate(mt, n_j, num_bins, w->bits, w->nwords,
                                    w->surr_j);
        int64_t kmin, kmax;
        lag_hist(w->surr_i, ui, w->surr_j, uj, maxlag, w->hist, &kmin,
                 &kmax);
        /* Branch-free: zeros inside the range land in row 0, which
         * lag_order_stats() ignores (it counts zeros as the rest). Rows
         * [v][k], not [k][v]: most values are small, so this walks a few
         * rows in order instead of striding over all of cnt. */
        for (int64_t k = kmin; k <= kmax; k++) {
            cnt[w->hist[k] * L + k]++;
            w->hist[k] = 0;
        }
    }

    int64_t r_hi = neurons_quantile_index(num_surrs, 0.95);
    int64_t r_lo = neurons_quantile_index(num_surrs, 0.05);
    for (int64_t k = 0; k < L; k++)
        lag_order_stats(cnt + k, L, vmax, num_surrs, r_lo, r_hi,
                        &out[2 * k + 1], &out[2 * k]);
}

int neurons_cc_range(const uint8_t *spikes, int64_t num_neurons,
                     int64_t num_bins, int64_t pair_start, int64_t pair_end,
                     uint64_t seed, int64_t num_surrs, int64_t maxlag,
                     double *out_orig, double *out_surrs, tess_error_t *err)
{
    if (neurons_check_params(num_neurons, num_bins, maxlag, num_surrs, err) < 0)
        return -1;
    int64_t num_ccs = neurons_num_ccs(num_neurons);
    if (pair_start < 0 || pair_end < pair_start || pair_end > num_ccs)
        return BAD(err, "pairs [%" PRId64 ", %" PRId64 ") are not within "
                   "[0, %" PRId64 ") (%" PRId64 " neurons)", pair_start,
                   pair_end, num_ccs, num_neurons);
    if (neurons_check_spikes(spikes, num_neurons, num_bins, err) < 0)
        return -1;
    neurons_mt_t mt;
    if (neurons_mt_seed(&mt, seed, err) < 0)
        return -1;

    int64_t L = 2 * maxlag + 1;
    struct ws w;
    if (ws_init(&w, spikes, num_neurons, num_bins, L) < 0) {
        ws_free(&w);
        return tess_errprintf(err, "out of memory for the correlation of "
                              "%" PRId64 " x %" PRId64 " spikes, maxlag %"
                              PRId64, num_neurons, num_bins, maxlag);
    }
    int64_t ni = 0, nj = 1;
    if (pair_start < pair_end)
        neurons_pair(num_neurons, pair_start, &ni, &nj);
    for (int64_t p = 0; p < pair_end - pair_start; p++) {
        cc_original(&w, ni, nj, maxlag, L, out_orig + p * L);
        cc_surrogates(&w, &mt, ni, nj, num_bins, maxlag, L, num_surrs,
                      out_surrs + p * L * 2);
        if (++nj == num_neurons) {
            ni++;
            nj = ni + 1;
        }
    }
    ws_free(&w);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Block pairs                                                         */
/* ------------------------------------------------------------------ */

int neurons_cc_blocks(const uint8_t *spikes_i, int64_t rows_i, int64_t start_i,
                      const uint8_t *spikes_j, int64_t rows_j, int64_t start_j,
                      int64_t num_bins, uint64_t seed, int64_t num_surrs,
                      int64_t maxlag, double *out, tess_error_t *err)
{
    if (rows_i < 1 || rows_j < 1 || start_i < 0 || start_j < 0)
        return BAD(err, "blocks of %" PRId64 " and %" PRId64 " neurons at %"
                   PRId64 " and %" PRId64 ": need >= 1 neuron each, at "
                   ">= 0", rows_i, rows_j, start_i, start_j);
    if (neurons_check_params(2, num_bins, maxlag, num_surrs, err) < 0 ||
        neurons_check_spikes(spikes_i, rows_i, num_bins, err) < 0 ||
        neurons_check_spikes(spikes_j, rows_j, num_bins, err) < 0)
        return -1;
    neurons_mt_t mt;
    if (neurons_mt_seed(&mt, seed, err) < 0)
        return -1;
    /* one spike matrix of both blocks (a block paired with itself once):
     * local neuron ni - start_i, or off_j + nj - start_j */
    int same = start_i == start_j && rows_i == rows_j;
    int64_t n = same ? rows_i : rows_i + rows_j, off_j = same ? 0 : rows_i;
    int64_t L = 2 * maxlag + 1;
    uint8_t *both = same ? NULL : malloc((size_t)(n * num_bins));
    double *surrs = malloc((size_t)(2 * L) * sizeof(double));
    struct ws w;
    memset(&w, 0, sizeof(w));
    if ((!same && !both) || !surrs)
        goto oom;
    if (!same) {
        memcpy(both, spikes_i, (size_t)(rows_i * num_bins));
        memcpy(both + rows_i * num_bins, spikes_j,
               (size_t)(rows_j * num_bins));
    }
    if (ws_init(&w, same ? spikes_i : both, n, num_bins, L) < 0)
        goto oom;
    for (int64_t a = 0; a < rows_i; a++) {
        for (int64_t b = 0; b < rows_j; b++) {
            double *o = out + (a * rows_j + b) * NEURONS_CC_CHANNELS * L;
            if (start_i + a >= start_j + b) {
                for (int64_t k = 0; k < NEURONS_CC_CHANNELS * L; k++)
                    o[k] = NAN;
                continue;
            }
            cc_original(&w, a, off_j + b, maxlag, L, o + NEURONS_CC_ORIG * L);
            cc_surrogates(&w, &mt, a, off_j + b, num_bins, maxlag, L,
                          num_surrs, surrs);
            for (int64_t k = 0; k < L; k++) {
                o[NEURONS_CC_HI * L + k] = surrs[2 * k];
                o[NEURONS_CC_LO * L + k] = surrs[2 * k + 1];
            }
        }
    }
    ws_free(&w);
    free(both);
    free(surrs);
    return 0;
oom:
    ws_free(&w);
    free(both);
    free(surrs);
    errno = ENOMEM;
    return tess_errprintf(err, "out of memory for blocks of %" PRId64 " and %"
                          PRId64 " neurons", rows_i, rows_j);
}

int64_t neurons_lags_outside(const double *orig, const double *hi,
                             const double *lo, int64_t L)
{
    int64_t n = 0;
    for (int64_t k = 0; k < L; k++) {
        if (isnan(orig[k]))
            return -1;
        n += orig[k] > hi[k] || orig[k] < lo[k];
    }
    return n;
}
