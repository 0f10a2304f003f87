/*
 * test_region - the box algebra of engine/region.c.
 *
 * Fixed cases in ranks 1..4 (each case is replayed with the interesting
 * interval in every dimension, the other dimensions shared), then a
 * randomized comparison of overlap / containment / intersection / difference
 * against a brute-force enumeration of elements (fixed seeds).
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/test/cunit_main.h"
#include "base/test/rng.h"
#include "engine/region.h"

#define MAXR 4 /* ranks exercised here */

/* box(rank, s0, c0, s1, c1, ...) */
static region_t box(int rank, ...)
{
    region_t r;
    va_list ap;
    memset(&r, 0, sizeof(r));
    r.rank = rank;
    va_start(ap, rank);
    for (int d = 0; d < rank; d++) {
        r.start[d] = va_arg(ap, int);
        r.count[d] = va_arg(ap, int);
    }
    va_end(ap);
    return r;
}

/* A rank-r box, [bs, bs+bc) in every dimension but k, [s, s+c) in k. */
static region_t box_k(int rank, int k, int64_t s, int64_t c, int64_t bs,
                      int64_t bc)
{
    region_t r;
    memset(&r, 0, sizeof(r));
    r.rank = rank;
    for (int d = 0; d < rank; d++) {
        r.start[d] = d == k ? s : bs;
        r.count[d] = d == k ? c : bc;
    }
    return r;
}

static const char *fmt(const region_t *r)
{
    static char bufs[4][256];
    static int i;
    i = (i + 1) % 4;
    return region_format(r, bufs[i], sizeof(bufs[i]));
}

static int in_box(const region_t *r, const int64_t *p)
{
    for (int d = 0; d < r->rank; d++)
        if (p[d] < r->start[d] || p[d] >= r->start[d] + r->count[d])
            return 0;
    return 1;
}

/* Advance p over the box [lo, lo+n); 0 when done. */
static int next_point(int rank, int64_t *p, const int64_t *lo,
                      const int64_t *n)
{
    for (int d = rank - 1; d >= 0; d--) {
        if (++p[d] < lo[d] + n[d])
            return 1;
        p[d] = lo[d];
    }
    return 0;
}

/*
 * The contract of region_difference, checked element by element over a
 * bounding box of a and b: at most 2*rank non-empty pieces, each inside a,
 * none meeting b, pairwise disjoint, covering exactly a \ b. Returns the
 * number of pieces; records CUnit failures with the operands.
 */
static int check_difference(const region_t *a, const region_t *b)
{
    region_t out[2 * TESS_MAX_RANK];
    region_t inter;
    int n = region_difference(a, b, out);
    int rank = a->rank;
    int ok = 1;

    CU_ASSERT(n >= 0 && n <= 2 * rank);
    if (n < 0 || n > 2 * rank)
        return n;
    int64_t vsum = 0;
    for (int i = 0; i < n; i++) {
        ok &= out[i].rank == rank;
        ok &= !region_is_empty(&out[i]);
        ok &= region_contains(a, &out[i]);
        ok &= !region_overlaps(&out[i], b);
        for (int j = 0; j < i; j++)
            ok &= !region_overlaps(&out[i], &out[j]);
        vsum += region_volume(&out[i]);
    }
    int64_t vi = region_intersect(a, b, &inter) ? region_volume(&inter) : 0;
    if (!region_is_empty(a))
        ok &= vsum == region_volume(a) - vi;
    else
        ok &= n == 0;

    /* Element by element over the bounding box of a and b. */
    int64_t lo[TESS_MAX_RANK], ext[TESS_MAX_RANK], p[TESS_MAX_RANK];
    int any = 1;
    for (int d = 0; d < rank; d++) {
        int64_t l = a->start[d] < b->start[d] ? a->start[d] : b->start[d];
        int64_t ae = a->start[d] + a->count[d];
        int64_t be = b->start[d] + b->count[d];
        int64_t h = ae > be ? ae : be;
        lo[d] = l;
        ext[d] = h - l;
        p[d] = l;
        if (ext[d] <= 0)
            any = 0;
    }
    if (any) {
        do {
            int want = in_box(a, p) && !in_box(b, p);
            int got = 0;
            for (int i = 0; i < n; i++)
                got += in_box(&out[i], p);
            ok &= got == want;
        } while (next_point(rank, p, lo, ext));
    }
    if (!ok)
        fprintf(stderr, "\n  difference %s - %s: %d pieces, wrong\n", fmt(a),
                fmt(b), n);
    CU_ASSERT(ok);
    return n;
}

