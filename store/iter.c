/* iter.c - the blocks of an object: iteration, waits, reads (tessera.h's
 * tess_store_blocks, _next, _wait, _block_info, _read, _read_box). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/box.h"
#include "io/h5frag.h"
#include "store/blocks.h"
#include "store/meta.h"
#include "store/store_private.h"
#include "store/watch.h"

struct tess_store_iter {
    tess_store_obj_t *obj;   /* borrowed */
    unsigned flags;
    bool from_index;         /* the object is complete: walk its index */
    bool scanned;            /* the directory was listed at least once */
    size_t pos;              /* next index entry */
    int64_t *seen;           /* ids queued so far, ascending */
    size_t nseen;
    int64_t *queue;          /* ids to yield, ascending */
    size_t nqueue, qpos;
    watch_t watch;
};

/* Start watching the object's directory (state changes) and its blocks
 * directory (commits). */
static void start_watch(const tess_store_obj_t *obj, watch_t *w,
                        double timeout_s, bool active)
{
    char sub[PATH_MAX];
    const char *dirs[2] = {obj->dir, sub};

    snprintf(sub, sizeof(sub), "%s/" META_BLOCKS, obj->dir);
    watch_init(w, dirs, active ? 2 : 0, timeout_s);
}

tess_store_iter_t *tess_store_blocks(tess_store_obj_t *obj, unsigned flags,
                                     double timeout_s, tess_error_t *err)
{
    tess_store_iter_t *it;

    if (!obj || (flags & ~TESS_STORE_WAIT)) {
        errno = EINVAL;
        tess_errprintf(err, "store: no object, or unknown flags 0x%x", flags);
        return NULL;
    }
    if (!(it = calloc(1, sizeof(*it)))) {
        errno = ENOMEM;
        tess_errprintf(err, "store: out of memory");
        return NULL;
    }
    it->obj = obj;
    it->flags = flags;
    start_watch(obj, &it->watch, timeout_s, flags & TESS_STORE_WAIT);
    return it;
}

void tess_store_iter_destroy(tess_store_iter_t *it)
{
    int e = errno;
    if (it) {
        watch_destroy(&it->watch);
        free(it->seen);
        free(it->queue);
        free(it);
    }
    errno = e;
}

