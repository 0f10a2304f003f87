/* inrun.c - the store as a run uses it: commits of the run's fragment
 * files, producers taken over at a resume, waits in steps (inrun.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/box.h"
#include "io/h5frag.h"
#include "store/blocks.h"
#include "store/inrun.h"
#include "store/meta.h"
#include "store/plock.h"
#include "store/store_private.h"

/* The file's data reach the disk before its name in the store does, as
 * for blocks written by tess_store_put (a run may write its fragments
 * without fsync, TESS_FRAG_SYNC=0). */
static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fdatasync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* A group store (setgid directories) gives its group to whatever it
 * holds; a linked file keeps the group it was created with (the run
 * directory's), so it is given the store's here, if the owner may. */
static void fix_group(const char *path, const char *dir)
{
    struct stat ds, fs;
    if (stat(dir, &ds) < 0 || !(ds.st_mode & S_ISGID) || stat(path, &fs) < 0
        || fs.st_gid == ds.st_gid)
        return;
    if (chown(path, (uid_t)-1, ds.st_gid) < 0)
        return; /* not a member: the umask decides who reads it */
}

/* Copy the elements of @p path into the object: where linking is not
 * possible. */
static int commit_copy(tess_store_obj_t *obj, int64_t block, const char *path,
                       const int64_t *start, const int64_t *count,
                       tess_error_t *err)
{
    const meta_t *m = &obj->meta;
    int64_t n = box_numel(m->rank, count);
    size_t bytes = (size_t)n * tess_type_size(m->type);
    static const int64_t zero[TESS_MAX_RANK];
    tess_error_t e2;
    void *buf = malloc(bytes ? bytes : 1);

    if (!buf) {
        errno = ENOMEM;
        return store_obj_fail(obj, ENOMEM, err, "out of memory");
    }
    int rc = h5frag_read(path, m->type, m->rank, start, count, buf, count,
                         zero, &e2);
    if (rc < 0)
        store_obj_fail(obj, errno, err, e2.text);
    else
        rc = tess_store_put(obj, block, start, count, buf, err);
    free(buf);
    return rc;
}

int inrun_commit_file(tess_store_obj_t *obj, int64_t block, const char *path,
                      tess_error_t *err)
{
    char label[PATH_MAX + 200], dst[PATH_MAX], sub[PATH_MAX], what[400];
    blocks_item_t item;
    tess_type_t type;
    tess_error_t e2;

    if (!obj || !path) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object or no file");
    }
    store_obj_label(obj, label, sizeof(label));
    const meta_t *m = &obj->meta;
    tess_store_block_t *b = &item.blk;
    memset(&item, 0, sizeof(item));
    b->id = block;
    if (h5frag_info2(path, &type, &b->rank, b->start, b->count, &item.offset,
                     &e2) < 0)
        return tess_errprintf(err, "%s: block %" PRId64 ": %s", label, block,
                              e2.text);
    if (type != m->type || b->rank != m->rank) {
        errno = EINVAL;
        return tess_errprintf(err, "%s: block %" PRId64 ": %s holds %s "
                              "elements of rank %d, the object %s of rank %d",
                              label, block, path, tess_type_name(type),
                              b->rank, tess_type_name(m->type), m->rank);
    }
    if (store_block_admit(obj, block, b->start, b->count, dst, sizeof(dst),
                          err) < 0)
        return -1;
    if (m->sync && sync_file(path) < 0) {
        snprintf(what, sizeof(what), "cannot sync %s: %s", path,
                 strerror(errno));
        return store_obj_fail(obj, errno, err, what);
    }
    snprintf(sub, sizeof(sub), "%s/" META_BLOCKS, obj->dir);
    fix_group(path, sub);
    if (link(path, dst) < 0) {
        int e = errno;
        struct stat a, c;
        /* NFS: a retransmitted LINK whose first reply was lost answers
         * EEXIST for our own link */
        if (e == EEXIST && stat(path, &a) == 0 && stat(dst, &c) == 0 &&
            a.st_dev == c.st_dev && a.st_ino == c.st_ino)
            return store_block_landed(obj, dst, &item, err);
        if (e == EEXIST) {
            errno = EEXIST;
            return tess_errprintf(err, "%s: block %" PRId64 " exists already "
                                  "(blocks are written once)", label, block);
        }
        if (e == EXDEV || e == EPERM || e == ENOTSUP || e == EMLINK)
            return commit_copy(obj, block, path, b->start, b->count, err);
        snprintf(what, sizeof(what), "block %" PRId64 ": cannot link %s: %s",
                 block, path, strerror(e));
        return store_obj_fail(obj, e, err, what);
    }
    return store_block_landed(obj, dst, &item, err);
}

