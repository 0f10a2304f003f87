/* rmap.c - per-dimension interval treaps mapping array boxes to values. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rmap.h"

/* A node of the value tree: uniform (split == NULL, leaf = value) or split
 * along this level's dimension into the intervals of the treap `split`. */
struct rval {
    void *leaf;
    struct tnode *split;
};

/* One interval [lo, hi) of a split dimension. */
struct tnode {
    int64_t lo, hi;
    struct tnode *l, *r;
    struct rval sub;
    uint32_t prio;
};

struct rmap {
    int rank;
    int64_t shape[TESS_MAX_RANK];
    struct rval root;
    const rmap_ops_t *ops;
    pool_t *nodes;
    uint64_t rng;
    size_t nnodes;
};

size_t rmap_node_size(void)
{
    return sizeof(struct tnode);
}

static uint32_t next_prio(rmap_t *m)
{
    /* xorshift64*: treap priorities only need to be unpredictable to the
     * access pattern, not cryptographic. */
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return (uint32_t)((m->rng * 2685821657736338717ULL) >> 32);
}

static struct tnode *node_new(rmap_t *m, int64_t lo, int64_t hi)
{
    struct tnode *n = pool_alloc(m->nodes);
    if (!n)
        return NULL;
    n->lo = lo;
    n->hi = hi;
    n->l = n->r = NULL;
    n->sub.leaf = NULL;
    n->sub.split = NULL;
    n->prio = next_prio(m);
    m->nnodes++;
    return n;
}

static void rval_free(rmap_t *m, struct rval *v);

static void tree_free(rmap_t *m, struct tnode *t)
{
    while (t) {
        struct tnode *right = t->r;
        tree_free(m, t->l);
        rval_free(m, &t->sub);
        pool_free(m->nodes, t);
        m->nnodes--;
        t = right;
    }
}

static void rval_free(rmap_t *m, struct rval *v)
{
    if (v->split)
        tree_free(m, v->split);
    else if (v->leaf)
        m->ops->release(v->leaf);
    v->split = NULL;
    v->leaf = NULL;
}

static int rval_copy(rmap_t *m, const struct rval *src, struct rval *dst);

static struct tnode *tree_clone(rmap_t *m, const struct tnode *t, int *err)
{
    if (!t || *err)
        return NULL;
    struct tnode *n = node_new(m, t->lo, t->hi);
    if (!n) {
        *err = 1;
        return NULL;
    }
    n->prio = t->prio;
    n->l = tree_clone(m, t->l, err);
    n->r = tree_clone(m, t->r, err);
    if (rval_copy(m, &t->sub, &n->sub) < 0)
        *err = 1;
    return n;
}