/* Overlap, containment and intersection of two boxes that differ only in
 * dimension k, in every rank and every k. */
static void test_overlap_cases(void)
{
    region_t out;
    for (int rank = 1; rank <= MAXR; rank++) {
        for (int k = 0; k < rank; k++) {
            region_t a = box_k(rank, k, 0, 4, 0, 3);
            region_t dis = box_k(rank, k, 5, 2, 0, 3);
            region_t touch = box_k(rank, k, 4, 2, 0, 3);
            region_t touch_lo = box_k(rank, k, -2, 2, 0, 3);
            region_t part = box_k(rank, k, 2, 4, 0, 3);
            region_t inner = box_k(rank, k, 1, 2, 0, 3);
            region_t same = a;

            /* disjoint */
            CU_ASSERT_EQUAL(region_overlaps(&a, &dis), 0);
            CU_ASSERT_EQUAL(region_overlaps(&dis, &a), 0);
            CU_ASSERT_EQUAL(region_intersect(&a, &dis, &out), 0);
            CU_ASSERT(region_is_empty(&out));
            CU_ASSERT_EQUAL(region_volume(&out), 0);
            /* touching edges share no element */
            CU_ASSERT_EQUAL(region_overlaps(&a, &touch), 0);
            CU_ASSERT_EQUAL(region_overlaps(&touch, &a), 0);
            CU_ASSERT_EQUAL(region_overlaps(&a, &touch_lo), 0);
            CU_ASSERT_EQUAL(region_overlaps(&touch_lo, &a), 0);
            CU_ASSERT_EQUAL(region_intersect(&a, &touch, &out), 0);
            CU_ASSERT_EQUAL(region_intersect(&touch_lo, &a, &out), 0);
            CU_ASSERT_EQUAL(region_contains(&a, &touch), 0);
            /* partial */
            CU_ASSERT_EQUAL(region_overlaps(&a, &part), 1);
            CU_ASSERT_EQUAL(region_overlaps(&part, &a), 1);
            CU_ASSERT_EQUAL(region_contains(&a, &part), 0);
            CU_ASSERT_EQUAL(region_contains(&part, &a), 0);
            CU_ASSERT_EQUAL(region_intersect(&a, &part, &out), 1);
            region_t want = box_k(rank, k, 2, 2, 0, 3);
            CU_ASSERT(region_equal(&out, &want));
            CU_ASSERT_EQUAL(region_intersect(&part, &a, &out), 1);
            CU_ASSERT(region_equal(&out, &want));
            CU_ASSERT_EQUAL(region_volume(&out), 2 * region_volume(&a) / 4);
            /* contained */
            CU_ASSERT_EQUAL(region_overlaps(&a, &inner), 1);
            CU_ASSERT_EQUAL(region_overlaps(&inner, &a), 1);
            CU_ASSERT_EQUAL(region_contains(&a, &inner), 1);
            CU_ASSERT_EQUAL(region_contains(&inner, &a), 0);
            CU_ASSERT_EQUAL(region_intersect(&a, &inner, &out), 1);
            CU_ASSERT(region_equal(&out, &inner));
            CU_ASSERT_EQUAL(region_intersect(&inner, &a, &out), 1);
            CU_ASSERT(region_equal(&out, &inner));
            /* identical */
            CU_ASSERT_EQUAL(region_overlaps(&a, &same), 1);
            CU_ASSERT_EQUAL(region_contains(&a, &same), 1);
            CU_ASSERT_EQUAL(region_intersect(&a, &same, &out), 1);
            CU_ASSERT(region_equal(&out, &a));
            CU_ASSERT(region_equal(&a, &same));
            /* a box and itself overlap even when it is one element */
            region_t one = box_k(rank, k, 3, 1, 2, 1);
            CU_ASSERT_EQUAL(region_overlaps(&one, &one), 1);
            CU_ASSERT_EQUAL(region_overlaps(&one, &a), 1);
        }
        /* Boxes offset in every dimension: a corner overlap. */
        region_t a = box_k(rank, 0, 0, 4, 0, 4);
        region_t b = box_k(rank, 0, 2, 4, 2, 4);
        region_t want = box_k(rank, 0, 2, 2, 2, 2);
        CU_ASSERT_EQUAL(region_overlaps(&a, &b), 1);
        CU_ASSERT_EQUAL(region_intersect(&a, &b, &out), 1);
        CU_ASSERT(region_equal(&out, &want));
        /* Offset in every dimension but touching in the last one. */
        region_t c = box_k(rank, rank - 1, 4, 3, 2, 4);
        CU_ASSERT_EQUAL(region_overlaps(&a, &c), 0);
        CU_ASSERT_EQUAL(region_intersect(&a, &c, &out), 0);
    }
}

