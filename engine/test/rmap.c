/*
 * test_rmap - the region map of engine/rmap.c.
 *
 * Values are small structs counting the references the map holds. The map
 * retains a value once per uniform leaf of its value tree holding it, and a
 * query of the whole array visits every leaf exactly once, so at any time:
 *     refs(v) == number of pieces holding v in a query of the full array.
 * The checks: a brute-force model (a dense array of "which value is at each
 * element") against random write sequences in ranks 1..4; that refcount
 * invariant after every write and zero after rmap_destroy; the O(n) size and
 * one-piece lookups of row slabs and column blocks; rank-0 maps; empty and
 * early-stopped queries; a NULL initial value.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/test/cunit_main.h"
#include "base/test/rng.h"
#include "engine/pool.h"
#include "engine/region.h"
#include "engine/rmap.h"

struct val {
    int id;
    int refs;      /* references the map holds */
    int zero_hits; /* times refs went down to 0 */
    int revived;   /* retains after refs had gone down to 0 */
};

/* Misuse of the ops, over the whole program: must stay 0. */
static long bad_release; /* release of a value with refs == 0 */
static long null_ops;    /* retain/release called with NULL */

static void v_retain(void *p)
{
    struct val *v = p;
    if (!v) {
        null_ops++;
        return;
    }
    if (v->refs == 0 && v->zero_hits > 0)
        v->revived++;
    v->refs++;
}

static void v_release(void *p)
{
    struct val *v = p;
    if (!v) {
        null_ops++;
        return;
    }
    if (v->refs <= 0) {
        bad_release++;
        return;
    }
    if (--v->refs == 0)
        v->zero_hits++;
}

static const rmap_ops_t ops = {v_retain, v_release};

static struct val *vals_new(int n)
{
    struct val *v = calloc((size_t)n, sizeof(*v));
    if (v)
        for (int i = 0; i < n; i++)
            v[i].id = i;
    return v;
}

static const char *fmt(const region_t *r)
{
    static char bufs[4][256];
    static int i;
    i = (i + 1) % 4;
    return region_format(r, bufs[i], sizeof(bufs[i]));
}

/* ---- collecting query results ------------------------------------------- */

struct collect {
    int rank;
    const int64_t *shape;
    const region_t *box;
    struct val *base;   /* values are base[0..nvals) */
    int nvals;
    const int *ref;     /* expected value id per element (row-major) */
    int *hits;          /* per element: times covered */
    int *pieces_of;     /* per value id: pieces holding it */
    long npieces;
    int64_t nelems;
    int bad;            /* first problem seen, as text below */
    char why[512];
};

static void bad(struct collect *c, const char *what, const region_t *piece)
{
    if (c->bad++)
        return;
    snprintf(c->why, sizeof(c->why), "%s: box %s piece %s", what,
             fmt(c->box), piece ? fmt(piece) : "-");
}

static int64_t linear(int rank, const int64_t *shape, const int64_t *p)
{
    int64_t i = 0;
    for (int d = 0; d < rank; d++)
        i = i * shape[d] + p[d];
    return i;
}

static int collect_visit(void *ctx, void *vp, const region_t *piece)
{
    struct collect *c = ctx;
    struct val *v = vp;
    c->npieces++;
    if (piece->rank != c->rank) {
        bad(c, "piece rank", piece);
        return 0;
    }
    if (region_is_empty(piece))
        bad(c, "empty piece", piece);
    if (!region_contains(c->box, piece)) {
        bad(c, "piece outside the box", piece);
        return 0;
    }
    int id = -1;
    if (v) {
        if (v < c->base || v >= c->base + c->nvals) {
            bad(c, "unknown value", piece);
            return 0;
        }
        id = v->id;
        c->pieces_of[id]++;
    }
    if (region_is_empty(piece))
        return 0;
    int64_t p[TESS_MAX_RANK];
    for (int d = 0; d < c->rank; d++)
        p[d] = piece->start[d];
    for (;;) {
        int64_t i = linear(c->rank, c->shape, p);
        c->hits[i]++;
        c->nelems++;
        if (c->ref[i] != id)
            bad(c, "wrong value", piece);
        int d = c->rank - 1;
        for (; d >= 0; d--) {
            if (++p[d] < piece->start[d] + piece->count[d])
                break;
            p[d] = piece->start[d];
        }
        if (d < 0)
            break;
    }
    return 0;
}

