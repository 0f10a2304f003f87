/*
 * test_neurons.c - unit tests of examples/neurons/neurons.c.
 *
 * Expected random values were obtained once from numpy 1.24 with
 * /usr/bin/python3 (commands in the comments); the correlation code is
 * checked against a naive implementation of its definition written here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "examples/neurons/neurons.h"

/* ------------------------------------------------------------------ */
/* Generator                                                           */
/* ------------------------------------------------------------------ */

/* Raw outputs: numpy returns the masked-off 32-bit output unchanged for
 * the full range, so
 *   np.random.RandomState(s).randint(0, 2**32, size=n, dtype=np.uint64)
 * lists the genrand_int32 outputs. */
static void test_mt_raw(void)
{
    static const struct {
        uint64_t seed;
        uint32_t out[4];
    } cases[] = {
        {5489, {3499211612U, 581869302U, 3890346734U, 3586334585U}},
        {2398645, {4188841330U, 1953346606U, 1528771197U, 2780881468U}},
        {0, {2357136044U, 2546248239U, 3071714933U, 0}},
        {4294967295U, {419326371U, 479346978U, 3918654476U, 0}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        neurons_mt_t mt;
        CU_ASSERT_EQUAL_FATAL(neurons_mt_seed(&mt, cases[c].seed, NULL), 0);
        for (int i = 0; i < 4 && cases[c].out[i]; i++)
            CU_ASSERT_EQUAL(neurons_mt_next(&mt), cases[c].out[i]);
    }
}

/* Across state regenerations: output 1000 (numpy, as above) and output
 * 10000, which C++ [rand.predef] requires to be 4123659995 for 5489. */
static void test_mt_long_run(void)
{
    neurons_mt_t mt;
    uint32_t v = 0;
    neurons_mt_seed(&mt, 5489, NULL);
    for (int i = 1; i <= 10000; i++) {
        v = neurons_mt_next(&mt);
        if (i == 1000)
            CU_ASSERT_EQUAL(v, 1341017984U);
    }
    CU_ASSERT_EQUAL(v, 4123659995U);
}

static void test_mt_seed_range(void)
{
    neurons_mt_t mt;
    tess_error_t err = {{0}};
    errno = 0;
    CU_ASSERT_EQUAL(neurons_mt_seed(&mt, (uint64_t)1 << 32, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "seed 4294967296 is outside [0, 2^32)"));
    CU_ASSERT_EQUAL(neurons_mt_seed(&mt, UINT64_MAX, NULL), -1);
}

/* np.random.RandomState(2398645).randint(0, n, size=8) */
static void test_mt_bounded(void)
{
    static const struct {
        uint32_t n;
        uint32_t out[8];
    } cases[] = {
        {1, {0, 0, 0, 0, 0, 0, 0, 0}},
        {2, {0, 0, 1, 0, 0, 1, 0, 1}},
        {500, {370, 46, 125, 60, 90, 197, 316, 353}},
        {512, {370, 46, 125, 60, 90, 197, 316, 353}},
        {513, {370, 46, 197, 325, 36, 310, 262, 465}},
        {1000, {370, 46, 637, 572, 602, 197, 828, 865}},
        {2147483648U, {2041357682U, 1953346606U, 1528771197U, 633397820U,
                       357915226U, 1359384773U, 427690812U, 888850273U}},
        {4294967295U, {4188841330U, 1953346606U, 1528771197U, 2780881468U,
                       357915226U, 3506868421U, 2575174460U, 888850273U}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        neurons_mt_t mt;
        neurons_mt_seed(&mt, 2398645, NULL);
        for (int i = 0; i < 8; i++)
            CU_ASSERT_EQUAL(neurons_mt_bounded(&mt, cases[c].n),
                            cases[c].out[i]);
    }
    /* n == 1 draws nothing: the next raw output is still the first one. */
    neurons_mt_t mt;
    neurons_mt_seed(&mt, 2398645, NULL);
    neurons_mt_bounded(&mt, 1);
    CU_ASSERT_EQUAL(neurons_mt_next(&mt), 4188841330U);
}

/* [x.hex() for x in np.random.RandomState(5489).random_sample(3)] */
static void test_mt_double(void)
{
    neurons_mt_t mt;
    neurons_mt_seed(&mt, 5489, NULL);
    CU_ASSERT_EQUAL(neurons_mt_double(&mt), 0x1.a1237688aba7bp-1);
    CU_ASSERT_EQUAL(neurons_mt_double(&mt), 0x1.cfc3f5f570c7dp-1);
    CU_ASSERT_EQUAL(neurons_mt_double(&mt), 0x1.0411a9f807b7cp-3);
}

/* ------------------------------------------------------------------ */
/* Parameters, pairs, fragments                                        */
/* ------------------------------------------------------------------ */

/* Python: round(x) for each x; [(s, round(s*0.95), round(s*0.05))]. */
static void test_round_half_even(void)
{
    static const struct {
        double x;
        int64_t r;
    } cases[] = {
        {0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2}, {9.5, 10},
        {10.45, 10}, {0.49999999999999994, 0}, {3.5000000000000004, 4},
        {190.0, 190}, {-2.7, -3},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        CU_ASSERT_EQUAL(neurons_round_half_even(cases[c].x), cases[c].r);

    static const int64_t q[][3] = {
        {10, 10, 0}, {11, 10, 1}, {30, 28, 2}, {50, 48, 2}, {200, 190, 10},
        {9, 9, 0},   {1, 1, 0},   {21, 20, 1}, {90, 86, 4},
    };
    for (size_t c = 0; c < sizeof(q) / sizeof(q[0]); c++) {
        CU_ASSERT_EQUAL(neurons_quantile_index(q[c][0], 0.95), q[c][1]);
        CU_ASSERT_EQUAL(neurons_quantile_index(q[c][0], 0.05), q[c][2]);
    }
}

static void expect_bad(int rc, const tess_error_t *err, const char *text)
{
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->text, text));
    if (!strstr(err->text, text))
        fprintf(stderr, "\n  message '%s' lacks '%s'\n", err->text, text);
}

static void test_check_params(void)
{
    tess_error_t err;
    CU_ASSERT_EQUAL(neurons_check_params(100, 500, 200, 200, &err), 0);
    CU_ASSERT_EQUAL(neurons_check_params(2, 2, 0, 11, &err), 0);
    CU_ASSERT_EQUAL(neurons_check_params(12, 80, 78, 11, &err), 0);
    errno = 0;
    expect_bad(neurons_check_params(12, 80, 79, 11, &err), &err,
               "maxlag=79: need 0 <= maxlag <= num_bins-2 = 78");
    expect_bad(neurons_check_params(12, 80, -1, 11, &err), &err, "maxlag=-1");
    expect_bad(neurons_check_params(1, 80, 5, 11, &err), &err,
               "num_neurons=1");
    expect_bad(neurons_check_params(5, 1, 0, 11, &err), &err, "num_bins=1");
    expect_bad(neurons_check_params(5, 50, 5, 0, &err), &err, "num_surrs=0");
    /* round(10*0.95) == 10: past the last surrogate; every num_surrs <= 10
     * has this, 11 is the smallest usable. */
    expect_bad(neurons_check_params(5, 50, 5, 10, &err), &err,
               "num_surrs=10: the 95% order statistic, element "
               "round(num_surrs*0.95)=10, is past the last surrogate");
    for (int64_t s = 1; s <= 10; s++)
        CU_ASSERT_EQUAL(neurons_check_params(5, 50, 5, s, NULL), -1);
}

static void test_check_spikes(void)
{
    uint8_t sp[2][3] = {{0, 1, 0}, {1, 2, 0}};
    tess_error_t err;
    errno = 0;
    expect_bad(neurons_check_spikes(&sp[0][0], 2, 3, &err), &err,
               "spikes[1][1] = 2: spikes must be 0 or 1");
    sp[1][1] = 1;
    CU_ASSERT_EQUAL(neurons_check_spikes(&sp[0][0], 2, 3, &err), 0);
}

static void test_frag_bounds(void)
{
    static const int64_t cases[][2] = {
        {4950, 10}, {4950, 7}, {66, 1}, {66, 3}, {66, 7}, {66, 66},
        {190, 7}, {5, 9}, {0, 3},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int64_t num_ccs = cases[c][0], nf = cases[c][1];
        int64_t step = num_ccs / nf, rem = num_ccs % nf, prev_end = 0;
        for (int64_t f = 0; f < nf; f++) {
            int64_t s, e;
            CU_ASSERT_EQUAL_FATAL(neurons_frag_bounds(num_ccs, nf, f, &s, &e), 0);
            CU_ASSERT_EQUAL(s, prev_end); /* contiguous, in order */
            CU_ASSERT_EQUAL(e - s, step + (f < rem ? 1 : 0));
            prev_end = e;
        }
        CU_ASSERT_EQUAL(prev_end, num_ccs); /* sizes sum to num_ccs */
    }
    int64_t s, e;
    neurons_frag_bounds(4950, 7, 0, &s, &e);
    CU_ASSERT(s == 0 && e == 708); /* 4950 = 7*707 + 1: only f=0 longer */
    neurons_frag_bounds(4950, 7, 1, &s, &e);
    CU_ASSERT(s == 708 && e == 1415);
    errno = 0;
    CU_ASSERT_EQUAL(neurons_frag_bounds(10, 0, 0, &s, &e), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(neurons_frag_bounds(10, 3, 3, &s, &e), -1);
    CU_ASSERT_EQUAL(neurons_frag_bounds(10, 3, -1, &s, &e), -1);
    CU_ASSERT_EQUAL(neurons_frag_bounds(-1, 3, 0, &s, &e), -1);
}

static void test_frag_seed(void)
{
    uint64_t s;
    tess_error_t err;
    CU_ASSERT_EQUAL(neurons_frag_seed(2398645, 1782324, 0, &s, &err), 0);
    CU_ASSERT_EQUAL(s, 2398645);
    CU_ASSERT_EQUAL(neurons_frag_seed(2398645, 1782324, 9, &s, &err), 0);
    CU_ASSERT_EQUAL(s, 2398645 + 9 * 1782324);
    /* The largest fragment the defaults allow: 2398645 + 2408*1782324. */
    CU_ASSERT_EQUAL(neurons_frag_seed(2398645, 1782324, 2408, &s, &err), 0);
    CU_ASSERT_EQUAL(s, 4294234837U);
    errno = 0;
    expect_bad(neurons_frag_seed(2398645, 1782324, 2409, &s, &err), &err,
               "seed of fragment 2409");
    expect_bad(neurons_frag_seed(5, -3, 2, &s, &err), &err, "outside [0, 2^32)");
    expect_bad(neurons_frag_seed(-1, 0, 0, &s, &err), &err, "outside");
    expect_bad(neurons_frag_seed(0, INT64_MAX, INT64_MAX, &s, &err), &err,
               "outside");
    expect_bad(neurons_frag_seed(0, INT64_MIN, 1, &s, &err), &err, "outside");
    CU_ASSERT_EQUAL(neurons_frag_seed(10, -3, 3, &s, &err), 0);
    CU_ASSERT_EQUAL(s, 1);
}

static void test_pairs(void)
{
    for (int64_t n = 2; n <= 9; n++) {
        int64_t p = 0;
        CU_ASSERT_EQUAL(neurons_num_ccs(n), n * (n - 1) / 2);
        for (int64_t i = 0; i < n - 1; i++) {
            for (int64_t j = i + 1; j < n; j++, p++) {
                int64_t ni, nj;
                neurons_pair(n, p, &ni, &nj);
                CU_ASSERT(ni == i && nj == j);
            }
        }
        CU_ASSERT_EQUAL(p, neurons_num_ccs(n));
    }
    int64_t ni, nj;
    neurons_pair(100, 4949, &ni, &nj);
    CU_ASSERT(ni == 98 && nj == 99);
    neurons_pair(100, 99, &ni, &nj);
    CU_ASSERT(ni == 1 && nj == 2);
    CU_ASSERT_EQUAL(neurons_num_ccs(1), 0);
}

/* ------------------------------------------------------------------ */
/* Correlation: against the definitions, written naively               */
/* ------------------------------------------------------------------ */

/* Full correlation index m of the definition, c[m] = sum_t a[t+m-(B-1)]b[t]. */
static double naive_full(const uint8_t *a, const uint8_t *b, int64_t B,
                         int64_t m)
{
    double c = 0.0;
    for (int64_t t = 0; t < B; t++) {
        int64_t u = t + m - (B - 1);
        if (u >= 0 && u < B)
            c += (double)a[u] * (double)b[t];
    }
    return c;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The original algorithm, literally: dense surrogates, full sort. */
static void naive_range(const uint8_t *sp, int64_t N, int64_t B, int64_t start,
                        int64_t end, uint64_t seed, int64_t S, int64_t maxlag,
                        double *orig, double *surrs)
{
    int64_t L = 2 * maxlag + 1;
    uint8_t *si = malloc((size_t)B), *sj = malloc((size_t)B);
    double *vals = malloc((size_t)(L * S) * sizeof(double)); /* [k][s] */
    neurons_mt_t mt;
    neurons_mt_seed(&mt, seed, NULL);
    for (int64_t p = start; p < end; p++) {
        int64_t ni, nj, n_i = 0, n_j = 0;
        neurons_pair(N, p, &ni, &nj);
        const uint8_t *a = sp + ni * B, *b = sp + nj * B;
        for (int64_t t = 0; t < B; t++) {
            n_i += a[t];
            n_j += b[t];
        }
        for (int64_t k = 0; k < L; k++)
            orig[(p - start) * L + k] = naive_full(a, b, B, B - maxlag + k);
        for (int64_t s = 0; s < S; s++) {
            memset(si, 0, (size_t)B);
            memset(sj, 0, (size_t)B);
            for (int64_t c = 0; c < n_i; c++)
                si[neurons_mt_bounded(&mt, (uint32_t)B)] = 1;
            for (int64_t c = 0; c < n_j; c++)
                sj[neurons_mt_bounded(&mt, (uint32_t)B)] = 1;
            for (int64_t k = 0; k < L; k++)
                vals[k * S + s] = naive_full(si, sj, B, B - maxlag + k);
        }
        for (int64_t k = 0; k < L; k++) {
            qsort(vals + k * S, (size_t)S, sizeof(double), cmp_double);
            double *o = surrs + ((p - start) * L + k) * 2;
            o[0] = vals[k * S + neurons_quantile_index(S, 0.95)];
            o[1] = vals[k * S + neurons_quantile_index(S, 0.05)];
        }
    }
    free(si);
    free(sj);
    free(vals);
}

static uint8_t *random_spikes(int64_t N, int64_t B, double rate, uint64_t seed)
{
    uint8_t *sp = malloc((size_t)(N * B));
    neurons_mt_t mt;
    neurons_mt_seed(&mt, seed, NULL);
    for (int64_t i = 0; i < N * B; i++)
        sp[i] = neurons_mt_double(&mt) < rate;
    return sp;
}

/* Run both on pairs [start, end) and require bitwise equality. */
static void compare_range(const uint8_t *sp, int64_t N, int64_t B,
                          int64_t start, int64_t end, uint64_t seed, int64_t S,
                          int64_t maxlag)
{
    int64_t L = 2 * maxlag + 1, np = end - start;
    size_t no = (size_t)(np * L), ns = 2 * no;
    double *o1 = malloc(no * sizeof(double) + 1), *o2 = malloc(no * sizeof(double) + 1);
    double *s1 = malloc(ns * sizeof(double) + 1), *s2 = malloc(ns * sizeof(double) + 1);
    tess_error_t err;
    int rc = neurons_cc_range(sp, N, B, start, end, seed, S, maxlag, o1, s1,
                              &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc == 0) {
        naive_range(sp, N, B, start, end, seed, S, maxlag, o2, s2);
        CU_ASSERT(memcmp(o1, o2, no * sizeof(double)) == 0);
        CU_ASSERT(memcmp(s1, s2, ns * sizeof(double)) == 0);
    } else {
        fprintf(stderr, "\n  neurons_cc_range: %s\n", err.text);
    }
    free(o1);
    free(o2);
    free(s1);
    free(s2);
}

static void test_cc_vs_naive(void)
{
    static const struct {
        int64_t N, B;
        double rate;
        int64_t maxlag, S;
    } cases[] = {
        {5, 37, 0.1, 10, 11},  /* sparse */
        {5, 37, 0.1, 0, 11},   /* one lag */
        {5, 37, 0.1, 35, 13},  /* widest window: maxlag = B-2 */
        {4, 30, 0.9, 12, 20},  /* dense: many repeated draws */
        {4, 64, 0.5, 20, 21},  /* bit 63 of the surrogate bit set */
        {5, 200, 0.1, 60, 15}, /* several words */
        {3, 129, 0.3, 127, 11},
        {3, 12, 0.0, 5, 11},   /* silent neurons */
        {3, 12, 1.0, 5, 11},   /* always firing */
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int64_t N = cases[c].N, B = cases[c].B, nccs = neurons_num_ccs(N);
        uint8_t *sp = random_spikes(N, B, cases[c].rate, 100 + c);
        compare_range(sp, N, B, 0, nccs, 2398645, cases[c].S, cases[c].maxlag);
        /* A range starting mid-row: the first pair is found, then walked. */
        compare_range(sp, N, B, 2, nccs - 1, 77, cases[c].S, cases[c].maxlag);
        free(sp);
    }
}

/* The original's output on a tiny input, from numpy:
 *   sp = (np.random.RandomState(3).random_sample((3, 12)) < 0.3)
 *        .astype(np.uint8)
 *   o, s = cc_numpy.cc_surrogate_range(sp, 0, 3, 7, 11, 3)
 * (seed 7, num_surrs 11, maxlag 3); printed with '%d' of o.ravel(), s.ravel(). */
static void test_cc_numpy_values(void)
{
    static const double np_orig[3 * 7] = {
        2, 2, 2, 2, 3, 1, 2, 0, 2, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0};
    static const double np_surrs[3 * 7 * 2] = {
        2, 0, 3, 0, 4, 1, 2, 1, 3, 1, 3, 0, 3, 0, 2, 0, 2, 0, 1, 0, 1,
        0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 2, 0};
    int64_t L = 7;
    uint8_t *sp = random_spikes(3, 12, 0.3, 3);
    double orig[3 * 7], surrs[3 * 7 * 2];
    tess_error_t err;
    CU_ASSERT_EQUAL_FATAL(neurons_cc_range(sp, 3, 12, 0, 3, 7, 11, 3, orig,
                                           surrs, &err), 0);
    for (int64_t i = 0; i < 3 * L; i++)
        CU_ASSERT_EQUAL(orig[i], np_orig[i]);
    for (int64_t i = 0; i < 3 * L * 2; i++)
        CU_ASSERT_EQUAL(surrs[i], np_surrs[i]);
    free(sp);
}

static void test_cc_errors(void)
{
    uint8_t sp[3 * 12] = {0};
    double o[3 * 7], s[3 * 7 * 2];
    tess_error_t err;
    errno = 0;
    expect_bad(neurons_cc_range(sp, 3, 12, 0, 4, 7, 11, 3, o, s, &err), &err,
               "pairs [0, 4) are not within [0, 3) (3 neurons)");
    expect_bad(neurons_cc_range(sp, 3, 12, 2, 1, 7, 11, 3, o, s, &err), &err,
               "pairs [2, 1)");
    expect_bad(neurons_cc_range(sp, 3, 12, 0, 3, (uint64_t)1 << 32, 11, 3, o,
                                s, &err), &err, "outside [0, 2^32)");
    expect_bad(neurons_cc_range(sp, 3, 12, 0, 3, 7, 11, 11, o, s, &err), &err,
               "maxlag=11");
    expect_bad(neurons_cc_range(sp, 3, 12, 0, 3, 7, 10, 3, o, s, &err), &err,
               "num_surrs=10");
    sp[13] = 7;
    expect_bad(neurons_cc_range(sp, 3, 12, 0, 3, 7, 11, 3, o, s, &err), &err,
               "spikes[1][1] = 7");
    /* An empty range is fine and writes nothing. */
    sp[13] = 1;
    CU_ASSERT_EQUAL(neurons_cc_range(sp, 3, 12, 1, 1, 7, 11, 3, o, s, &err), 0);
}

int main(void)
{
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        {"mt raw outputs", test_mt_raw},
        {"mt long run", test_mt_long_run},
        {"mt seed range", test_mt_seed_range},
        {"mt bounded = numpy randint", test_mt_bounded},
        {"mt double = numpy random_sample", test_mt_double},
        {"round half even, quantile index", test_round_half_even},
        {"check params", test_check_params},
        {"check spikes", test_check_spikes},
        {"fragment bounds", test_frag_bounds},
        {"fragment seeds", test_frag_seed},
        {"pair enumeration", test_pairs},
        {"cc range = naive original", test_cc_vs_naive},
        {"cc range = numpy values", test_cc_numpy_values},
        {"cc range errors", test_cc_errors},
    };
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite("neurons", NULL, NULL);
    for (size_t i = 0; suite && i < sizeof(tests) / sizeof(tests[0]); i++)
        if (!CU_add_test(suite, tests[i].name, tests[i].fn))
            suite = NULL;
    if (!suite) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