/* Hand-written exact intersections (not derived from one pattern). */
static void test_intersect_exact(void)
{
    region_t out;
    region_t a, b, want;

    a = box(1, 3, 7), b = box(1, 5, 10), want = box(1, 5, 5);
    CU_ASSERT_EQUAL(region_intersect(&a, &b, &out), 1);
    CU_ASSERT(region_equal(&out, &want));

    a = box(2, 0, 10, 5, 5), b = box(2, 4, 2, 0, 7), want = box(2, 4, 2, 5, 2);
    CU_ASSERT_EQUAL(region_intersect(&a, &b, &out), 1);
    CU_ASSERT(region_equal(&out, &want));
    CU_ASSERT_EQUAL(region_volume(&out), 4);

    a = box(3, 1, 3, 1, 3, 1, 3), b = box(3, 3, 5, 0, 2, 2, 1);
    want = box(3, 3, 1, 1, 1, 2, 1);
    CU_ASSERT_EQUAL(region_intersect(&a, &b, &out), 1);
    CU_ASSERT(region_equal(&out, &want));
    CU_ASSERT_EQUAL(region_volume(&out), 1);

    a = box(4, 0, 2, 0, 3, 0, 4, 0, 5), b = box(4, 1, 9, 1, 9, 1, 9, 1, 9);
    want = box(4, 1, 1, 1, 2, 1, 3, 1, 4);
    CU_ASSERT_EQUAL(region_intersect(&a, &b, &out), 1);
    CU_ASSERT(region_equal(&out, &want));
    CU_ASSERT_EQUAL(region_volume(&out), 24);

    /* Empty in one dimension only: still empty, rank preserved. */
    a = box(3, 0, 4, 0, 4, 0, 4), b = box(3, 1, 2, 4, 3, 1, 2);
    CU_ASSERT_EQUAL(region_intersect(&a, &b, &out), 0);
    CU_ASSERT_EQUAL(out.rank, 3);
    CU_ASSERT(region_is_empty(&out));
    CU_ASSERT_EQUAL(region_volume(&out), 0);

    /* An empty operand at the same place as a full one. */
    a = box(2, 0, 4, 0, 4), b = box(2, 1, 0, 1, 2);
    CU_ASSERT_EQUAL(region_overlaps(&a, &b), 0);
    CU_ASSERT_EQUAL(region_overlaps(&b, &a), 0);
    CU_ASSERT_EQUAL(region_intersect(&a, &b, &out), 0);
    CU_ASSERT_EQUAL(region_intersect(&b, &a, &out), 0);
    CU_ASSERT(region_is_empty(&out));
    CU_ASSERT_EQUAL(region_overlaps(&b, &b), 0);
}