/* Query box and check: pieces disjoint, exactly covering box, each element
 * holding its reference value. Fills c->pieces_of. 0 if all good. */
static int check_query(const rmap_t *m, struct collect *c, const region_t *box)
{
    int64_t total = 1;
    for (int d = 0; d < c->rank; d++)
        total *= c->shape[d];
    memset(c->hits, 0, sizeof(int) * (size_t)total);
    memset(c->pieces_of, 0, sizeof(int) * (size_t)c->nvals);
    c->box = box;
    c->npieces = 0;
    c->nelems = 0;
    c->bad = 0;
    int rc = rmap_query(m, box, collect_visit, c);
    if (rc != 0)
        bad(c, "rmap_query returned non-zero", NULL);
    if (c->bad)
        return -1;
    if (c->nelems != region_volume(box)) {
        bad(c, "pieces do not add up to the box", NULL);
        return -1;
    }
    /* Each element of the box covered once, none outside. */
    int64_t p[TESS_MAX_RANK];
    for (int d = 0; d < c->rank; d++)
        p[d] = 0;
    for (int64_t i = 0; i < total; i++) {
        int in = 1;
        int64_t r = i;
        for (int d = c->rank - 1; d >= 0; d--) {
            p[d] = r % c->shape[d];
            r /= c->shape[d];
            if (p[d] < box->start[d] ||
                p[d] >= box->start[d] + box->count[d])
                in = 0;
        }
        if (c->hits[i] != (in && !region_is_empty(box))) {
            bad(c, "element covered a wrong number of times", NULL);
            return -1;
        }
    }
    return 0;
}

/* A random non-empty box of shape; some dimensions full, some edges. */
static void random_write_box(int rank, const int64_t *shape, region_t *r)
{
    memset(r, 0, sizeof(*r));
    r->rank = rank;
    int whole = rnd() % 25 == 0;
    for (int d = 0; d < rank; d++) {
        uint64_t k = rnd() % 8;
        if (whole || k == 0) {
            r->start[d] = 0;
            r->count[d] = shape[d];
        } else if (k == 1) { /* from the start */
            r->start[d] = 0;
            r->count[d] = rnd_in(1, shape[d]);
        } else if (k == 2) { /* to the end */
            r->start[d] = rnd_in(0, shape[d] - 1);
            r->count[d] = shape[d] - r->start[d];
        } else if (k == 3) { /* one index */
            r->start[d] = rnd_in(0, shape[d] - 1);
            r->count[d] = 1;
        } else {
            r->start[d] = rnd_in(0, shape[d] - 1);
            r->count[d] = rnd_in(1, shape[d] - r->start[d]);
        }
    }
}

/* Any box within shape, possibly empty (count 0, also at the far edge). */
static void random_query_box(int rank, const int64_t *shape, region_t *r)
{
    memset(r, 0, sizeof(*r));
    r->rank = rank;
    for (int d = 0; d < rank; d++) {
        r->start[d] = rnd_in(0, shape[d]);
        r->count[d] = rnd_in(0, shape[d] - r->start[d]);
    }
}

/* ---- (1)+(2) brute-force model and refcounts ---------------------------- */

#define NSEQ 400
#define MAXWRITES 40

