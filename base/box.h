/*
 * box.h - boxes (hyperslabs) of dense row-major arrays in memory.
 *
 * A box is a start and a count per dimension; it covers the elements
 * [start[d], start[d] + count[d]) of every dimension d. Arrays are dense,
 * row-major (the last dimension varies fastest), of rank 1..TESS_MAX_RANK.
 * No HDF5 here: fragments served from memory (fragcache) are copied with
 * box_copy(), and the HDF5 modules use the same checks and messages.
 */
#ifndef TESS_BASE_BOX_H
#define TESS_BASE_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* Number of elements of a box of @p rank counts; -1 (errno EOVERFLOW) if it
 * does not fit in int64_t, or EINVAL if a count is negative or the rank
 * is outside 1..TESS_MAX_RANK. */
int64_t box_numel(int rank, const int64_t *count);

/* True if the box @p start/@p count lies inside the box
 * @p outer_start/@p outer_count (both in the same coordinates); counts >= 0,
 * overflow-safe. A box with a zero count must still start inside the
 * outer box's bounds (start in [outer_start, outer_start + outer_count]). */
bool box_inside(int rank, const int64_t *start, const int64_t *count,
                const int64_t *outer_start, const int64_t *outer_count);

/* Copy the box of extent @p count at @p src_start of the dense array @p src
 * (shape @p src_shape) to @p dst_start of the dense array @p dst (shape
 * @p dst_shape). Elements are @p elsize bytes. Contiguous innermost runs are
 * copied with one memcpy; dimensions that both boxes span entirely are
 * collapsed into one run. src and dst must not overlap.
 * Returns 0, or -1 with errno EINVAL if a box lies outside its array. */
int box_copy(size_t elsize, int rank, const void *src,
             const int64_t *src_shape, const int64_t *src_start, void *dst,
             const int64_t *dst_shape, const int64_t *dst_start,
             const int64_t *count);

/* Format a box as numpy-style slices, "[0:10, 5:9]", into @p buf (always
 * NUL-terminated, truncated if short). Returns @p buf, for messages. */
char *box_format(char *buf, size_t len, int rank, const int64_t *start,
                 const int64_t *count);

/* Format a shape as "100x401x2". Returns @p buf. */
char *box_format_shape(char *buf, size_t len, int rank, const int64_t *shape);

/* Iteration over a box in slabs of at most @p max_bytes (bounded buffers for
 * copies between files): the box is split along the outermost dimension
 * whose inner extent fits the limit, so every slab is a dense row-major block
 * of whole inner dimensions. A single element larger than the limit still
 * yields one-element slabs. Stack-allocated, no teardown. */
typedef struct box_slabs {
    int rank;
    int split;                     /* dimension that is cut into steps */
    int64_t step;                  /* extent of a slab along split */
    bool done;
    int64_t start[TESS_MAX_RANK];  /* the whole box */
    int64_t count[TESS_MAX_RANK];
    int64_t pos[TESS_MAX_RANK];    /* start of the next slab */
} box_slabs_t;

/* Start iterating over the box @p start/@p count. An empty box yields no
 * slab. Returns the number of bytes of the largest slab (what a buffer for
 * the iteration needs), or 0 if the box is empty. */
size_t box_slabs_init(box_slabs_t *it, int rank, const int64_t *start,
                      const int64_t *count, size_t elsize, size_t max_bytes);

/* Next slab in row-major order into @p slab_start/@p slab_count (rank
 * entries each). Returns false when the box is exhausted. */
bool box_slabs_next(box_slabs_t *it, int64_t *slab_start, int64_t *slab_count);

#endif /* TESS_BASE_BOX_H */