static void test_contains(void)
{
    int64_t shape[MAXR] = {4, 5, 6, 7};
    for (int rank = 1; rank <= MAXR; rank++) {
        region_t full;
        region_full(&full, rank, shape);
        CU_ASSERT_EQUAL(full.rank, rank);
        CU_ASSERT(region_contains(&full, &full));
        for (int k = 0; k < rank; k++) {
            /* empty inner, anywhere, even outside outer */
            region_t e = box_k(rank, k, 2, 0, 1, 1);
            CU_ASSERT_EQUAL(region_contains(&full, &e), 1);
            e = box_k(rank, k, 100, 0, -50, 3);
            CU_ASSERT_EQUAL(region_contains(&full, &e), 1);
            /* ...and an empty outer contains only empty inners */
            region_t eo = box_k(rank, k, 2, 0, 0, 4);
            region_t one = box_k(rank, k, 2, 1, 0, 1);
            CU_ASSERT_EQUAL(region_contains(&eo, &one), 0);
            CU_ASSERT_EQUAL(region_contains(&eo, &e), 1);
            /* a single element at the first and the last index */
            region_t first = box_k(rank, k, 0, 1, 0, 1);
            region_t last = box_k(rank, k, shape[k] - 1, 1, 0, 1);
            CU_ASSERT_EQUAL(region_contains(&full, &first), 1);
            CU_ASSERT_EQUAL(region_contains(&full, &last), 1);
            CU_ASSERT_EQUAL(region_contains(&first, &first), 1);
            CU_ASSERT_EQUAL(region_contains(&first, &last), 0);
            CU_ASSERT_EQUAL(region_contains(&first, &full), 0);
            /* one past either end */
            region_t past = box_k(rank, k, shape[k], 1, 0, 1);
            region_t before = box_k(rank, k, -1, 1, 0, 1);
            CU_ASSERT_EQUAL(region_contains(&full, &past), 0);
            CU_ASSERT_EQUAL(region_contains(&full, &before), 0);
            /* sticking out by one on either side */
            region_t hi = box_k(rank, k, 1, shape[k], 0, 1);
            region_t lo = box_k(rank, k, -1, 2, 0, 1);
            CU_ASSERT_EQUAL(region_contains(&full, &hi), 0);
            CU_ASSERT_EQUAL(region_contains(&full, &lo), 0);
            /* the whole extent of k within a sub-box of the others */
            region_t slab = box_k(rank, k, 0, shape[k], 0, 1);
            CU_ASSERT_EQUAL(region_contains(&full, &slab), 1);
            CU_ASSERT_EQUAL(region_contains(&slab, &full), rank == 1);
        }
    }
}

