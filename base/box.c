/* box.c - boxes of dense row-major arrays: checks, copies, slab iteration. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/box.h"

int64_t box_numel(int rank, const int64_t *count)
{
    if (rank < 1 || rank > TESS_MAX_RANK || !count) {
        errno = EINVAL;
        return -1;
    }
    int64_t n = 1;
    for (int d = 0; d < rank; d++) {
        if (count[d] < 0) {
            errno = EINVAL;
            return -1;
        }
        if (__builtin_mul_overflow(n, count[d], &n)) {
            errno = EOVERFLOW;
            return -1;
        }
    }
    return n;
}

bool box_inside(int rank, const int64_t *start, const int64_t *count,
                const int64_t *outer_start, const int64_t *outer_count)
{
    if (rank < 1 || rank > TESS_MAX_RANK)
        return false;
    for (int d = 0; d < rank; d++) {
        int64_t off, room;
        if (count[d] < 0 || outer_count[d] < 0 || start[d] < outer_start[d])
            return false;
        if (__builtin_sub_overflow(start[d], outer_start[d], &off))
            return false;
        room = outer_count[d] - count[d]; /* both >= 0: cannot overflow */
        if (off > room)
            return false;
    }
    return true;
}

int box_copy(size_t elsize, int rank, const void *src,
             const int64_t *src_shape, const int64_t *src_start, void *dst,
             const int64_t *dst_shape, const int64_t *dst_start,
             const int64_t *count)
{
    static const int64_t zeros[TESS_MAX_RANK];
    int64_t n = box_numel(rank, count);

    if (n < 0 || elsize == 0 || box_numel(rank, src_shape) < 0
        || box_numel(rank, dst_shape) < 0
        || !box_inside(rank, src_start, count, zeros, src_shape)
        || !box_inside(rank, dst_start, count, zeros, dst_shape)) {
        errno = EINVAL;
        return -1;
    }
    if (n == 0)
        return 0;
    if (!src || !dst) {
        errno = EINVAL;
        return -1;
    }

    /* Element strides of both arrays and the offsets of the boxes. */
    int64_t sstride[TESS_MAX_RANK], dstride[TESS_MAX_RANK];
    int64_t soff = 0, doff = 0;
    sstride[rank - 1] = dstride[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; d--) {
        sstride[d] = sstride[d + 1] * src_shape[d + 1];
        dstride[d] = dstride[d + 1] * dst_shape[d + 1];
    }
    for (int d = 0; d < rank; d++) {
        soff += src_start[d] * sstride[d];
        doff += dst_start[d] * dstride[d];
    }

    /* The contiguous run: the innermost dimension, extended outwards while
     * the box spans whole dimensions of both arrays. Dimensions 0..k-1 are
     * walked by an odometer. */
    int k = rank - 1;
    int64_t run = count[k];
    while (k > 0 && count[k] == src_shape[k] && count[k] == dst_shape[k]) {
        k--;
        run *= count[k];
    }
    const size_t run_bytes = (size_t)run * elsize;
    const char *s = (const char *)src + (size_t)soff * elsize;
    char *t = (char *)dst + (size_t)doff * elsize;

    if (k == 0) {
        memcpy(t, s, run_bytes);
        return 0;
    }
    int64_t idx[TESS_MAX_RANK] = {0};
    const size_t sstep = (size_t)sstride[k - 1] * elsize;
    const size_t dstep = (size_t)dstride[k - 1] * elsize;
    for (;;) {
        /* Innermost walked dimension k-1 as a tight loop. */
        const char *ss = s;
        char *tt = t;
        for (int64_t i = 0; i < count[k - 1]; i++) {
            memcpy(tt, ss, run_bytes);
            ss += sstep;
            tt += dstep;
        }
        /* Odometer over dimensions 0..k-2. */
        int d = k - 2;
        for (; d >= 0; d--) {
            if (++idx[d] < count[d]) {
                s += (size_t)sstride[d] * elsize;
                t += (size_t)dstride[d] * elsize;
                break;
            }
            s -= (size_t)((count[d] - 1) * sstride[d]) * elsize;
            t -= (size_t)((count[d] - 1) * dstride[d]) * elsize;
            idx[d] = 0;
        }
        if (d < 0)
            return 0;
    }
}

