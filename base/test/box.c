/* test_box - boxes of dense arrays: numel, inside, copy, format, slabs. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "base/box.h"
#include "base/test/cunit_main.h"
#include "base/test/rng.h"

/* A number in [0, n) (0 if n is 0). */
static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static void test_numel(void)
{
    int64_t c[3] = {2, 3, 4};
    CU_ASSERT_EQUAL(box_numel(3, c), 24);
    c[1] = 0;
    CU_ASSERT_EQUAL(box_numel(3, c), 0);
    c[1] = -1;
    errno = 0;
    CU_ASSERT_EQUAL(box_numel(3, c), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    int64_t big[2] = {INT64_MAX / 2, 3};
    errno = 0;
    CU_ASSERT_EQUAL(box_numel(2, big), -1);
    CU_ASSERT_EQUAL(errno, EOVERFLOW);
    errno = 0;
    CU_ASSERT_EQUAL(box_numel(0, c), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(box_numel(TESS_MAX_RANK + 1, c), -1);
}

static void test_inside(void)
{
    int64_t os[2] = {10, 20}, oc[2] = {5, 6};
    int64_t s[2] = {10, 20}, c[2] = {5, 6};
    CU_ASSERT_TRUE(box_inside(2, s, c, os, oc));
    c[1] = 7;
    CU_ASSERT_FALSE(box_inside(2, s, c, os, oc));
    c[1] = 0;
    s[1] = 26; /* empty box at the end: inside */
    CU_ASSERT_TRUE(box_inside(2, s, c, os, oc));
    s[1] = 27;
    CU_ASSERT_FALSE(box_inside(2, s, c, os, oc));
    s[1] = 19;
    CU_ASSERT_FALSE(box_inside(2, s, c, os, oc));
    int64_t hs[1] = {INT64_MAX}, hc[1] = {1}, zs[1] = {0}, zc[1] = {5};
    CU_ASSERT_FALSE(box_inside(1, hs, hc, zs, zc));
    int64_t ns[1] = {INT64_MIN};
    CU_ASSERT_FALSE(box_inside(1, hs, hc, ns, zc)); /* no overflow */
}

/* Reference copy, element by element. */
static void ref_copy(int rank, const int32_t *src, const int64_t *ss,
                     const int64_t *sst, int32_t *dst, const int64_t *ds,
                     const int64_t *dst0, const int64_t *cnt)
{
    int64_t idx[TESS_MAX_RANK] = {0};
    int64_t n = box_numel(rank, cnt);
    for (int64_t k = 0; k < n; k++) {
        int64_t so = 0, doff = 0;
        for (int d = 0; d < rank; d++) {
            so = so * ss[d] + sst[d] + idx[d];
            doff = doff * ds[d] + dst0[d] + idx[d];
        }
        dst[doff] = src[so];
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < cnt[d])
                break;
            idx[d] = 0;
        }
    }
}

static void test_copy_random(void)
{
    for (int iter = 0; iter < 2000; iter++) {
        int rank = 1 + (int)rnd_below(4);
        int64_t ss[4], ds[4], cnt[4], sst[4], dst0[4];
        for (int d = 0; d < rank; d++) {
            cnt[d] = (int64_t)rnd_below(5) + (rnd_below(8) == 0 ? 0 : 1);
            /* often the whole extent, to exercise the collapsing */
            ss[d] = cnt[d] + (rnd_below(2) ? 0 : (int64_t)rnd_below(4));
            ds[d] = cnt[d] + (rnd_below(2) ? 0 : (int64_t)rnd_below(4));
            sst[d] = (int64_t)rnd_below((uint64_t)(ss[d] - cnt[d] + 1));
            dst0[d] = (int64_t)rnd_below((uint64_t)(ds[d] - cnt[d] + 1));
        }
        int64_t ns = box_numel(rank, ss), nd = box_numel(rank, ds);
        int32_t *src = malloc((size_t)(ns + 1) * sizeof(*src));
        int32_t *a = malloc((size_t)(nd + 1) * sizeof(*a));
        int32_t *b = malloc((size_t)(nd + 1) * sizeof(*b));
        for (int64_t i = 0; i < ns; i++)
            src[i] = (int32_t)i + 1;
        for (int64_t i = 0; i < nd; i++)
            a[i] = b[i] = -7;
        CU_ASSERT_EQUAL_FATAL(box_copy(sizeof(int32_t), rank, src, ss, sst,
                                       a, ds, dst0, cnt), 0);
        ref_copy(rank, src, ss, sst, b, ds, dst0, cnt);
        CU_ASSERT_EQUAL(memcmp(a, b, (size_t)nd * sizeof(*a)), 0);
        free(src);
        free(a);
        free(b);
    }
}