static void test_difference_cases(void)
{
    region_t out[2 * TESS_MAX_RANK];
    for (int rank = 1; rank <= MAXR; rank++) {
        for (int k = 0; k < rank; k++) {
            region_t a = box_k(rank, k, 0, 6, 0, 3);
            /* disjoint and touching: a itself */
            region_t dis = box_k(rank, k, 8, 2, 0, 3);
            region_t touch = box_k(rank, k, 6, 2, 0, 3);
            CU_ASSERT_EQUAL(region_difference(&a, &dis, out), 1);
            CU_ASSERT(region_equal(&out[0], &a));
            CU_ASSERT_EQUAL(region_difference(&a, &touch, out), 1);
            CU_ASSERT(region_equal(&out[0], &a));
            /* b containing a, and a itself: nothing */
            region_t big = box_k(rank, k, -1, 8, -1, 5);
            CU_ASSERT_EQUAL(region_difference(&a, &big, out), 0);
            CU_ASSERT_EQUAL(region_difference(&a, &a, out), 0);
            /* partial from below / above: one piece, exact */
            region_t lo = box_k(rank, k, -2, 4, 0, 3);
            region_t hi = box_k(rank, k, 4, 4, -1, 9);
            CU_ASSERT_EQUAL(check_difference(&a, &lo), 1);
            region_difference(&a, &lo, out);
            region_t want = box_k(rank, k, 2, 4, 0, 3);
            CU_ASSERT(region_equal(&out[0], &want));
            CU_ASSERT_EQUAL(check_difference(&a, &hi), 1);
            region_difference(&a, &hi, out);
            want = box_k(rank, k, 0, 4, 0, 3);
            CU_ASSERT(region_equal(&out[0], &want));
            /* a slab through the middle of k: two pieces */
            region_t mid = box_k(rank, k, 2, 2, 0, 3);
            CU_ASSERT_EQUAL(check_difference(&a, &mid), 2);
            /* an empty b takes nothing; an empty a gives nothing */
            region_t eb = box_k(rank, k, 2, 0, 0, 3);
            CU_ASSERT_EQUAL(region_difference(&a, &eb, out), 1);
            CU_ASSERT(region_equal(&out[0], &a));
            CU_ASSERT_EQUAL(region_difference(&eb, &a, out), 0);
            CU_ASSERT_EQUAL(region_difference(&eb, &eb, out), 0);
            check_difference(&a, &dis);
            check_difference(&a, &touch);
            check_difference(&a, &big);
            check_difference(&big, &a);
        }
        /* b strictly inside a in every dimension: 2*rank pieces */
        region_t a = box_k(rank, 0, 0, 5, 0, 5);
        region_t b = box_k(rank, 0, 1, 3, 1, 3);
        CU_ASSERT_EQUAL(check_difference(&a, &b), 2 * rank);
        /* a corner: rank pieces */
        region_t c = box_k(rank, 0, 3, 4, 3, 4);
        CU_ASSERT_EQUAL(check_difference(&a, &c), rank);
        /* b containing a but for one face: one piece */
        region_t f = box_k(rank, rank - 1, 1, 9, -1, 9);
        CU_ASSERT_EQUAL(check_difference(&a, &f), 1);
    }

    /* The 3-D case spelled out: a 5x5x5 box minus its 3x3x3 core. */
    region_t a = box(3, 0, 5, 0, 5, 0, 5);
    region_t b = box(3, 1, 3, 1, 3, 1, 3);
    int n = region_difference(&a, &b, out);
    CU_ASSERT_EQUAL(n, 6);
    int64_t v = 0;
    for (int i = 0; i < n; i++)
        v += region_volume(&out[i]);
    CU_ASSERT_EQUAL(v, 125 - 27);
    CU_ASSERT_EQUAL(check_difference(&a, &b), 6);

    /* Uneven offsets in 4-D. */
    region_t a4 = box(4, 0, 7, 2, 3, 1, 6, 0, 2);
    region_t b4 = box(4, 3, 2, 0, 4, 4, 9, 1, 1);
    check_difference(&a4, &b4);
    check_difference(&b4, &a4);
}