static bool was_seen(const tess_store_iter_t *it, int64_t id)
{
    size_t lo = 0, hi = it->nseen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (it->seen[mid] == id)
            return true;
        if (it->seen[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* List the blocks directory; queue the ids not seen before. Returns the
 * number queued, -1 on error. */
static int rescan(tess_store_iter_t *it, tess_error_t *err)
{
    int64_t *ids, *merged, *fresh;
    size_t n, nm = 0, nf = 0, i = 0, j = 0;

    if (blocks_list_ids(it->obj->dir, &ids, &n) < 0)
        return store_obj_fail(it->obj, errno, err, "cannot list its blocks");
    it->scanned = true;
    merged = malloc((n + it->nseen + 1) * sizeof(*merged));
    fresh = malloc((n + 1) * sizeof(*fresh));
    if (!merged || !fresh) {
        free(ids);
        free(merged);
        free(fresh);
        errno = ENOMEM;
        return tess_errprintf(err, "store: out of memory");
    }
    /* both ascending: a merge gives the union and what is new */
    while (i < it->nseen || j < n) {
        if (j == n || (i < it->nseen && it->seen[i] < ids[j])) {
            merged[nm++] = it->seen[i++];
        } else if (i == it->nseen || ids[j] < it->seen[i]) {
            merged[nm++] = fresh[nf++] = ids[j++];
        } else {
            merged[nm++] = it->seen[i++];
            j++;
        }
    }
    free(ids);
    free(it->seen);
    free(it->queue);
    it->seen = merged;
    it->nseen = nm;
    it->queue = fresh;
    it->nqueue = nf;
    it->qpos = 0;
    return (int)(nf > INT_MAX ? INT_MAX : nf);
}

/* "no new block for S s (...)": the time-out of an iteration. */
static int iter_timeout(tess_store_iter_t *it, int alive, tess_error_t *err)
{
    char label[PATH_MAX + 200];
    const tess_store_obj_t *obj = it->obj;

    store_obj_label(obj, label, sizeof(label));
    errno = ETIMEDOUT;
    return tess_errprintf(err, "%s: no new block for %.1f s (%zu blocks so "
                          "far, producer %s@%s pid %ld %s)", label,
                          it->watch.timeout, it->nseen, obj->meta.user,
                          obj->meta.host, obj->meta.pid,
                          alive > 0 ? "alive" : "liveness unknown");
}

int iter_step(tess_store_iter_t *it, tess_store_block_t *blk, int *alive,
              tess_error_t *err)
{
    char label[PATH_MAX + 200];

    if (!it || !blk) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no iteration or no block");
    }
    tess_store_obj_t *obj = it->obj;
    *alive = -1;
    for (;;) {
        if (it->from_index) {
            while (it->pos < obj->index.n) {
                const tess_store_block_t *b = &obj->index.v[it->pos++].blk;
                if (!was_seen(it, b->id)) {
                    *blk = *b;
                    return 1;
                }
            }
            return 0;
        }
        if (it->qpos < it->nqueue) {
            int64_t id = it->queue[it->qpos++];
            blocks_item_t item;
            if (store_block_header(obj, id, &item, err) < 0)
                return -1;
            *blk = item.blk;
            return 1;
        }
        /* Nothing queued: has the object changed? */
        if (store_obj_refresh(obj, err) < 0)
            return -1;
        if (obj->meta.complete) {
            if (store_obj_load_index(obj, err) < 0)
                return -1;
            it->from_index = true;
            continue;
        }
        if (it->scanned && !(it->flags & TESS_STORE_WAIT))
            return 0; /* a snapshot of an object under construction */
        *alive = store_obj_producer_alive(obj);
        int fresh = rescan(it, err);
        if (fresh < 0)
            return -1;
        if (fresh > 0) {
            watch_progress(&it->watch);
            continue;
        }
        if (!(it->flags & TESS_STORE_WAIT))
            return 0;
        if (store_obj_deleted(obj))
            return store_obj_fail(obj, ESTALE, err, "no more blocks");
        store_obj_label(obj, label, sizeof(label));
        /* Liveness was tested before the listing, so a block committed
         * just before the producer died has been seen. */
        if (*alive == 0) {
            errno = EPIPE;
            return tess_errprintf(err, "%s is incomplete: its producer %s@%s "
                                  "(pid %ld) ended without completing it, "
                                  "after %zu blocks", label,
                                  obj->meta.user, obj->meta.host,
                                  obj->meta.pid, it->nseen);
        }
        return 2;
    }
}

int tess_store_next(tess_store_iter_t *it, tess_store_block_t *blk,
                    tess_error_t *err)
{
    int alive;
    for (;;) {
        int rc = iter_step(it, blk, &alive, err);
        if (rc != 2)
            return rc;
        if (watch_pause(&it->watch) < 0)
            return iter_timeout(it, alive, err);
    }
}

int iter_step_nowait(tess_store_iter_t *it, tess_store_block_t *blk,
                     tess_error_t *err)
{
    int alive;
    int rc = iter_step(it, blk, &alive, err);
    if (rc == 2 && it->watch.timeout > 0
        && watch_waited(&it->watch) >= it->watch.timeout)
        return iter_timeout(it, alive, err);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Single blocks                                                       */
/* ------------------------------------------------------------------ */

/* Block @p block of @p obj with its data offset: from the index of a
 * complete object, else from its file's header. */
static int find_block(tess_store_obj_t *obj, int64_t block,
                      blocks_item_t *item, tess_error_t *err)
{
    char label[PATH_MAX + 200];

    if (obj->meta.complete) {
        if (store_obj_load_index(obj, err) < 0)
            return -1;
        const blocks_item_t *b = blocks_vec_find(&obj->index, block);
        if (!b) {
            errno = ENOENT;
            return tess_errprintf(err, "%s: no block %" PRId64,
                                  store_obj_label(obj, label, sizeof(label)),
                                  block);
        }
        *item = *b;
        return 0;
    }
    if (store_block_header(obj, block, item, err) < 0) {
        if (errno == ENOENT)
            return tess_errprintf(err, "%s: no block %" PRId64 " (yet: the "
                                  "object is under construction)",
                                  store_obj_label(obj, label, sizeof(label)),
                                  block);
        return -1;
    }
    return 0;
}

int tess_store_block_info(tess_store_obj_t *obj, int64_t block,
                          tess_store_block_t *blk, tess_error_t *err)
{
    blocks_item_t item;

    if (!obj || !blk) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object or no block");
    }
    if (find_block(obj, block, &item, err) < 0)
        return -1;
    *blk = item.blk;
    return 0;
}

int iter_wait_step(tess_store_obj_t *obj, int64_t block, tess_error_t *err)
{
    char label[PATH_MAX + 200], path[PATH_MAX];

    store_obj_label(obj, label, sizeof(label));
    if (blocks_path(path, sizeof(path), obj->dir, block) < 0)
        return tess_errprintf(err, "%s: path too long", label);
    blocks_revalidate(obj->dir);
    if (access(path, F_OK) == 0)
        return 1;
    if (store_obj_refresh(obj, err) < 0)
        return -1;
    if (obj->meta.complete) {
        if (store_obj_load_index(obj, err) < 0)
            return -1;
        if (blocks_vec_find(&obj->index, block))
            return 1;
        errno = ENOENT;
        return tess_errprintf(err, "%s is complete without block %" PRId64,
                              label, block);
    }
    if (store_obj_deleted(obj))
        return store_obj_fail(obj, ESTALE, err, "waiting for a block");
    if (store_obj_producer_alive(obj) == 0) {
        if (access(path, F_OK) == 0) /* committed just before */
            return 1;
        errno = EPIPE;
        return tess_errprintf(err, "%s is incomplete: its producer %s@%s "
                              "(pid %ld) ended without committing block %"
                              PRId64, label, obj->meta.user, obj->meta.host,
                              obj->meta.pid, block);
    }
    return 0;
}

int tess_store_wait(tess_store_obj_t *obj, int64_t block, double timeout_s,
                    tess_error_t *err)
{
    char label[PATH_MAX + 200];
    watch_t w;
    int rc;

    if (!obj || block < 0) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object, or block id < 0");
    }
    start_watch(obj, &w, timeout_s, true);
    while ((rc = iter_wait_step(obj, block, err)) == 0) {
        if (watch_pause(&w) < 0) {
            errno = ETIMEDOUT;
            tess_errprintf(err, "%s: block %" PRId64 " not committed after "
                           "%.1f s (producer %s@%s pid %ld still at work)",
                           store_obj_label(obj, label, sizeof(label)), block,
                           timeout_s, obj->meta.user, obj->meta.host,
                           obj->meta.pid);
            rc = -1;
            break;
        }
    }
    int e = errno;
    watch_destroy(&w);
    errno = e;
    return rc < 0 ? -1 : 0;
}

int tess_store_read_box(tess_store_obj_t *obj, int64_t block,
                        const int64_t *start, const int64_t *count,
                        void *buf, tess_error_t *err)
{
    static const int64_t zeros[TESS_MAX_RANK];
    char path[PATH_MAX];
    tess_error_t e2;

    if (!obj || !start || !count) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object or no box");
    }
    if (block < 0 || blocks_path(path, sizeof(path), obj->dir, block) < 0) {
        errno = EINVAL;
        return tess_errprintf(err, "store: bad block id %" PRId64, block);
    }
    if (h5frag_read(path, obj->meta.type, obj->meta.rank, start, count, buf,
                    count, zeros, &e2) == 0)
        return 0;
    /* A block that is missing or unreadable because the object was
     * deleted is reported as such; a reader never gets other data. */
    return store_obj_fail(obj, errno, err, e2.text);
}

int tess_store_read(tess_store_obj_t *obj, int64_t block, void *buf,
                    tess_error_t *err)
{
    char path[PATH_MAX];
    blocks_item_t item;
    tess_error_t e2;

    if (!obj) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object");
    }
    if (find_block(obj, block, &item, err) < 0)
        return -1;
    /* Blocks are never replaced, so their elements stay where the index
     * or the header said: one POSIX read, no HDF5 open (~100 us less per
     * block). HDF5 where the offset is unknown or the host big-endian. */
    if (item.offset >= 0 && item.blk.bytes > 0) {
        blocks_path(path, sizeof(path), obj->dir, block);
        if (h5frag_read_at(path, item.offset, obj->meta.type,
                           item.blk.bytes / (int64_t)tess_type_size(
                                                obj->meta.type),
                           buf, &e2) == 0)
            return 0;
        if (errno != ENOTSUP)
            return store_obj_fail(obj, errno, err, e2.text);
    }
    return tess_store_read_box(obj, block, item.blk.start, item.blk.count,
                               buf, err);
}
