/*
 * rmap.h - which value (data version) holds each element of an array.
 *
 * An rmap partitions an array's index space into disjoint boxes, each mapped
 * to an opaque value (the engine stores dag_version pointers). Writing a box
 * replaces the values under it; querying a box lists the disjoint pieces of
 * it with their values.
 *
 * Structure: a value tree by dimension. A node is either uniform (one value
 * for its whole sub-box) or split along its dimension d into disjoint
 * intervals kept in a treap (a randomised balanced search tree keyed by the
 * interval start), each interval holding a node for dimensions d+1... Row
 * slabs, column blocks and tiles all stay O(log n + k) per access for n
 * intervals per level and k pieces touched, instead of a scan of history.
 *
 * Values are reference counted through the ops given at creation: the map
 * retains a value once per piece holding it and releases it when the piece
 * goes. Not thread-safe (owned by the engine thread).
 */
#ifndef TESS_ENGINE_RMAP_H
#define TESS_ENGINE_RMAP_H

#include <stddef.h>
#include <stdint.h>

#include "engine/pool.h"
#include "engine/region.h"

typedef struct rmap rmap_t;

typedef struct rmap_ops {
    void (*retain)(void *val);
    void (*release)(void *val);
} rmap_ops_t;

/* A map over an array of the given shape, all of it holding `initial`
 * (retained once). Interval nodes come from `nodes` (shared, borrowed until
 * rmap_destroy; object size rmap_node_size()). NULL/ENOMEM on failure. */
rmap_t *rmap_create(int rank, const int64_t *shape, void *initial,
                    const rmap_ops_t *ops, pool_t *nodes);

/* Release every value held and free the map. Accepts NULL. */
void rmap_destroy(rmap_t *m);

size_t rmap_node_size(void);

/* Every element of box (within the shape, non-empty) now holds val.
 * Returns 0, or -1/ENOMEM (the map is then unchanged or partially split,
 * never inconsistent). */
int rmap_write(rmap_t *m, const region_t *box, void *val);

/* Called for each piece of a queried box, in no particular order; a non-zero
 * return stops the query and is returned by rmap_query. */
typedef int (*rmap_visit_f)(void *ctx, void *val, const region_t *piece);

/* Visit the disjoint pieces covering box, each with its value. */
int rmap_query(const rmap_t *m, const region_t *box, rmap_visit_f visit,
               void *ctx);

/* Number of interval nodes in the map (its size, for tests and stats). */
size_t rmap_nodes(const rmap_t *m);

#endif