/* Format into buf[len] one entry per dimension: "[s:e, s:e]" for a box
 * (@p count given), "AxB" for a shape (@p count NULL, @p start the shape).
 * Truncated to fit; a bad rank counts as 0. */
static char *format(char *buf, size_t len, int rank, const int64_t *start,
                    const int64_t *count)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (rank < 0 || rank > TESS_MAX_RANK)
        rank = 0;
    for (int d = 0; d <= rank && used < len; d++) {
        int n;
        if (!count && d == rank)
            break;
        if (!count)
            n = snprintf(buf + used, len - used, "%s%lld", d ? "x" : "",
                         (long long)start[d]);
        else if (d == rank)
            n = snprintf(buf + used, len - used, "%s]", rank ? "" : "[");
        else
            n = snprintf(buf + used, len - used, "%s%lld:%lld",
                         d ? ", " : "[", (long long)start[d],
                         (long long)(start[d] + count[d]));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

char *box_format(char *buf, size_t len, int rank, const int64_t *start,
                 const int64_t *count)
{
    return format(buf, len, rank, start, count);
}

char *box_format_shape(char *buf, size_t len, int rank, const int64_t *shape)
{
    return format(buf, len, rank, shape, NULL);
}

size_t box_slabs_init(box_slabs_t *it, int rank, const int64_t *start,
                      const int64_t *count, size_t elsize, size_t max_bytes)
{
    memset(it, 0, sizeof(*it));
    it->done = true;
    if (box_numel(rank, count) <= 0 || elsize == 0)
        return 0;
    it->rank = rank;
    it->done = false;
    memcpy(it->start, start, (size_t)rank * sizeof(*start));
    memcpy(it->count, count, (size_t)rank * sizeof(*count));
    memcpy(it->pos, start, (size_t)rank * sizeof(*start));

    /* inner = bytes of one step along dimension d (dims d+1.. whole). The
     * outermost d whose step fits is split; a step of at least 1. */
    size_t inner = elsize;
    int d = rank - 1;
    size_t inner_d = inner;
    for (int e = rank - 1; e >= 0; e--) {
        if (inner > max_bytes)
            break;
        d = e;
        inner_d = inner;
        if (e > 0 && (uint64_t)count[e] > (SIZE_MAX / inner))
            break;
        inner *= (size_t)count[e];
    }
    it->split = d;
    int64_t step = inner_d >= max_bytes ? 1 : (int64_t)(max_bytes / inner_d);
    if (step > count[d])
        step = count[d];
    it->step = step;
    return (size_t)step * inner_d;
}

bool box_slabs_next(box_slabs_t *it, int64_t *slab_start, int64_t *slab_count)
{
    if (it->done)
        return false;
    const int s = it->split;
    for (int d = 0; d < it->rank; d++) {
        slab_start[d] = it->pos[d];
        if (d < s)
            slab_count[d] = 1;
        else if (d > s)
            slab_count[d] = it->count[d];
    }
    int64_t end = it->start[s] + it->count[s];
    slab_count[s] = it->pos[s] + it->step <= end ? it->step : end - it->pos[s];

    /* Advance: dimension s by step, then the odometer over 0..s-1. */
    it->pos[s] += slab_count[s];
    if (it->pos[s] < end)
        return true;
    it->pos[s] = it->start[s];
    for (int d = s - 1; d >= 0; d--) {
        if (++it->pos[d] < it->start[d] + it->count[d])
            return true;
        it->pos[d] = it->start[d];
    }
    it->done = true;
    return true;
}
