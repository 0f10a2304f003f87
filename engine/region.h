/*
 * region.h - boxes (hyperslabs) of arrays and their algebra.
 *
 * A region is a box: per dimension a start and a count, up to TESS_MAX_RANK
 * dimensions. A box with any count 0 is empty. All functions are pure and
 * allocation-free; results go to caller-provided storage.
 */
#ifndef TESS_ENGINE_REGION_H
#define TESS_ENGINE_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

typedef struct region {
    int rank;
    int64_t start[TESS_MAX_RANK];
    int64_t count[TESS_MAX_RANK];
} region_t;

/* The whole of an array of the given shape. */
void region_full(region_t *r, int rank, const int64_t *shape);

/* Number of elements (0 for an empty box). Caller ensures no overflow:
 * shapes are validated against INT64_MAX elements when data is declared. */
int64_t region_volume(const region_t *r);

int region_is_empty(const region_t *r);

/* 1 if a and b (same rank) share at least one element. */
int region_overlaps(const region_t *a, const region_t *b);

/* 1 if every element of inner is in outer (an empty inner is contained). */
int region_contains(const region_t *outer, const region_t *inner);

/* Intersection of a and b into out; returns 1 if non-empty, 0 if empty. */
int region_intersect(const region_t *a, const region_t *b, region_t *out);

/* a minus b as at most 2*rank disjoint non-empty boxes written to out;
 * returns their number. out must have room for 2*TESS_MAX_RANK boxes. */
int region_difference(const region_t *a, const region_t *b, region_t *out);

int region_equal(const region_t *a, const region_t *b);

/* 1 if r lies within an array of the given shape and has no negative
 * start or count. */
int region_within(const region_t *r, int rank, const int64_t *shape);

/* "[s0:e0, s1:e1]" into buf; returns buf. */
char *region_format(const region_t *r, char *buf, size_t len);

#endif