static void test_within(void)
{
    int64_t shape[MAXR] = {4, 5, 6, 7};
    for (int rank = 1; rank <= MAXR; rank++) {
        region_t r;
        region_full(&r, rank, shape);
        CU_ASSERT_EQUAL(region_within(&r, rank, shape), 1);
        /* rank mismatch */
        CU_ASSERT_EQUAL(region_within(&r, rank + 1, shape), 0);
        if (rank > 1)
            CU_ASSERT_EQUAL(region_within(&r, rank - 1, shape), 0);
        for (int k = 0; k < rank; k++) {
            int64_t n = shape[k];
#define W(s, c, want)                                                         \
    do {                                                                      \
        region_t w_ = box_k(rank, k, (s), (c), 0, 1);                         \
        if (region_within(&w_, rank, shape) != (want))                        \
            fprintf(stderr, "\n  within %s of shape[%d]=%lld: want %d\n",     \
                    fmt(&w_), k, (long long)n, (want));                       \
        CU_ASSERT_EQUAL(region_within(&w_, rank, shape), (want));             \
    } while (0)
            W(0, n, 1);
            W(0, 1, 1);
            W(n - 1, 1, 1);
            W(0, 0, 1);
            W(n, 0, 1);     /* zero count at the edge: allowed */
            W(n + 1, 0, 0); /* zero count beyond it: not */
            W(n, 1, 0);
            W(-1, 1, 0); /* negative start */
            W(-1, 0, 0);
            W(0, -1, 0); /* negative count */
            W(2, -1, 0);
            W(0, n + 1, 0); /* count beyond the shape */
            W(1, n, 0);
            W(n - 1, 2, 0);
            /* no overflow in start + count */
            W(INT64_MAX, 1, 0);
            W(1, INT64_MAX, 0);
            W(INT64_MAX, INT64_MAX, 0);
            W(INT64_MIN, 1, 0);
            W(0, INT64_MIN, 0);
#undef W
        }
    }
}

static void test_volume_empty(void)
{
    int64_t shape[MAXR] = {4, 5, 6, 7};
    int64_t vol = 1;
    for (int rank = 1; rank <= MAXR; rank++) {
        region_t r;
        vol *= shape[rank - 1];
        region_full(&r, rank, shape);
        CU_ASSERT_EQUAL(region_volume(&r), vol);
        CU_ASSERT_EQUAL(region_is_empty(&r), 0);
        for (int k = 0; k < rank; k++) {
            region_t one = box_k(rank, k, 3, 1, 2, 1);
            CU_ASSERT_EQUAL(region_volume(&one), 1);
            CU_ASSERT_EQUAL(region_is_empty(&one), 0);
            region_t e = box_k(rank, k, 3, 0, 0, 5);
            CU_ASSERT_EQUAL(region_volume(&e), 0);
            CU_ASSERT_EQUAL(region_is_empty(&e), 1);
            region_t neg = box_k(rank, k, 3, -2, 0, 5);
            CU_ASSERT_EQUAL(region_is_empty(&neg), 1);
            region_t slab = box_k(rank, k, 1, 3, 0, 2);
            int64_t v = 3;
            for (int d = 1; d < rank; d++)
                v *= 2;
            CU_ASSERT_EQUAL(region_volume(&slab), v);
        }
    }
    /* rank 0: a scalar, one element, never empty */
    region_t s = box(0);
    CU_ASSERT_EQUAL(region_volume(&s), 1);
    CU_ASSERT_EQUAL(region_is_empty(&s), 0);
    region_full(&s, 0, NULL);
    CU_ASSERT_EQUAL(s.rank, 0);
    CU_ASSERT_EQUAL(region_volume(&s), 1);
    /* Large but valid volume (no overflow): 2^20 x 2^20 x 2^20. */
    region_t big = box(3, 0, 1 << 20, 0, 1 << 20, 0, 1 << 20);
    CU_ASSERT_EQUAL(region_volume(&big), (int64_t)1 << 60);
}

static void test_equal_full(void)
{
    int64_t shape[MAXR] = {3, 1, 9, 2};
    region_t a, b;
    region_full(&a, 4, shape);
    b = box(4, 0, 3, 0, 1, 0, 9, 0, 2);
    CU_ASSERT(region_equal(&a, &b));
    b.count[3] = 1;
    CU_ASSERT(!region_equal(&a, &b));
    b = box(4, 0, 3, 0, 1, 1, 9, 0, 2);
    CU_ASSERT(!region_equal(&a, &b));
    region_full(&b, 3, shape);
    CU_ASSERT(!region_equal(&a, &b));
    /* Only the first rank entries matter. */
    b = a;
    b.start[5] = 77;
    b.count[6] = -3;
    CU_ASSERT(region_equal(&a, &b));
    region_t s0 = box(0), s1 = box(0);
    s1.start[0] = 4;
    CU_ASSERT(region_equal(&s0, &s1));
}

