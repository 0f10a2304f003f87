/* blocks.c - block files, listings and the index (see blocks.h). */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/box.h"
#include "store/blocks.h"
#include "store/fsops.h"
#include "store/meta.h"

#define INDEX_MAGIC "tessera-store-index"

int blocks_vec_push(blocks_vec_t *vec, const blocks_item_t *item)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 64;
        blocks_item_t *v = realloc(vec->v, cap * sizeof(*v));
        if (!v)
            return -1;
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = *item;
    return 0;
}

void blocks_vec_free(blocks_vec_t *vec)
{
    free(vec->v);
    memset(vec, 0, sizeof(*vec));
}

static int cmp_block(const void *a, const void *b)
{
    int64_t x = ((const blocks_item_t *)a)->blk.id;
    int64_t y = ((const blocks_item_t *)b)->blk.id;
    return (x > y) - (x < y);
}

void blocks_vec_sort(blocks_vec_t *vec)
{
    if (vec->n > 1)
        qsort(vec->v, vec->n, sizeof(*vec->v), cmp_block);
}

const blocks_item_t *blocks_vec_find(const blocks_vec_t *vec, int64_t id)
{
    blocks_item_t key = {.blk = {.id = id}};
    if (!vec->n)
        return NULL;
    return bsearch(&key, vec->v, vec->n, sizeof(*vec->v), cmp_block);
}

int blocks_path(char *buf, size_t len, const char *objdir, int64_t id)
{
    int w = snprintf(buf, len, "%s/" META_BLOCKS "/b%" PRId64 ".h5", objdir,
                     id);
    if (w < 0 || (size_t)w >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int64_t blocks_parse_name(const char *name)
{
    const char *p = name;
    int64_t id = 0;

    if (*p++ != 'b' || *p < '0' || *p > '9' || (p[0] == '0' && p[1] != '.'))
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (id > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        id = id * 10 + (*p - '0');
    }
    return strcmp(p, ".h5") == 0 ? id : -1;
}

/* opendir(OBJECT_DIR/blocks). A fresh opendir per listing: NFS clients
 * revalidate a directory when it is opened (close-to-open), so new
 * blocks of other nodes show up. */
static DIR *open_blocks(const char *objdir)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/" META_BLOCKS, objdir);
    return opendir(path);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int blocks_list_ids(const char *objdir, int64_t **ids, size_t *n)
{
    size_t cap = 0, k = 0;
    int64_t *v = NULL;
    struct dirent *de;
    DIR *d = open_blocks(objdir);

    if (!d)
        return -1;
    while ((de = readdir(d))) {
        int64_t id = blocks_parse_name(de->d_name);
        if (id < 0)
            continue;
        if (k == cap) {
            size_t c = cap ? cap * 2 : 256;
            int64_t *nv = realloc(v, c * sizeof(*nv));
            if (!nv) {
                free(v);
                closedir(d);
                errno = ENOMEM;
                return -1;
            }
            v = nv;
            cap = c;
        }
        v[k++] = id;
    }
    closedir(d);
    if (k > 1)
        qsort(v, k, sizeof(*v), cmp_id);
    *ids = v;
    *n = k;
    return 0;
}

void blocks_revalidate(const char *objdir)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/" META_BLOCKS, objdir);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}

int64_t blocks_count(const char *objdir)
{
    struct dirent *de;
    int64_t k = 0;
    DIR *d = open_blocks(objdir);

    if (!d)
        return -1;
    while ((de = readdir(d)))
        k += blocks_parse_name(de->d_name) >= 0;
    closedir(d);
    return k;
}

int blocks_index_write(const char *objdir, int rank, const blocks_vec_t *vec,
                       bool sync)
{
    fsops_text_t t;
    FILE *f = fsops_text_open(&t);

    if (!f)
        return -1;
    fprintf(f, INDEX_MAGIC " %d %d %zu\n", META_FORMAT, rank, vec->n);
    for (size_t i = 0; i < vec->n; i++) {
        const tess_store_block_t *b = &vec->v[i].blk;
        fprintf(f, "%" PRId64, b->id);
        for (int d = 0; d < rank; d++)
            fprintf(f, " %" PRId64, b->start[d]);
        for (int d = 0; d < rank; d++)
            fprintf(f, " %" PRId64, b->count[d]);
        fprintf(f, " %" PRId64 "\n", vec->v[i].offset);
    }
    return fsops_text_commit(&t, objdir, META_INDEX, sync);
}

/* Next decimal integer of *p (after blanks), advancing *p. */
static bool next_i64(char **p, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(*p, &end, 10);
    if (errno || end == *p || (*end != ' ' && *end != '\n' && *end))
        return false;
    *v = x;
    *p = end;
    return true;
}

int blocks_index_read(const char *objdir, int rank, size_t elsize,
                      int64_t nblocks, blocks_vec_t *vec, tess_error_t *err)
{
    char path[PATH_MAX], *text = NULL, *p;
    int64_t fmt, r, n, line = 1;
    vec->n = 0;
    snprintf(path, sizeof(path), "%s/" META_INDEX, objdir);
    if (fsops_read_file(path, SIZE_MAX / 2, &text, NULL) < 0)
        return tess_errprintf(err, "%s: %s", path, strerror(errno));
    p = text;
    if (strncmp(p, INDEX_MAGIC " ", sizeof(INDEX_MAGIC)) != 0)
        goto bad;
    p += sizeof(INDEX_MAGIC);
    if (!next_i64(&p, &fmt) || !next_i64(&p, &r) || !next_i64(&p, &n)
        || *p != '\n' || fmt < 1 || fmt > META_FORMAT || r != rank
        || n != nblocks)
        goto bad;
    p++;
    for (int64_t i = 0; i < n; i++) {
        blocks_item_t item;
        tess_store_block_t b;
        memset(&b, 0, sizeof(b));
        b.rank = rank;
        line++;
        if (!next_i64(&p, &b.id) || b.id < 0)
            goto bad;
        for (int d = 0; d < rank; d++)
            if (!next_i64(&p, &b.start[d]) || b.start[d] < 0)
                goto bad;
        for (int d = 0; d < rank; d++)
            if (!next_i64(&p, &b.count[d]) || b.count[d] < 0)
                goto bad;
        if (!next_i64(&p, &item.offset) || item.offset < -1 || *p != '\n'
            || (vec->n && vec->v[vec->n - 1].blk.id >= b.id))
            goto bad;
        p++;
        b.bytes = box_numel(rank, b.count);
        if (b.bytes < 0 || b.bytes > INT64_MAX / (int64_t)elsize)
            goto bad;
        b.bytes *= (int64_t)elsize;
        item.blk = b;
        if (blocks_vec_push(vec, &item) < 0)
            goto bad;
    }
    if (*p)
        goto bad;
    free(text);
    return 0;
bad:
    free(text);
    vec->n = 0;
    errno = EPROTO;
    return tess_errprintf(err, "%s:%" PRId64 ": malformed block index (rank "
                          "%d, %" PRId64 " blocks expected)", path, line,
                          rank, nblocks);
}

int blocks_remove_temps(const char *objdir)
{
    struct dirent *de;
    int removed = 0;
    DIR *d = open_blocks(objdir);

    if (!d)
        return errno == ENOENT ? 0 : -1;
    while ((de = readdir(d)))
        if (de->d_name[0] == 'b' && strstr(de->d_name, ".h5.tmp.")
            && unlinkat(dirfd(d), de->d_name, 0) == 0)
            removed++;
    closedir(d);
    return removed;
}