static void test_model(void)
{
    pool_t *pool = pool_create(rmap_node_size());
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    long total_pieces = 0, total_writes = 0;
    size_t max_nodes = 0;

    for (int seq = 0; seq < NSEQ; seq++) {
        uint64_t seed = 1000 + (uint64_t)seq;
        rnd_seed(seed);
        int rank = 1 + seq % 4;
        int64_t shape[TESS_MAX_RANK];
        int64_t total = 1;
        /* Up to 12 per dimension; rank 4 capped at 8 to keep it quick. */
        for (int d = 0; d < rank; d++) {
            shape[d] = rnd_in(1, rank == 4 ? 8 : 12);
            total *= shape[d];
        }
        int nwrites = (int)rnd_in(1, MAXWRITES);
        /* Value 0 is the initial one; write w stores value w+1, except
         * that now and then a write reuses an older value (the test keeps
         * every value alive, so that is legal). */
        struct val *v = vals_new(nwrites + 1);
        int *ref = malloc(sizeof(int) * (size_t)total);
        int *hits = malloc(sizeof(int) * (size_t)total);
        int *pieces_of = malloc(sizeof(int) * (size_t)(nwrites + 1));
        if (!v || !ref || !hits || !pieces_of) {
            CU_FAIL_FATAL("out of memory");
        }
        for (int64_t i = 0; i < total; i++)
            ref[i] = 0;
        struct collect c = {.rank = rank, .shape = shape, .base = v,
                            .nvals = nwrites + 1, .ref = ref, .hits = hits,
                            .pieces_of = pieces_of};

        rmap_t *m = rmap_create(rank, shape, &v[0], &ops, pool);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL(v[0].refs, 1);
        CU_ASSERT_EQUAL(rmap_nodes(m), 0);

        region_t full;
        region_full(&full, rank, shape);
        int failed = 0;
        for (int w = 0; w < nwrites && !failed; w++) {
            region_t box;
            random_write_box(rank, shape, &box);
            int id = w + 1;
            if (w > 0 && rnd() % 6 == 0)
                id = (int)rnd_in(0, w); /* an older value, maybe in use */
            int rc = rmap_write(m, &box, &v[id]);
            total_writes++;
            if (rc != 0) {
                fprintf(stderr, "\n  seed %llu: rmap_write %s failed\n",
                        (unsigned long long)seed, fmt(&box));
                CU_FAIL("rmap_write");
                failed = 1;
                break;
            }
            /* the model */
            int64_t p[TESS_MAX_RANK];
            for (int d = 0; d < rank; d++)
                p[d] = box.start[d];
            for (;;) {
                ref[linear(rank, shape, p)] = id;
                int d = rank - 1;
                for (; d >= 0; d--) {
                    if (++p[d] < box.start[d] + box.count[d])
                        break;
                    p[d] = box.start[d];
                }
                if (d < 0)
                    break;
            }

            /* full query: coverage, values, refcounts */
            if (check_query(m, &c, &full) < 0) {
                fprintf(stderr, "\n  seed %llu write %d (%s): %s\n",
                        (unsigned long long)seed, w, fmt(&box), c.why);
                CU_FAIL("full query");
                failed = 1;
                break;
            }
            total_pieces += c.npieces;
            for (int i = 0; i <= nwrites; i++) {
                if (v[i].refs != pieces_of[i]) {
                    fprintf(stderr,
                            "\n  seed %llu write %d (%s): value %d has "
                            "%d refs, %d pieces\n",
                            (unsigned long long)seed, w, fmt(&box), i,
                            v[i].refs, pieces_of[i]);
                    CU_FAIL("refcount != pieces");
                    failed = 1;
                    break;
                }
            }
            /* A map with no interval nodes is one uniform piece. */
            size_t nn = rmap_nodes(m);
            if (nn > max_nodes)
                max_nodes = nn;
            if (nn == 0 && c.npieces != 1) {
                CU_FAIL("0 nodes but several pieces");
                failed = 1;
            }
            if (region_equal(&box, &full) && nn != 0) {
                fprintf(stderr, "\n  seed %llu: full write left %zu nodes\n",
                        (unsigned long long)seed, nn);
                CU_FAIL("full write did not collapse the map");
                failed = 1;
            }
            /* random sub-box queries, empty ones included */
            for (int q = 0; q < 6 && !failed; q++) {
                region_t qb;
                random_query_box(rank, shape, &qb);
                if (check_query(m, &c, &qb) < 0) {
                    fprintf(stderr, "\n  seed %llu write %d query %d: %s\n",
                            (unsigned long long)seed, w, q, c.why);
                    CU_FAIL("sub-box query");
                    failed = 1;
                }
                if (region_is_empty(&qb) && c.npieces != 0)
                    CU_FAIL("empty query visited a piece");
            }
        }
        rmap_destroy(m);
        for (int i = 0; i <= nwrites; i++) {
            if (v[i].refs != 0) {
                fprintf(stderr, "\n  seed %llu: value %d keeps %d refs "
                        "after rmap_destroy\n", (unsigned long long)seed, i,
                        v[i].refs);
                CU_FAIL("refs after destroy");
                break;
            }
        }
        free(v);
        free(ref);
        free(hits);
        free(pieces_of);
        if (failed)
            break;
    }
    CU_ASSERT_EQUAL(bad_release, 0);
    CU_ASSERT_EQUAL(null_ops, 0);
    printf("\n    %ld writes, %ld pieces in full queries, max %zu nodes ",
           total_writes, total_pieces, max_nodes);
    pool_destroy(pool);
}