static void test_format(void)
{
    char buf[256];
    region_t r;

    r = box(1, 0, 4);
    CU_ASSERT_STRING_EQUAL(region_format(&r, buf, sizeof(buf)), "[0:4]");
    r = box(2, 1, 2, 0, 5);
    CU_ASSERT_STRING_EQUAL(region_format(&r, buf, sizeof(buf)),
                           "[1:3, 0:5]");
    r = box(3, 2, 0, 7, 1, 10, 90);
    CU_ASSERT_STRING_EQUAL(region_format(&r, buf, sizeof(buf)),
                           "[2:2, 7:8, 10:100]");
    r = box(4, 0, 1, 1, 1, 2, 1, 3, 1);
    CU_ASSERT_PTR_EQUAL(region_format(&r, buf, sizeof(buf)), buf);
    CU_ASSERT_STRING_EQUAL(buf, "[0:1, 1:2, 2:3, 3:4]");
    r = box(1, -3, 2);
    CU_ASSERT_STRING_EQUAL(region_format(&r, buf, sizeof(buf)), "[-3:-1]");
    r = box(0);
    CU_ASSERT_STRING_EQUAL(region_format(&r, buf, sizeof(buf)), "[]");
    r.rank = 1;
    r.start[0] = INT64_MAX - 1;
    r.count[0] = 1;
    CU_ASSERT_STRING_EQUAL(region_format(&r, buf, sizeof(buf)),
                           "[9223372036854775806:9223372036854775807]");

    /* Truncation: for every length, exactly the first len-1 characters of
     * the full text, NUL-terminated, never a byte beyond len (the buffer is
     * heap-allocated to its exact length for the sanitizers). */
    r = box(4, 0, 10, 11, 1, 200, 50, 3000, 7);
    const char *full = "[0:10, 11:12, 200:250, 3000:3007]";
    size_t flen = strlen(full);
    CU_ASSERT_STRING_EQUAL(region_format(&r, buf, sizeof(buf)), full);
    for (size_t len = 0; len <= flen + 2; len++) {
        char *b = malloc(len ? len : 1);
        if (!b) {
            CU_FAIL("malloc");
            return;
        }
        b[0] = 'X';
        char *got = region_format(&r, b, len);
        CU_ASSERT_PTR_EQUAL(got, b);
        if (len == 0) {
            CU_ASSERT_EQUAL(b[0], 'X'); /* untouched */
        } else {
            size_t want = len - 1 < flen ? len - 1 : flen;
            CU_ASSERT_EQUAL(strlen(b), want);
            CU_ASSERT(strncmp(b, full, want) == 0);
        }
        free(b);
    }
}

/* ---- randomized against brute force ------------------------------------ */

#define GRID 7 /* boxes live in [0, GRID) per dimension */

/* Mostly non-empty boxes; every tenth dimension may be empty. */
static void random_box(int rank, region_t *r)
{
    memset(r, 0, sizeof(*r));
    r->rank = rank;
    for (int d = 0; d < rank; d++) {
        r->start[d] = rnd_in(0, GRID - 1);
        int64_t maxc = GRID - r->start[d];
        r->count[d] = rnd() % 10 == 0 ? 0 : rnd_in(1, maxc);
    }
}

#define RCHECK(cond, what)                                                    \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "\n  seed %llu case %d: %s, a=%s b=%s\n",         \
                    (unsigned long long)seed, c, what, fmt(&a), fmt(&b));     \
            CU_FAIL_FATAL(what);                                              \
        }                                                                     \
    } while (0)