static int rval_copy(rmap_t *m, const struct rval *src, struct rval *dst)
{
    dst->leaf = NULL;
    dst->split = NULL;
    if (!src->split) {
        dst->leaf = src->leaf;
        if (src->leaf)
            m->ops->retain(src->leaf);
        return 0;
    }
    int err = 0;
    dst->split = tree_clone(m, src->split, &err);
    if (err) {
        rval_free(m, dst);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Treap primitives: all starts in a precede all starts in b. */
static struct tnode *tree_merge(struct tnode *a, struct tnode *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (a->prio > b->prio) {
        a->r = tree_merge(a->r, b);
        return a;
    }
    b->l = tree_merge(a, b->l);
    return b;
}

/* Split t into intervals starting before key (*lt) and at/after it (*ge). */
static void tree_split(struct tnode *t, int64_t key, struct tnode **lt,
                       struct tnode **ge)
{
    if (!t) {
        *lt = *ge = NULL;
    } else if (t->lo < key) {
        tree_split(t->r, key, &t->r, ge);
        *lt = t;
    } else {
        tree_split(t->l, key, lt, &t->l);
        *ge = t;
    }
}

static struct tnode *tree_find(struct tnode *t, int64_t x)
{
    while (t) {
        if (x < t->lo)
            t = t->l;
        else if (x >= t->hi)
            t = t->r;
        else
            return t;
    }
    return NULL;
}

/* Make x an interval boundary of the treap *root (extent [0, ext)). */
static int ensure_break(rmap_t *m, struct tnode **root, int64_t x, int64_t ext)
{
    if (x <= 0 || x >= ext)
        return 0;
    struct tnode *t = tree_find(*root, x);
    if (!t || t->lo == x)
        return 0;
    struct tnode *n = node_new(m, x, t->hi);
    if (!n)
        return -1;
    if (rval_copy(m, &t->sub, &n->sub) < 0) {
        pool_free(m->nodes, n);
        m->nnodes--;
        return -1;
    }
    t->hi = x;
    struct tnode *lt, *ge;
    tree_split(*root, x, &lt, &ge);
    *root = tree_merge(tree_merge(lt, n), ge);
    return 0;
}

/* 1 if box covers dimensions level.. of the array entirely. */
static int covers_from(const rmap_t *m, const region_t *box, int level)
{
    for (int d = level; d < m->rank; d++)
        if (box->start[d] != 0 || box->count[d] != m->shape[d])
            return 0;
    return 1;
}

static int rval_write(rmap_t *m, struct rval *v, int level,
                      const region_t *box, void *val);

static int tree_write_all(rmap_t *m, struct tnode *t, int level,
                          const region_t *box, void *val)
{
    for (; t; t = t->r) {
        if (tree_write_all(m, t->l, level, box, val) < 0)
            return -1;
        if (rval_write(m, &t->sub, level + 1, box, val) < 0)
            return -1;
    }
    return 0;
}

static int rval_write(rmap_t *m, struct rval *v, int level,
                      const region_t *box, void *val)
{
    if (covers_from(m, box, level)) {
        /* Retain before freeing: val may be held only by what goes. */
        m->ops->retain(val);
        rval_free(m, v);
        v->leaf = val;
        return 0;
    }
    int64_t ext = m->shape[level];
    if (!v->split) {
        struct tnode *n = node_new(m, 0, ext);
        if (!n)
            return -1;
        n->sub.leaf = v->leaf; /* the reference moves into the node */
        v->leaf = NULL;
        v->split = n;
    }
    int64_t s = box->start[level], e = s + box->count[level];
    if (ensure_break(m, &v->split, s, ext) < 0 ||
        ensure_break(m, &v->split, e, ext) < 0)
        return -1;

    struct tnode *a, *mid, *c;
    tree_split(v->split, s, &a, &mid);
    tree_split(mid, e, &mid, &c);
    int rc = 0;
    if (covers_from(m, box, level + 1)) {
        /* Everything in [s, e) becomes one interval holding val. */
        struct tnode *n = node_new(m, s, e);
        if (n) {
            m->ops->retain(val); /* before freeing, as above */
            tree_free(m, mid);
            n->sub.leaf = val;
            mid = n;
        } else {
            rc = -1;
        }
    } else {
        rc = tree_write_all(m, mid, level, box, val);
    }
    v->split = tree_merge(tree_merge(a, mid), c);

    /* One interval over the whole extent holding one value: uniform again. */
    struct tnode *root = v->split;
    if (!root->l && !root->r && !root->sub.split) {
        v->leaf = root->sub.leaf;
        v->split = NULL;
        pool_free(m->nodes, root);
        m->nnodes--;
    }
    return rc;
}

rmap_t *rmap_create(int rank, const int64_t *shape, void *initial,
                    const rmap_ops_t *ops, pool_t *nodes)
{
    rmap_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->rank = rank;
    if (rank > 0) /* rank 0 (files) passes shape NULL: memcpy(NULL) is UB */
        memcpy(m->shape, shape, sizeof(int64_t) * (size_t)rank);
    m->ops = ops;
    m->nodes = nodes;
    m->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)m;
    m->root.leaf = initial;
    if (initial)
        ops->retain(initial);
    return m;
}

void rmap_destroy(rmap_t *m)
{
    int saved = errno;
    if (!m)
        return;
    rval_free(m, &m->root);
    free(m);
    errno = saved;
}

int rmap_write(rmap_t *m, const region_t *box, void *val)
{
    return rval_write(m, &m->root, 0, box, val);
}

struct query {
    const rmap_t *m;
    const region_t *box;
    rmap_visit_f visit;
    void *ctx;
    region_t piece;
};

static int rval_query(struct query *q, const struct rval *v, int level);

/* Visit the intervals of t overlapping [s, e): the left subtree can only
 * overlap if s lies before this interval, the right one if e lies after. */
static int tree_query(struct query *q, const struct tnode *t, int level,
                      int64_t s, int64_t e)
{
    while (t) {
        if (s < t->lo) {
            int rc = tree_query(q, t->l, level, s, e);
            if (rc)
                return rc;
        }
        if (t->lo < e && s < t->hi) {
            int64_t lo = s > t->lo ? s : t->lo;
            int64_t hi = e < t->hi ? e : t->hi;
            q->piece.start[level] = lo;
            q->piece.count[level] = hi - lo;
            int rc = rval_query(q, &t->sub, level + 1);
            if (rc)
                return rc;
        }
        if (e <= t->hi)
            return 0;
        t = t->r;
    }
    return 0;
}

static int rval_query(struct query *q, const struct rval *v, int level)
{
    if (!v->split) {
        for (int d = level; d < q->m->rank; d++) {
            q->piece.start[d] = q->box->start[d];
            q->piece.count[d] = q->box->count[d];
        }
        return q->visit(q->ctx, v->leaf, &q->piece);
    }
    int64_t s = q->box->start[level], e = s + q->box->count[level];
    return tree_query(q, v->split, level, s, e);
}

int rmap_query(const rmap_t *m, const region_t *box, rmap_visit_f visit,
               void *ctx)
{
    struct query q = {.m = m, .box = box, .visit = visit, .ctx = ctx};
    q.piece.rank = m->rank;
    if (region_is_empty(box))
        return 0;
    return rval_query(&q, &m->root, 0);
}

size_t rmap_nodes(const rmap_t *m)
{
    return m->nnodes;
}