static void test_copy_errors(void)
{
    int64_t ss[2] = {4, 4}, ds[2] = {2, 2}, z[2] = {0, 0}, c[2] = {3, 3};
    double src[16] = {0}, dst[4];
    errno = 0;
    CU_ASSERT_EQUAL(box_copy(8, 2, src, ss, z, dst, ds, z, c), -1);
    CU_ASSERT_EQUAL(errno, EINVAL); /* does not fit the destination */
    int64_t st[2] = {2, 2};
    c[0] = c[1] = 2;
    CU_ASSERT_EQUAL(box_copy(8, 2, src, ss, st, dst, ds, z, c), 0);
    st[1] = 3;
    errno = 0;
    CU_ASSERT_EQUAL(box_copy(8, 2, src, ss, st, dst, ds, z, c), -1);
    CU_ASSERT_EQUAL(errno, EINVAL); /* outside the source */
    c[0] = 0; /* empty: nothing copied, NULL buffers allowed */
    st[1] = 2;
    CU_ASSERT_EQUAL(box_copy(8, 2, NULL, ss, st, NULL, ds, z, c), 0);
}

static void test_format(void)
{
    char buf[64];
    int64_t s[3] = {0, 5, 7}, c[3] = {10, 4, 0};
    CU_ASSERT_STRING_EQUAL(box_format(buf, sizeof(buf), 3, s, c),
                           "[0:10, 5:9, 7:7]");
    CU_ASSERT_STRING_EQUAL(box_format_shape(buf, sizeof(buf), 3, c),
                           "10x4x0");
    box_format(buf, 8, 3, s, c); /* truncated, terminated */
    CU_ASSERT_EQUAL(strlen(buf), 7);
}

/* Slabs must tile the box exactly once, in row-major order, each within
 * the byte limit (unless a single element is larger). */
static void check_slabs(int rank, const int64_t *start, const int64_t *count,
                        size_t elsize, size_t max_bytes)
{
    box_slabs_t it;
    int64_t s[TESS_MAX_RANK], c[TESS_MAX_RANK];
    int64_t n = box_numel(rank, count);
    unsigned char *seen = calloc((size_t)n + 1, 1);
    size_t bound = box_slabs_init(&it, rank, start, count, elsize, max_bytes);
    int64_t covered = 0, last = -1;

    while (box_slabs_next(&it, s, c)) {
        int64_t k = box_numel(rank, c);
        CU_ASSERT_TRUE(k > 0);
        CU_ASSERT_TRUE((size_t)k * elsize <= bound);
        CU_ASSERT_TRUE((size_t)k * elsize <= max_bytes || k == 1);
        CU_ASSERT_TRUE(box_inside(rank, s, c, start, count));
        /* mark the elements */
        int64_t idx[TESS_MAX_RANK] = {0};
        for (int64_t e = 0; e < k; e++) {
            int64_t off = 0;
            for (int d = 0; d < rank; d++)
                off = off * count[d] + (s[d] - start[d] + idx[d]);
            CU_ASSERT_EQUAL(seen[off], 0);
            seen[off] = 1;
            if (e == 0) {
                CU_ASSERT_TRUE(off > last); /* row-major order */
                last = off;
            }
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < c[d])
                    break;
                idx[d] = 0;
            }
        }
        covered += k;
    }
    CU_ASSERT_EQUAL(covered, n);
    free(seen);
}

static void test_slabs(void)
{
    int64_t s3[3] = {3, 0, 1}, c3[3] = {7, 5, 3};
    for (size_t lim = 1; lim <= 8 * 7 * 5 * 3 + 8; lim += 7)
        check_slabs(3, s3, c3, 8, lim);
    int64_t s1[1] = {5}, c1[1] = {100};
    check_slabs(1, s1, c1, 4, 64);
    check_slabs(1, s1, c1, 4, 1000);
    int64_t s4[4] = {0, 1, 2, 3}, c4[4] = {2, 3, 4, 5};
    for (size_t lim = 1; lim < 2000; lim = lim * 3 + 1)
        check_slabs(4, s4, c4, 2, lim);

    box_slabs_t it;
    int64_t s[2], c[2], z[2] = {0, 0}, e[2] = {4, 0};
    CU_ASSERT_EQUAL(box_slabs_init(&it, 2, z, e, 8, 1024), 0);
    CU_ASSERT_FALSE(box_slabs_next(&it, s, c));
    /* whole box fits: one slab */
    int64_t w[2] = {4, 4};
    CU_ASSERT_EQUAL(box_slabs_init(&it, 2, z, w, 8, 1024), 128);
    CU_ASSERT_TRUE(box_slabs_next(&it, s, c));
    CU_ASSERT_EQUAL(c[0], 4);
    CU_ASSERT_EQUAL(c[1], 4);
    CU_ASSERT_FALSE(box_slabs_next(&it, s, c));
}

static const cunit_test_t tests[] = {
    {"numel", test_numel},
    {"inside", test_inside},
    {"copy against a reference", test_copy_random},
    {"copy errors", test_copy_errors},
    {"format", test_format},
    {"slabs tile the box", test_slabs},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("box", NULL, NULL, tests);
}