static void test_random_brute(void)
{
    static const uint64_t seeds[] = {1, 42, 20240601, 0xDEADBEEF};
    const int ncases = 1500;
    for (size_t si = 0; si < sizeof(seeds) / sizeof(seeds[0]); si++) {
        uint64_t seed = seeds[si];
        rnd_seed(seed);
        for (int c = 0; c < ncases; c++) {
            int rank = 1 + c % MAXR;
            region_t a, b, inter, diff[2 * TESS_MAX_RANK];
            random_box(rank, &a);
            /* sometimes b derived from a: equal, shifted, nested */
            switch (rnd() % 6) {
            case 0:
                b = a;
                break;
            case 1:
                b = a;
                for (int d = 0; d < rank; d++)
                    if (b.count[d] > 2) {
                        b.start[d]++;
                        b.count[d] -= 2;
                    }
                break;
            default:
                random_box(rank, &b);
            }

            int ov = region_overlaps(&a, &b);
            int ni = region_intersect(&a, &b, &inter);
            int ab = region_contains(&a, &b), ba = region_contains(&b, &a);
            int nd = region_difference(&a, &b, diff);
            RCHECK(ov == region_overlaps(&b, &a), "overlap not symmetric");
            RCHECK(inter.rank == rank, "intersection rank");
            RCHECK(nd >= 0 && nd <= 2 * rank, "difference piece count");
            for (int i = 0; i < nd; i++) {
                RCHECK(diff[i].rank == rank, "piece rank");
                RCHECK(!region_is_empty(&diff[i]), "empty piece");
            }

            int64_t p[TESS_MAX_RANK], lo[TESS_MAX_RANK], ext[TESS_MAX_RANK];
            for (int d = 0; d < rank; d++) {
                lo[d] = p[d] = 0;
                ext[d] = GRID;
            }
            int64_t both = 0, na = 0, nb = 0, ninter = 0, ndiff = 0;
            int b_in_a = 1, a_in_b = 1;
            do {
                int ia = in_box(&a, p), ib = in_box(&b, p);
                int ii = in_box(&inter, p);
                int nin = 0;
                for (int i = 0; i < nd; i++)
                    nin += in_box(&diff[i], p);
                na += ia;
                nb += ib;
                both += ia && ib;
                ninter += ii;
                ndiff += nin;
                if (ib && !ia)
                    b_in_a = 0;
                if (ia && !ib)
                    a_in_b = 0;
                RCHECK(ii == (ia && ib), "intersection element");
                RCHECK(nin == (ia && !ib), "difference element");
            } while (next_point(rank, p, lo, ext));

            RCHECK(na == region_volume(&a), "volume a");
            RCHECK(nb == region_volume(&b), "volume b");
            RCHECK(ov == (both > 0), "overlap");
            RCHECK(ni == (both > 0), "intersect return");
            RCHECK(ninter == (ni ? region_volume(&inter) : 0),
                   "intersection volume");
            RCHECK(region_is_empty(&inter) == !ni, "intersection emptiness");
            RCHECK(ab == b_in_a, "contains(a, b)");
            RCHECK(ba == a_in_b, "contains(b, a)");
            RCHECK(ndiff == na - both, "difference volume");
            if (!ov && na > 0)
                RCHECK(nd == 1 && region_equal(&diff[0], &a),
                       "disjoint difference is not a");
        }
    }
}

static const cunit_test_t tests[] = {
    {"overlap and intersection, ranks 1-4", test_overlap_cases},
    {"exact intersections", test_intersect_exact},
    {"containment", test_contains},
    {"difference", test_difference_cases},
    {"region_within", test_within},
    {"volume and emptiness", test_volume_empty},
    {"equality and region_full", test_equal_full},
    {"region_format", test_format},
    {"random boxes vs brute force", test_random_brute},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("region", NULL, NULL, tests);
}
