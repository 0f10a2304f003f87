/* region.c - box algebra for array regions. */
#include "config.h"

#include <string.h>

#include "engine/region.h"
#include "base/box.h"

void region_full(region_t *r, int rank, const int64_t *shape)
{
    r->rank = rank;
    for (int d = 0; d < rank; d++) {
        r->start[d] = 0;
        r->count[d] = shape[d];
    }
}

int64_t region_volume(const region_t *r)
{
    int64_t v = 1;
    for (int d = 0; d < r->rank; d++)
        v *= r->count[d];
    return v;
}

int region_is_empty(const region_t *r)
{
    for (int d = 0; d < r->rank; d++)
        if (r->count[d] <= 0)
            return 1;
    return 0;
}

int region_overlaps(const region_t *a, const region_t *b)
{
    if (region_is_empty(a) || region_is_empty(b))
        return 0;
    for (int d = 0; d < a->rank; d++) {
        if (a->start[d] >= b->start[d] + b->count[d] ||
            b->start[d] >= a->start[d] + a->count[d])
            return 0;
    }
    return 1;
}

int region_contains(const region_t *outer, const region_t *inner)
{
    if (region_is_empty(inner))
        return 1;
    for (int d = 0; d < outer->rank; d++) {
        if (inner->start[d] < outer->start[d] ||
            inner->start[d] + inner->count[d] >
                outer->start[d] + outer->count[d])
            return 0;
    }
    return 1;
}

int region_intersect(const region_t *a, const region_t *b, region_t *out)
{
    int nonempty = 1;
    out->rank = a->rank;
    for (int d = 0; d < a->rank; d++) {
        int64_t lo = a->start[d] > b->start[d] ? a->start[d] : b->start[d];
        int64_t ae = a->start[d] + a->count[d];
        int64_t be = b->start[d] + b->count[d];
        int64_t hi = ae < be ? ae : be;
        out->start[d] = lo;
        out->count[d] = hi > lo ? hi - lo : 0;
        if (hi <= lo)
            nonempty = 0;
    }
    return nonempty;
}

/* Peel a - b dimension by dimension: for each dimension, the slabs of the
 * remaining box below and above b are pieces; the remainder shrinks to b's
 * extent in that dimension. Gives at most 2*rank disjoint boxes. */
int region_difference(const region_t *a, const region_t *b, region_t *out)
{
    region_t rest = *a;
    int n = 0;

    if (region_is_empty(a))
        return 0;
    if (!region_overlaps(a, b)) {
        out[0] = *a;
        return 1;
    }
    for (int d = 0; d < a->rank; d++) {
        int64_t rs = rest.start[d], re = rest.start[d] + rest.count[d];
        int64_t bs = b->start[d], be = b->start[d] + b->count[d];
        if (bs > rs) {
            out[n] = rest;
            out[n].count[d] = bs - rs;
            n++;
        }
        if (be < re) {
            out[n] = rest;
            out[n].start[d] = be;
            out[n].count[d] = re - be;
            n++;
        }
        int64_t lo = bs > rs ? bs : rs, hi = be < re ? be : re;
        rest.start[d] = lo;
        rest.count[d] = hi - lo;
    }
    return n;
}

int region_equal(const region_t *a, const region_t *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int d = 0; d < a->rank; d++)
        if (a->start[d] != b->start[d] || a->count[d] != b->count[d])
            return 0;
    return 1;
}

int region_within(const region_t *r, int rank, const int64_t *shape)
{
    if (r->rank != rank)
        return 0;
    for (int d = 0; d < rank; d++) {
        if (r->start[d] < 0 || r->count[d] < 0 || r->start[d] > shape[d] ||
            r->count[d] > shape[d] - r->start[d])
            return 0;
    }
    return 1;
}

char *region_format(const region_t *r, char *buf, size_t len)
{
    return box_format(buf, len, r->rank, r->start, r->count);
}