/* ---- (3) performance structure ------------------------------------------ */

#define NBIG 100000

struct one {
    long n;
    void *val;
    region_t piece;
};

static int one_visit(void *ctx, void *val, const region_t *piece)
{
    struct one *o = ctx;
    o->n++;
    o->val = val;
    o->piece = *piece;
    return 0;
}

static int count_visit(void *ctx, void *val, const region_t *piece)
{
    long *n = ctx;
    struct val *v = val;
    (void)piece;
    (*n)++;
    /* every piece of these tests holds exactly one reference */
    return v->refs == 1 ? 0 : -1;
}

/* Slabs of dimension `dim` of a 2-D array, one index wide, written in the
 * order given by perm (NULL: ascending). */
static void slabs(int dim, const int *perm)
{
    int64_t shape[2];
    shape[dim] = NBIG;
    shape[1 - dim] = 8;
    pool_t *pool = pool_create(rmap_node_size());
    /* [NBIG]: initial, [NBIG+1]: a span of slabs, [NBIG+2]: everything */
    struct val *v = vals_new(NBIG + 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    rmap_t *m = rmap_create(2, shape, &v[NBIG], &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);

    size_t maxn = 0;
    int rc = 0;
    for (int i = 0; i < NBIG && rc == 0; i++) {
        int k = perm ? perm[i] : i;
        region_t box;
        region_full(&box, 2, shape);
        box.start[dim] = k;
        box.count[dim] = 1;
        rc = rmap_write(m, &box, &v[k]);
        if (rmap_nodes(m) > maxn)
            maxn = rmap_nodes(m);
    }
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    /* One interval per slab (+1 for the level above, for columns). */
    CU_ASSERT(maxn <= (size_t)NBIG + 1);
    CU_ASSERT(rmap_nodes(m) >= (size_t)NBIG);
    CU_ASSERT_EQUAL(v[NBIG].refs, 0); /* the initial value is gone */
    CU_ASSERT_EQUAL(v[NBIG].zero_hits, 1);

    /* One slab, part of one slab, one element: one piece each. */
    rnd_seed(77 + (uint64_t)dim);
    for (int t = 0; t < 1000; t++) {
        int k = (int)rnd_in(0, NBIG - 1);
        int64_t o = rnd_in(0, 7);
        region_t q;
        struct one r = {0};
        region_full(&q, 2, shape);
        q.start[dim] = k;
        q.count[dim] = 1;
        rmap_query(m, &q, one_visit, &r);
        CU_ASSERT_EQUAL(r.n, 1);
        CU_ASSERT_PTR_EQUAL(r.val, &v[k]);
        CU_ASSERT(region_equal(&r.piece, &q));
        q.start[1 - dim] = o;
        q.count[1 - dim] = 8 - o;
        r.n = 0;
        rmap_query(m, &q, one_visit, &r);
        CU_ASSERT_EQUAL(r.n, 1);
        CU_ASSERT(region_equal(&r.piece, &q));
        q.count[1 - dim] = 1;
        r.n = 0;
        rmap_query(m, &q, one_visit, &r);
        CU_ASSERT_EQUAL(r.n, 1);
        CU_ASSERT_PTR_EQUAL(r.val, &v[k]);
        /* a run of 5 slabs: 5 pieces */
        if (k + 5 <= NBIG) {
            q.start[dim] = k;
            q.count[dim] = 5;
            r.n = 0;
            rmap_query(m, &q, one_visit, &r);
            CU_ASSERT_EQUAL(r.n, 5);
        }
    }
    /* The full array: one piece per slab, each value held once. */
    region_t full;
    long n = 0;
    region_full(&full, 2, shape);
    CU_ASSERT_EQUAL(rmap_query(m, &full, count_visit, &n), 0);
    CU_ASSERT_EQUAL(n, NBIG);

    /* One write over slabs [10, NBIG-10) replaces their intervals by one:
     * the map shrinks to ~20 intervals and the range reads as one piece. */
    region_t span = full;
    span.start[dim] = 10;
    span.count[dim] = NBIG - 20;
    CU_ASSERT_EQUAL(rmap_write(m, &span, &v[NBIG + 1]), 0);
    CU_ASSERT(rmap_nodes(m) <= 21 + (size_t)dim);
    CU_ASSERT_EQUAL(v[NBIG + 1].refs, 1);
    CU_ASSERT_EQUAL(v[9].refs, 1);
    CU_ASSERT_EQUAL(v[10].refs, 0);
    CU_ASSERT_EQUAL(v[NBIG - 11].refs, 0);
    CU_ASSERT_EQUAL(v[NBIG - 10].refs, 1);
    struct one sp = {0};
    rmap_query(m, &span, one_visit, &sp);
    CU_ASSERT_EQUAL(sp.n, 1);
    CU_ASSERT_PTR_EQUAL(sp.val, &v[NBIG + 1]);
    n = 0;
    CU_ASSERT_EQUAL(rmap_query(m, &full, count_visit, &n), 0);
    CU_ASSERT_EQUAL(n, 21);
    /* Writing the whole array collapses the map. */
    CU_ASSERT_EQUAL(rmap_write(m, &full, &v[NBIG + 2]), 0);
    CU_ASSERT_EQUAL(rmap_nodes(m), 0);
    CU_ASSERT_EQUAL(v[NBIG + 2].refs, 1);
    CU_ASSERT_EQUAL(v[NBIG + 1].refs, 0);
    int leaked = 0;
    for (int i = 0; i < NBIG; i++)
        leaked += v[i].refs != 0;
    CU_ASSERT_EQUAL(leaked, 0);
    struct one r = {0};
    rmap_query(m, &full, one_visit, &r);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_PTR_EQUAL(r.val, &v[NBIG + 2]);
    CU_ASSERT(region_equal(&r.piece, &full));
    rmap_destroy(m);
    CU_ASSERT_EQUAL(v[NBIG + 2].refs, 0);
    free(v);
    pool_destroy(pool);
}

static void test_row_slabs(void)
{
    slabs(0, NULL);
}

static void test_column_blocks(void)
{
    slabs(1, NULL);
}

static void test_slabs_shuffled(void)
{
    int *perm = malloc(sizeof(int) * NBIG);
    CU_ASSERT_PTR_NOT_NULL_FATAL(perm);
    for (int i = 0; i < NBIG; i++)
        perm[i] = i;
    rnd_seed(5);
    for (int i = NBIG - 1; i > 0; i--) {
        int j = (int)rnd_in(0, i);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    slabs(0, perm);
    slabs(1, perm);
    /* descending order too (a classic bad case for unbalanced trees) */
    for (int i = 0; i < NBIG; i++)
        perm[i] = NBIG - 1 - i;
    slabs(0, perm);
    free(perm);
}

/* Tiles of 4x4 over [400 x 400]: the map stays proportional to the tiles. */
static void test_tiles(void)
{
    int64_t shape[2] = {400, 400};
    const int T = 4, NT = 100;
    pool_t *pool = pool_create(rmap_node_size());
    struct val *v = vals_new(NT * NT + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    rmap_t *m = rmap_create(2, shape, &v[NT * NT], &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (int i = 0; i < NT; i++)
        for (int j = 0; j < NT; j++) {
            region_t b = {.rank = 2, .start = {i * T, j * T},
                          .count = {T, T}};
            CU_ASSERT_EQUAL_FATAL(rmap_write(m, &b, &v[i * NT + j]), 0);
        }
    /* NT row intervals, each with NT column intervals. */
    CU_ASSERT(rmap_nodes(m) <= (size_t)(NT + NT * NT));
    CU_ASSERT_EQUAL(v[NT * NT].refs, 0);
    for (int i = 0; i < NT; i += 7)
        for (int j = 0; j < NT; j += 3) {
            region_t b = {.rank = 2, .start = {i * T + 1, j * T},
                          .count = {T - 1, T - 2}};
            struct one r = {0};
            rmap_query(m, &b, one_visit, &r);
            CU_ASSERT_EQUAL(r.n, 1);
            CU_ASSERT_PTR_EQUAL(r.val, &v[i * NT + j]);
            CU_ASSERT_EQUAL(v[i * NT + j].refs, 1);
        }
    region_t full;
    region_full(&full, 2, shape);
    long n = 0;
    CU_ASSERT_EQUAL(rmap_query(m, &full, count_visit, &n), 0);
    CU_ASSERT_EQUAL(n, NT * NT);
    rmap_destroy(m);
    int live = 0;
    for (int i = 0; i <= NT * NT; i++)
        live += v[i].refs != 0;
    CU_ASSERT_EQUAL(live, 0);
    free(v);
    pool_destroy(pool);
}

/* ---- (4) rank 0, (5) empty queries, early stop, NULL values ------------- */

static void test_rank0(void)
{
    pool_t *pool = pool_create(rmap_node_size());
    struct val *v = vals_new(3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    rmap_t *m = rmap_create(0, NULL, &v[0], &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(v[0].refs, 1);

    region_t all;
    region_full(&all, 0, NULL);
    struct one r = {0};
    CU_ASSERT_EQUAL(rmap_query(m, &all, one_visit, &r), 0);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_PTR_EQUAL(r.val, &v[0]);
    CU_ASSERT_EQUAL(r.piece.rank, 0);

    CU_ASSERT_EQUAL(rmap_write(m, &all, &v[1]), 0);
    CU_ASSERT_EQUAL(v[0].refs, 0);
    CU_ASSERT_EQUAL(v[1].refs, 1);
    CU_ASSERT_EQUAL(rmap_nodes(m), 0);
    r.n = 0;
    rmap_query(m, &all, one_visit, &r);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_PTR_EQUAL(r.val, &v[1]);

    CU_ASSERT_EQUAL(rmap_write(m, &all, &v[2]), 0);
    CU_ASSERT_EQUAL(rmap_write(m, &all, &v[0]), 0);
    CU_ASSERT_EQUAL(v[0].refs, 1);
    CU_ASSERT_EQUAL(v[1].refs, 0);
    CU_ASSERT_EQUAL(v[2].refs, 0);
    CU_ASSERT_EQUAL(rmap_nodes(m), 0);
    r.n = 0;
    rmap_query(m, &all, one_visit, &r);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_PTR_EQUAL(r.val, &v[0]);
    rmap_destroy(m);
    CU_ASSERT_EQUAL(v[0].refs, 0);
    free(v);
    pool_destroy(pool);
}

static void test_empty_query(void)
{
    int64_t shape[3] = {5, 6, 7};
    pool_t *pool = pool_create(rmap_node_size());
    struct val *v = vals_new(3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    rmap_t *m = rmap_create(3, shape, &v[0], &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    region_t b = {.rank = 3, .start = {1, 2, 3}, .count = {2, 2, 2}};
    CU_ASSERT_EQUAL(rmap_write(m, &b, &v[1]), 0);
    region_t e[] = {
        {.rank = 3, .start = {0, 0, 0}, .count = {0, 6, 7}},
        {.rank = 3, .start = {1, 2, 3}, .count = {2, 0, 2}},
        {.rank = 3, .start = {1, 2, 3}, .count = {2, 2, 0}},
        {.rank = 3, .start = {5, 6, 7}, .count = {0, 0, 0}},
        {.rank = 3, .start = {2, 3, 7}, .count = {1, 1, 0}},
    };
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        struct one r = {0};
        CU_ASSERT_EQUAL(rmap_query(m, &e[i], one_visit, &r), 0);
        CU_ASSERT_EQUAL(r.n, 0);
    }
    rmap_destroy(m);
    CU_ASSERT_EQUAL(v[0].refs, 0);
    CU_ASSERT_EQUAL(v[1].refs, 0);
    free(v);
    pool_destroy(pool);
}

struct stopper {
    int calls, stop_at;
};

static int stop_visit(void *ctx, void *val, const region_t *piece)
{
    struct stopper *s = ctx;
    (void)val, (void)piece;
    return ++s->calls == s->stop_at ? 42 : 0;
}

/* A non-zero return from the visitor stops the query and is returned. */
static void test_query_stop(void)
{
    int64_t shape[2] = {10, 10};
    pool_t *pool = pool_create(rmap_node_size());
    struct val *v = vals_new(11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    rmap_t *m = rmap_create(2, shape, &v[0], &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (int i = 0; i < 10; i++) {
        region_t b = {.rank = 2, .start = {i, i}, .count = {1, 10 - i}};
        CU_ASSERT_EQUAL(rmap_write(m, &b, &v[i + 1]), 0);
    }
    region_t full;
    region_full(&full, 2, shape);
    struct stopper s = {0, 0};
    CU_ASSERT_EQUAL(rmap_query(m, &full, stop_visit, &s), 0);
    int all = s.calls;
    CU_ASSERT(all >= 19); /* 10 written pieces + 9 left of them */
    for (int k = 1; k <= all; k++) {
        s.calls = 0;
        s.stop_at = k;
        CU_ASSERT_EQUAL(rmap_query(m, &full, stop_visit, &s), 42);
        CU_ASSERT_EQUAL(s.calls, k);
    }
    rmap_destroy(m);
    free(v);
    pool_destroy(pool);
}

/* A map may start out holding NULL ("no value yet"): NULL is never passed
 * to the ops, and unwritten elements report NULL. */
static void test_null_initial(void)
{
    int64_t shape[2] = {6, 6};
    pool_t *pool = pool_create(rmap_node_size());
    struct val *v = vals_new(2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    long null_before = null_ops;
    rmap_t *m = rmap_create(2, shape, NULL, &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    region_t a = {.rank = 2, .start = {1, 1}, .count = {2, 3}};
    region_t b = {.rank = 2, .start = {2, 0}, .count = {3, 6}};
    CU_ASSERT_EQUAL(rmap_write(m, &a, &v[0]), 0);
    CU_ASSERT_EQUAL(rmap_write(m, &b, &v[1]), 0);
    CU_ASSERT_EQUAL(null_ops, null_before);
    region_t corner = {.rank = 2, .start = {0, 0}, .count = {1, 1}};
    struct one r = {0};
    rmap_query(m, &corner, one_visit, &r);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_PTR_NULL(r.val);
    region_t in_a = {.rank = 2, .start = {1, 2}, .count = {1, 1}};
    r.n = 0;
    rmap_query(m, &in_a, one_visit, &r);
    CU_ASSERT_PTR_EQUAL(r.val, &v[0]);
    rmap_destroy(m);
    CU_ASSERT_EQUAL(null_ops, null_before);
    CU_ASSERT_EQUAL(v[0].refs, 0);
    CU_ASSERT_EQUAL(v[1].refs, 0);
    free(v);
    pool_destroy(pool);
}

/*
 * Rewriting a value the map already holds, when the caller holds no
 * reference of its own (the map's references are the only ones): the value
 * must never drop to zero references on the way, since a release to zero
 * frees a dag_version. Covers both places a write replaces contents: the
 * whole remaining box (covers_from at the top) and a whole interval.
 */
static void test_rewrite_held_value(void)
{
    int64_t shape[2] = {4, 4};
    pool_t *pool = pool_create(rmap_node_size());
    struct val *v = vals_new(2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    region_t full, rows;
    region_full(&full, 2, shape);
    rows = full;
    rows.start[0] = 1;
    rows.count[0] = 2;

    /* whole array, initial value written again */
    rmap_t *m = rmap_create(2, shape, &v[0], &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(rmap_write(m, &full, &v[0]), 0);
    CU_ASSERT_EQUAL(v[0].refs, 1);
    CU_ASSERT_EQUAL(v[0].zero_hits, 0);
    CU_ASSERT_EQUAL(v[0].revived, 0);
    rmap_destroy(m);

    /* one row interval holding v[1] only, written with v[1] again */
    memset(v, 0, 2 * sizeof(*v));
    m = rmap_create(2, shape, &v[0], &ops, pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(rmap_write(m, &rows, &v[1]), 0);
    CU_ASSERT_EQUAL(v[1].refs, 1);
    CU_ASSERT_EQUAL(rmap_write(m, &rows, &v[1]), 0);
    CU_ASSERT_EQUAL(v[1].refs, 1);
    CU_ASSERT_EQUAL(v[1].zero_hits, 0);
    CU_ASSERT_EQUAL(v[1].revived, 0);
    ASSERT_DESTROY_KEEPS_ERRNO(rmap_destroy, m);
    free(v);
    ASSERT_DESTROY_KEEPS_ERRNO(pool_destroy, pool);
}

static const cunit_test_t tests[] = {
    {"random writes vs dense model, refcounts", test_model},
    {"row slabs [1e5 x 8]", test_row_slabs},
    {"column blocks [8 x 1e5]", test_column_blocks},
    {"slabs shuffled and descending", test_slabs_shuffled},
    {"tiles", test_tiles},
    {"rank 0", test_rank0},
    {"empty queries", test_empty_query},
    {"visitor stops the query", test_query_stop},
    {"NULL initial value", test_null_initial},
    {"rewriting a value only the map holds", test_rewrite_held_value},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("rmap", NULL, NULL, tests);
}