int inrun_block_matches(tess_store_obj_t *obj, int64_t block,
                        const int64_t *start, const int64_t *count,
                        tess_error_t *err)
{
    char label[PATH_MAX + 200], b1[200], b2[200];
    tess_store_block_t blk;
    tess_error_t e2;
    int rank = obj->meta.rank;

    if (tess_store_block_info(obj, block, &blk, &e2) < 0) {
        if (errno == ENOENT)
            return 0;
        return tess_errprintf(err, "%s", e2.text);
    }
    if (memcmp(blk.start, start, (size_t)rank * sizeof(*start)) == 0
        && memcmp(blk.count, count, (size_t)rank * sizeof(*count)) == 0)
        return 1;
    errno = EEXIST;
    return tess_errprintf(err, "%s: block %" PRId64 " exists already as %s, "
                          "not %s", store_obj_label(obj, label, sizeof(label)),
                          block, box_format(b1, sizeof(b1), rank, blk.start,
                                            blk.count),
                          box_format(b2, sizeof(b2), rank, start, count));
}

tess_store_obj_t *inrun_adopt(tess_store_t *st, const char *name,
                              const char *run, tess_error_t *err)
{
    char label[PATH_MAX + 200];
    tess_store_obj_t *obj = tess_store_obj_open(st, name, 0, err);

    if (!obj)
        return NULL;
    store_obj_label(obj, label, sizeof(label));
    const meta_t *m = &obj->meta;
    if (!run || !m->run || strcmp(m->run, run) != 0) {
        tess_errprintf(err, "%s exists already (created by %s@%s (pid %ld) "
                       "at %s for %s%s)", label, m->user, m->host, m->pid,
                       m->created, m->run && m->run[0] ? "the run " : "",
                       m->run && m->run[0] ? m->run : "another program");
        tess_store_obj_close(obj);
        errno = EEXIST;
        return NULL;
    }
    if (m->complete)
        return obj;
    if (m->lock) {
        int fd = plock_acquire(obj->dir);
        if (fd < 0) {
            int e = errno;
            tess_errprintf(err, "%s: its producer (pid %ld on %s) is still "
                           "alive: %s", label, m->pid, m->host,
                           e == EAGAIN || e == EACCES ? "lock held"
                                                      : strerror(e));
            tess_store_obj_close(obj);
            errno = e == EAGAIN || e == EACCES ? EBUSY : e;
            return NULL;
        }
        obj->lock_fd = fd;
    }
    /* The producer is this process now (liveness without locks: its pid
     * on its node). */
    obj->meta.pid = (long)getpid();
    if (gethostname(obj->meta.host, sizeof(obj->meta.host)) < 0)
        obj->meta.host[0] = '\0';
    obj->meta.host[sizeof(obj->meta.host) - 1] = '\0';
    if (meta_write(&obj->meta, obj->dir, obj->meta.sync) < 0) {
        int e = errno;
        tess_errprintf(err, "%s: cannot record its new producer: %s", label,
                       strerror(e));
        tess_store_obj_close(obj);
        errno = e;
        return NULL;
    }
    return obj;
}

int inrun_is_producer(const tess_store_obj_t *obj)
{
    return obj && obj->lock_fd >= 0;
}

int inrun_next(tess_store_iter_t *it, tess_store_block_t *blk,
               tess_error_t *err)
{
    return iter_step_nowait(it, blk, err);
}

int inrun_poll_block(tess_store_obj_t *obj, int64_t block,
                     tess_store_block_t *blk, tess_error_t *err)
{
    if (!obj || block < 0) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object, or block id < 0");
    }
    int rc = iter_wait_step(obj, block, err);
    if (rc == 1 && tess_store_block_info(obj, block, blk, err) < 0)
        return -1;
    return rc;
}

int inrun_block_path(const tess_store_obj_t *obj, int64_t block, char *buf,
                     size_t len)
{
    return blocks_path(buf, len, obj->dir, block);
}

int inrun_watch_dirs(const tess_store_obj_t *obj, const char **dirs,
                     char *buf)
{
    snprintf(buf, PATH_MAX, "%s", obj->dir);
    snprintf(buf + PATH_MAX, PATH_MAX, "%s/" META_BLOCKS, obj->dir);
    dirs[0] = buf;
    dirs[1] = buf + PATH_MAX;
    return 2;
}
