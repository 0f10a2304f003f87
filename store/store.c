/* store.c - stores, objects, commits, completion, deletion (tessera.h's
 * tess_store_*; layout in store_private.h, guarantees in docs/store.md). */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/box.h"
#include "io/h5frag.h"
#include "store/blocks.h"
#include "store/fsops.h"
#include "store/meta.h"
#include "store/objname.h"
#include "store/plock.h"
#include "store/store_private.h"
#include "store/watch.h"

/* ------------------------------------------------------------------ */
/* Stores                                                              */
/* ------------------------------------------------------------------ */

/* The directory a NULL store means: $TESSERA_STORE, else
 * $HOME/.tessera/store (the home directory is the one place every node
 * of every cluster shares and keeps; projects point TESSERA_STORE at a
 * project directory: docs/store.md). */
static int default_dir(char *buf, size_t len)
{
    const char *env = getenv("TESSERA_STORE");
    const char *home = getenv("HOME");
    struct passwd pw, *res = NULL;
    char pwbuf[1024];

    if (env && env[0])
        return snprintf(buf, len, "%s", env) < (int)len ? 0 : -1;
    if ((!home || !home[0])
        && getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
        home = pw.pw_dir;
    if (!home || !home[0]) {
        errno = ENOENT;
        return -1;
    }
    if (snprintf(buf, len, "%s/.tessera/store", home) >= (int)len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

tess_store_t *tess_store_open(const char *dir, unsigned flags,
                              tess_error_t *err)
{
    char given[PATH_MAX], real[PATH_MAX];
    tess_store_t *st = NULL;
    struct stat sb;

    if (flags & ~TESS_STORE_CREATE) {
        errno = EINVAL;
        tess_errprintf(err, "store: unknown flags 0x%x", flags);
        return NULL;
    }
    if (dir && !dir[0]) {
        errno = EINVAL;
        tess_errprintf(err, "store: empty directory name");
        return NULL;
    }
    if (dir) {
        if (snprintf(given, sizeof(given), "%s", dir) >= (int)sizeof(given)) {
            errno = ENAMETOOLONG;
            tess_errprintf(err, "store: directory name too long");
            return NULL;
        }
    } else if (default_dir(given, sizeof(given)) < 0) {
        tess_errprintf(err, "store: no directory given, TESSERA_STORE unset "
                       "and no home directory: %s", strerror(errno));
        return NULL;
    }
    if ((flags & TESS_STORE_CREATE) && fsops_mkdir_p(given) < 0) {
        int e = errno;
        tess_errprintf(err, "store %s: cannot create the directory: %s",
                       given, strerror(e));
        errno = e;
        return NULL;
    }
    if (stat(given, &sb) < 0 || !realpath(given, real)) {
        int e = errno;
        tess_errprintf(err, "store %s: %s%s", given, strerror(e),
                       e == ENOENT ? " (no such store directory)" : "");
        errno = e;
        return NULL;
    }
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        tess_errprintf(err, "store %s: not a directory", given);
        return NULL;
    }
    if (!(st = calloc(1, sizeof(*st))) || !(st->dir = strdup(real))
        || asprintf(&st->objects, "%s/" STORE_OBJECTS, real) < 0) {
        if (st)
            st->objects = NULL;
        tess_store_close(st);
        errno = ENOMEM;
        tess_errprintf(err, "store %s: out of memory", given);
        return NULL;
    }
    if (gethostname(st->host, sizeof(st->host)) < 0)
        st->host[0] = '\0';
    st->host[sizeof(st->host) - 1] = '\0';
    return st;
}

void tess_store_close(tess_store_t *st)
{
    int e = errno;
    if (st) {
        free(st->dir);
        free(st->objects);
        free(st);
    }
    errno = e;
}

const char *tess_store_dir(const tess_store_t *st)
{
    return st ? st->dir : NULL;
}

/* ------------------------------------------------------------------ */
/* Names and incarnations                                              */
/* ------------------------------------------------------------------ */

static bool is_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == STORE_ID_LEN;
}

/* The id a link target ".objects/ID" names, NULL if it is not one. */
static const char *target_id(const char *target)
{
    const char *pre = STORE_OBJECTS "/";
    size_t n = strlen(pre);
    if (strncmp(target, pre, n) != 0 || !is_id(target + n))
        return NULL;
    return target + n;
}

static int read_target(const char *link, char *id)
{
    char target[256];
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return -1; /* ENOENT; EINVAL: not a symbolic link */
    target[n] = '\0';
    const char *t = target_id(target);
    if (!t) {
        errno = EPROTO;
        return -1;
    }
    memcpy(id, t, STORE_ID_LEN + 1);
    return 0;
}

int store_name_target(const tess_store_t *st, const char *name, char *id)
{
    char link[PATH_MAX];

    if (snprintf(link, sizeof(link), "%s/%s", st->dir, name)
        >= (int)sizeof(link)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (read_target(link, id) < 0) {
        if (errno == EINVAL)
            errno = EPROTO;
        return -1;
    }
    return 0;
}

bool store_obj_deleted(const tess_store_obj_t *obj)
{
    char id[STORE_ID_LEN + 1];
    if (store_name_target(obj->store, obj->name, id) < 0)
        return errno == ENOENT || errno == EPROTO;
    return strcmp(id, obj->id) != 0;
}

const char *store_obj_label(const tess_store_obj_t *obj, char *buf,
                            size_t len)
{
    snprintf(buf, len, "store %s: object %s", obj->store->dir, obj->name);
    return buf;
}

int store_obj_fail(const tess_store_obj_t *obj, int e, tess_error_t *err,
                   const char *what)
{
    char label[PATH_MAX + 200];

    store_obj_label(obj, label, sizeof(label));
    if (store_obj_deleted(obj)) {
        errno = ESTALE;
        return tess_errprintf(err, "%s (id %s) was deleted while in use: %s",
                              label, obj->id, what);
    }
    errno = e;
    return tess_errprintf(err, "%s: %s", label, what);
}

int store_obj_refresh(tess_store_obj_t *obj, tess_error_t *err)
{
    tess_error_t e2;
    meta_t m;

    memset(&m, 0, sizeof(m));
    if (meta_read(&m, obj->dir, &e2) < 0) {
        int e = errno;
        meta_free(&m);
        return store_obj_fail(obj, e, err, e2.text);
    }
    meta_free(&obj->meta);
    obj->meta = m;
    return 0;
}

int store_obj_producer_alive(const tess_store_obj_t *obj)
{
    if (obj->lock_fd >= 0)
        return 1;
    if (obj->meta.lock) {
        int held = plock_probe(obj->dir);
        if (held >= 0)
            return held;
    }
    /* No lock to test: on the creator's node its pid still tells. */
    if (obj->meta.host[0] && strcmp(obj->meta.host, obj->store->host) == 0
        && obj->meta.pid > 0)
        return kill((pid_t)obj->meta.pid, 0) == 0 || errno == EPERM;
    return -1;
}

int store_obj_load_index(tess_store_obj_t *obj, tess_error_t *err)
{
    tess_error_t e2;

    if (obj->index_loaded)
        return 0;
    if (blocks_index_read(obj->dir, obj->meta.rank,
                          tess_type_size(obj->meta.type), obj->meta.nblocks,
                          &obj->index, &e2) < 0)
        return store_obj_fail(obj, errno, err, e2.text);
    obj->index_loaded = true;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Objects                                                             */
/* ------------------------------------------------------------------ */

static int random_id(char *id)
{
    unsigned char r[STORE_ID_LEN / 2];
    size_t got = 0;

    while (got < sizeof(r)) {
        ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(r); i++)
        sprintf(id + 2 * i, "%02x", r[i]);
    return 0;
}

static tess_store_obj_t *obj_new(tess_store_t *st, const char *name,
                                 const char *id)
{
    tess_store_obj_t *obj = calloc(1, sizeof(*obj));
    if (!obj)
        return NULL;
    obj->store = st;
    obj->lock_fd = -1;
    snprintf(obj->name, sizeof(obj->name), "%s", name);
    snprintf(obj->id, sizeof(obj->id), "%s", id);
    if (asprintf(&obj->dir, "%s/%s", st->objects, id) < 0) {
        free(obj);
        return NULL;
    }
    return obj;
}

void tess_store_obj_close(tess_store_obj_t *obj)
{
    int e = errno;
    if (obj) {
        if (obj->lock_fd >= 0)
            close(obj->lock_fd);
        meta_free(&obj->meta);
        blocks_vec_free(&obj->mine);
        blocks_vec_free(&obj->index);
        free(obj->dir);
        free(obj);
    }
    errno = e;
}

/* The name check with the store named in the message. */
static int check_name(const tess_store_t *st, const char *name,
                      tess_error_t *err)
{
    tess_error_t e2;
    if (tess_store_check_name(name, &e2) == 0)
        return 0;
    return tess_errprintf(err, "store %s: %s", st->dir, e2.text);
}

static int check_spec(const tess_store_t *st, const tess_store_spec_t *spec,
                      tess_error_t *err)
{
    errno = EINVAL;
    if (!spec)
        return tess_errprintf(err, "store %s: no object spec", st->dir);
    if (tess_type_size(spec->type) == 0)
        return tess_errprintf(err, "store %s: unknown element type %d",
                              st->dir, (int)spec->type);
    if (spec->rank < 1 || spec->rank > TESS_MAX_RANK)
        return tess_errprintf(err, "store %s: rank %d, expected 1 to %d",
                              st->dir, spec->rank, TESS_MAX_RANK);
    if (spec->shape && box_numel(spec->rank, spec->shape) < 0)
        return tess_errprintf(err, "store %s: bad whole shape (extents >= "
                              "0, at most 2^63 elements)", st->dir);
    if (spec->nblocks < 0)
        return tess_errprintf(err, "store %s: negative block count",
                              st->dir);
    if (spec->flags & ~TESS_STORE_NOSYNC)
        return tess_errprintf(err, "store %s: unknown spec flags 0x%x",
                              st->dir, spec->flags);
    return 0;
}

/* Describe the existing object @p name for the loser of a creation race:
 * "created by USER@HOST (pid P) at TIME, STATE". */
static void describe_existing(tess_store_t *st, const char *name, char *buf,
                              size_t len)
{
    tess_store_obj_t *o = tess_store_obj_open(st, name, 0, NULL);
    tess_store_info_t info;

    if (o && tess_store_info(o, &info, NULL) == 0)
        snprintf(buf, len, "created by %s@%s (pid %ld) at %s, %s", info.user,
                 info.host, info.pid, info.created,
                 tess_store_state_name(info.state));
    else
        snprintf(buf, len, "being created or deleted right now");
    tess_store_obj_close(o);
}

tess_store_obj_t *tess_store_create(tess_store_t *st, const char *name,
                                    const tess_store_spec_t *spec,
                                    tess_error_t *err)
{
    char id[STORE_ID_LEN + 1], link[PATH_MAX], target[64], sub[PATH_MAX];
    char failed[PATH_MAX], other[400];
    tess_store_obj_t *obj = NULL;
    const char *what = "";
    int e;

    if (!st) {
        errno = EINVAL;
        tess_errprintf(err, "store: no store");
        return NULL;
    }
    if (check_name(st, name, err) < 0 || check_spec(st, spec, err) < 0)
        return NULL;
    snprintf(link, sizeof(link), "%s/%s", st->dir, name);
    /* Build the incarnation under its id, complete with metadata and the
     * producer lock, then publish the name in one step. */
    if (fsops_mkdir(st->objects, st->dir) < 0 && errno != EEXIST) {
        what = "cannot create " STORE_OBJECTS;
        goto fail_nodir;
    }
    for (int tries = 0;; tries++) {
        if (random_id(id) < 0) {
            what = "no random id";
            goto fail_nodir;
        }
        if (!(obj = obj_new(st, name, id))) {
            errno = ENOMEM;
            what = "out of memory";
            goto fail_nodir;
        }
        if (fsops_mkdir(obj->dir, st->objects) == 0)
            break;
        e = errno;
        tess_store_obj_close(obj);
        obj = NULL;
        errno = e;
        if (errno != EEXIST || tries == 8) {
            what = "cannot create the object directory";
            goto fail_nodir;
        }
    }
    snprintf(sub, sizeof(sub), "%s/" META_BLOCKS, obj->dir);
    if (fsops_mkdir(sub, obj->dir) < 0) {
        what = "cannot create its blocks directory";
        goto fail;
    }
    if ((obj->lock_fd = plock_acquire(obj->dir)) < 0) {
        /* A file system without locks still works, with the producer's
         * liveness known only on its own node (docs/store.md). */
        if (errno != ENOLCK && errno != EOPNOTSUPP && errno != ENOSYS
            && errno != EINVAL) {
            what = "cannot take the producer lock";
            goto fail;
        }
    }
    if (meta_init(&obj->meta, name, id, spec) < 0) {
        what = "out of memory";
        goto fail;
    }
    obj->meta.lock = obj->lock_fd >= 0;
    if (meta_write(&obj->meta, obj->dir, obj->meta.sync) < 0) {
        what = "cannot write its metadata";
        goto fail;
    }
    /* The name must never point at a directory an OS crash could lose. */
    if (obj->meta.sync
        && (fsops_sync_dir(obj->dir) < 0 || fsops_sync_dir(st->objects) < 0)) {
        what = "cannot sync its directory";
        goto fail;
    }
    snprintf(target, sizeof(target), STORE_OBJECTS "/%s", id);
    if (symlink(target, link) < 0) {
        char got[STORE_ID_LEN + 1];
        e = errno;
        /* NFS: a retransmitted SYMLINK whose first reply was lost answers
         * EEXIST for our own link. */
        if (!(e == EEXIST && read_target(link, got) == 0
              && strcmp(got, id) == 0)) {
            fsops_remove_tree(obj->dir, failed, sizeof(failed));
            tess_store_obj_close(obj);
            if (e == EEXIST) {
                describe_existing(st, name, other, sizeof(other));
                errno = EEXIST;
                tess_errprintf(err, "store %s: object %s exists already (%s)",
                               st->dir, name, other);
                return NULL;
            }
            errno = e;
            tess_errprintf(err, "store %s: object %s: cannot create its name: "
                           "%s", st->dir, name, strerror(e));
            return NULL;
        }
    }
    if (obj->meta.sync && fsops_sync_dir(st->dir) < 0) {
        what = "cannot sync the store directory";
        goto fail_named;
    }
    return obj;

fail_named:
    e = errno;
    tess_store_delete(st, name, NULL);
    errno = e;
fail:
    e = errno;
    fsops_remove_tree(obj->dir, failed, sizeof(failed));
    tess_store_obj_close(obj);
    errno = e;
fail_nodir:
    e = errno;
    tess_errprintf(err, "store %s: object %s: %s: %s", st->dir, name, what,
                   strerror(e));
    errno = e;
    return NULL;
}

tess_store_obj_t *tess_store_obj_open(tess_store_t *st, const char *name,
                                      double timeout_s, tess_error_t *err)
{
    char id[STORE_ID_LEN + 1];
    tess_store_obj_t *obj = NULL;
    tess_error_t e2;
    watch_t w;
    const char *dirs[1];

    if (!st) {
        errno = EINVAL;
        tess_errprintf(err, "store: no store");
        return NULL;
    }
    if (check_name(st, name, err) < 0)
        return NULL;
    dirs[0] = st->dir;
    watch_init(&w, dirs, timeout_s > 0 ? 1 : 0, timeout_s);
    for (;;) {
        if (store_name_target(st, name, id) == 0) {
            if (!(obj = obj_new(st, name, id))) {
                watch_destroy(&w);
                errno = ENOMEM;
                tess_errprintf(err, "store %s: out of memory", st->dir);
                return NULL;
            }
            if (meta_read(&obj->meta, obj->dir, &e2) == 0)
                break;
            int e = errno;
            char again[STORE_ID_LEN + 1];
            tess_store_obj_close(obj);
            obj = NULL;
            if (e == ENOENT && store_name_target(st, name, again) == 0
                && strcmp(again, id) == 0) {
                /* not deleted meanwhile: the name points at nothing */
                watch_destroy(&w);
                errno = EPROTO;
                tess_errprintf(err, "store %s: object %s is broken: %s (tess"
                               "era store rm removes it)", st->dir, name,
                               e2.text);
                return NULL;
            }
            if (e != ENOENT) { /* ENOENT: deleted meanwhile, look again */
                watch_destroy(&w);
                errno = e;
                tess_errprintf(err, "store %s: object %s: %s", st->dir, name,
                               e2.text);
                return NULL;
            }
        } else if (errno == EPROTO) {
            watch_destroy(&w);
            errno = EPROTO;
            tess_errprintf(err, "store %s: %s is not a Tessera object (not a "
                           "link to " STORE_OBJECTS "/ID)", st->dir, name);
            return NULL;
        } else if (errno != ENOENT) {
            int e = errno;
            watch_destroy(&w);
            errno = e;
            tess_errprintf(err, "store %s: object %s: %s", st->dir, name,
                           strerror(e));
            return NULL;
        } else if (timeout_s <= 0) {
            watch_destroy(&w);
            errno = ENOENT;
            tess_errprintf(err, "store %s: no object %s", st->dir, name);
            return NULL;
        }
        if (watch_pause(&w) < 0) {
            watch_destroy(&w);
            errno = ETIMEDOUT;
            tess_errprintf(err, "store %s: no object %s after waiting %.1f s",
                           st->dir, name, timeout_s);
            return NULL;
        }
    }
    watch_destroy(&w);
    return obj;
}

/* ------------------------------------------------------------------ */
/* Commits                                                             */
/* ------------------------------------------------------------------ */

int store_block_admit(tess_store_obj_t *obj, int64_t block,
                      const int64_t *start, const int64_t *count, char *path,
                      size_t len, tess_error_t *err)
{
    static const int64_t zeros[TESS_MAX_RANK];
    char label[PATH_MAX + 200], b1[200], b2[200];

    store_obj_label(obj, label, sizeof(label));
    const meta_t *m = &obj->meta;
    errno = EINVAL;
    if (block < 0)
        return tess_errprintf(err, "%s: block id %" PRId64 " (ids are >= 0)",
                              label, block);
    if (!count || box_numel(m->rank, count) < 0)
        return tess_errprintf(err, "%s: block %" PRId64 ": bad shape (rank "
                              "%d, extents >= 0)", label, block, m->rank);
    for (int d = 0; d < m->rank; d++)
        if (start[d] < 0)
            return tess_errprintf(err, "%s: block %" PRId64 ": negative "
                                  "start", label, block);
    if (m->has_shape && !box_inside(m->rank, start, count, zeros, m->shape))
        return tess_errprintf(err, "%s: block %" PRId64 " %s lies outside the "
                              "object's shape %s", label, block,
                              box_format(b1, sizeof(b1), m->rank, start,
                                         count),
                              box_format_shape(b2, sizeof(b2), m->rank,
                                               m->shape));
    /* Only the producer knows without looking that it has not completed. */
    if (obj->lock_fd < 0 && store_obj_refresh(obj, err) < 0)
        return -1;
    if (m->complete) {
        errno = EROFS;
        return tess_errprintf(err, "%s is complete: block %" PRId64 " cannot "
                              "be added", label, block);
    }
    if (blocks_path(path, len, obj->dir, block) < 0)
        return tess_errprintf(err, "%s: path too long", label);
    return 0;
}

int store_block_landed(tess_store_obj_t *obj, const char *path,
                       blocks_item_t *item, tess_error_t *err)
{
    char label[PATH_MAX + 200];

    store_obj_label(obj, label, sizeof(label));
    if (store_obj_deleted(obj)) {
        /* The object went away while the block was written: take the
         * block back, and the directories a writer may have made again,
         * so no orphan remains. */
        char sub[PATH_MAX];
        unlink(path);
        snprintf(sub, sizeof(sub), "%s/" META_BLOCKS, obj->dir);
        rmdir(sub);
        rmdir(obj->dir);
        errno = ESTALE;
        return tess_errprintf(err, "%s (id %s) was deleted: block %" PRId64
                              " is lost with it", label, obj->id,
                              item->blk.id);
    }
    tess_store_block_t *b = &item->blk;
    b->rank = obj->meta.rank;
    b->bytes = box_numel(b->rank, b->count) *
               (int64_t)tess_type_size(obj->meta.type);
    if (blocks_vec_push(&obj->mine, item) < 0) {
        errno = ENOMEM;
        return tess_errprintf(err, "%s: out of memory", label);
    }
    return 0;
}

int tess_store_put(tess_store_obj_t *obj, int64_t block,
                   const int64_t *start, const int64_t *count,
                   const void *buf, tess_error_t *err)
{
    static const int64_t zeros[TESS_MAX_RANK];
    char label[PATH_MAX + 200], path[PATH_MAX];
    blocks_item_t item;
    tess_error_t e2;

    if (!obj) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object");
    }
    if (!start)
        start = zeros;
    if (store_block_admit(obj, block, start, count, path, sizeof(path),
                          err) < 0)
        return -1;
    const meta_t *m = &obj->meta;
    if (h5frag_write3(path, m->type, m->rank, start, count, buf,
                      H5FRAG_NOREPLACE | (m->sync ? 0 : H5FRAG_NOSYNC),
                      &item.offset, &e2) < 0) {
        if (errno == EEXIST)
            return tess_errprintf(err, "%s: block %" PRId64 " exists already "
                                  "(blocks are written once)",
                                  store_obj_label(obj, label, sizeof(label)),
                                  block);
        return store_obj_fail(obj, errno, err, e2.text);
    }
    tess_store_block_t *b = &item.blk;
    memset(b, 0, sizeof(*b));
    b->id = block;
    memcpy(b->start, start, (size_t)m->rank * sizeof(*start));
    memcpy(b->count, count, (size_t)m->rank * sizeof(*count));
    return store_block_landed(obj, path, &item, err);
}

int store_block_header(tess_store_obj_t *obj, int64_t id,
                       blocks_item_t *item, tess_error_t *err)
{
    tess_store_block_t *b = &item->blk;
    char path[PATH_MAX];
    tess_type_t type;
    tess_error_t e2;

    memset(item, 0, sizeof(*item));
    blocks_path(path, sizeof(path), obj->dir, id);
    if (h5frag_info2(path, &type, &b->rank, b->start, b->count,
                     &item->offset, &e2) < 0)
        return store_obj_fail(obj, errno, err, e2.text);
    if (type != obj->meta.type || b->rank != obj->meta.rank) {
        errno = EPROTO;
        return store_obj_fail(obj, EPROTO, err, "a block file of another "
                              "element type or rank than the object's");
    }
    b->id = id;
    b->bytes = box_numel(b->rank, b->count) * (int64_t)tess_type_size(type);
    return 0;
}

int tess_store_complete(tess_store_obj_t *obj, tess_error_t *err)
{
    char label[PATH_MAX + 200], sub[PATH_MAX];
    blocks_vec_t all = {0};
    int64_t *ids = NULL, bytes = 0;
    size_t n = 0;
    meta_t *m;

    if (!obj) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object");
    }
    store_obj_label(obj, label, sizeof(label));
    if (store_obj_refresh(obj, err) < 0)
        return -1;
    m = &obj->meta;
    if (m->complete)
        return 0;
    if (blocks_list_ids(obj->dir, &ids, &n) < 0)
        return store_obj_fail(obj, errno, err, "cannot list its blocks");
    blocks_vec_sort(&obj->mine);
    for (size_t i = 0; i < n; i++) {
        const blocks_item_t *known = blocks_vec_find(&obj->mine, ids[i]);
        blocks_item_t item;
        if (known)
            item = *known;
        else if (store_block_header(obj, ids[i], &item, err) < 0)
            goto fail;
        bytes += item.blk.bytes;
        if (blocks_vec_push(&all, &item) < 0) {
            errno = ENOMEM;
            tess_errprintf(err, "%s: out of memory", label);
            goto fail;
        }
    }
    if (m->nblocks_expected > 0 && (int64_t)n != m->nblocks_expected) {
        errno = EINVAL;
        tess_errprintf(err, "%s: %zu blocks committed, %" PRId64 " announced: "
                       "not completed", label, n, m->nblocks_expected);
        goto fail;
    }
    /* Blocks, then their list, then the state: an OS crash at any point
     * leaves the object building or complete with every block present. */
    snprintf(sub, sizeof(sub), "%s/" META_BLOCKS, obj->dir);
    if (m->sync && fsops_sync_dir(sub) < 0) {
        store_obj_fail(obj, errno, err, "cannot sync its blocks directory");
        goto fail;
    }
    if (blocks_index_write(obj->dir, m->rank, &all, m->sync) < 0) {
        store_obj_fail(obj, errno, err, "cannot write its block index");
        goto fail;
    }
    m->complete = true;
    meta_utc_now(m->completed, sizeof(m->completed));
    m->nblocks = (int64_t)n;
    m->bytes = bytes;
    if (meta_write(m, obj->dir, m->sync) < 0
        || (m->sync && fsops_sync_dir(obj->dir) < 0)) {
        m->complete = false;
        store_obj_fail(obj, errno, err, "cannot record its completion");
        goto fail;
    }
    blocks_remove_temps(obj->dir); /* writers that died; none may follow */
    blocks_vec_free(&obj->index);
    obj->index = all;
    obj->index_loaded = true;
    free(ids);
    return 0;
fail:
    blocks_vec_free(&all);
    free(ids);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Information                                                         */
/* ------------------------------------------------------------------ */

const char *tess_store_state_name(tess_store_state_t state)
{
    switch (state) {
    case TESS_STORE_BUILDING: return "building";
    case TESS_STORE_COMPLETE: return "complete";
    case TESS_STORE_INCOMPLETE: return "incomplete";
    case TESS_STORE_DELETED: return "deleted";
    }
    return "?";
}

int tess_store_info(tess_store_obj_t *obj, tess_store_info_t *info,
                    tess_error_t *err)
{
    bool deleted = false;

    if (!obj || !info) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no object or no info");
    }
    if (store_obj_refresh(obj, err) < 0) {
        if (errno != ESTALE)
            return -1;
        deleted = true; /* describe it as last seen */
    } else {
        deleted = store_obj_deleted(obj);
    }
    const meta_t *m = &obj->meta;
    memset(info, 0, sizeof(*info));
    info->name = obj->name;
    info->id = obj->id;
    info->type = m->type;
    info->rank = m->rank;
    info->has_shape = m->has_shape;
    memcpy(info->shape, m->shape, sizeof(info->shape));
    info->nblocks_expected = m->nblocks_expected;
    info->user = m->user;
    info->host = m->host;
    info->pid = m->pid;
    info->created = m->created;
    info->completed = m->completed;
    info->workflow = m->workflow ? m->workflow : "";
    info->run = m->run ? m->run : "";
    info->params = m->params ? m->params : "";
    info->format = m->format;
    info->producer_alive = m->complete ? 0 : store_obj_producer_alive(obj);
    if (deleted)
        info->state = TESS_STORE_DELETED;
    else if (m->complete)
        info->state = TESS_STORE_COMPLETE;
    else
        info->state = info->producer_alive == 0 ? TESS_STORE_INCOMPLETE
                                                : TESS_STORE_BUILDING;
    if (m->complete) {
        info->nblocks = m->nblocks;
        info->bytes = m->bytes;
    } else {
        info->nblocks = deleted ? 0 : blocks_count(obj->dir);
        info->bytes = -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Deletion                                                            */
/* ------------------------------------------------------------------ */

int tess_store_delete(tess_store_t *st, const char *name, tess_error_t *err)
{
    char id[STORE_ID_LEN + 1], link[PATH_MAX], moved[PATH_MAX];
    char dir[PATH_MAX], sub[PATH_MAX + 16], rnd[STORE_ID_LEN + 1];
    char failed[PATH_MAX];

    if (!st) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no store");
    }
    if (check_name(st, name, err) < 0)
        return -1;
    if (store_name_target(st, name, id) < 0) {
        int e = errno;
        if (e == ENOENT)
            return tess_errprintf(err, "store %s: no object %s", st->dir,
                                  name);
        if (e == EPROTO)
            return tess_errprintf(err, "store %s: %s is not a Tessera object "
                                  "(left alone)", st->dir, name);
        return tess_errprintf(err, "store %s: object %s: %s", st->dir, name,
                              strerror(e));
    }
    /* Whoever may remove the name must also be able to remove the files,
     * or the data would stay behind without a name (a group store whose
     * objects were made under a private umask). */
    snprintf(dir, sizeof(dir), "%s/%s", st->objects, id);
    snprintf(sub, sizeof(sub), "%s/" META_BLOCKS, dir);
    if (access(dir, W_OK | X_OK) < 0 || access(sub, W_OK | X_OK) < 0) {
        int e = errno;
        if (e != ENOENT) {
            errno = e;
            return tess_errprintf(err, "store %s: object %s: cannot delete "
                                  "its files: %s", st->dir, name,
                                  strerror(e));
        }
    }
    /* The deletion point: the name is renamed away atomically, so this
     * deletes exactly the incarnation read back from the moved link (a
     * concurrent delete-and-create of the name is never removed). */
    snprintf(link, sizeof(link), "%s/%s", st->dir, name);
    if (random_id(rnd) < 0
        || snprintf(moved, sizeof(moved), "%s/" STORE_DELETING "%s", st->dir,
                    rnd) >= (int)sizeof(moved))
        return tess_errprintf(err, "store %s: object %s: %s", st->dir, name,
                              strerror(errno));
    if (rename(link, moved) < 0) {
        int e = errno;
        if (e == ENOENT)
            return tess_errprintf(err, "store %s: no object %s (deleted by "
                                  "another process meanwhile)", st->dir,
                                  name);
        return tess_errprintf(err, "store %s: object %s: cannot remove its "
                              "name: %s", st->dir, name, strerror(e));
    }
    if (read_target(moved, id) < 0) {
        /* not ours to judge any more: the entry is gone from the store */
        unlink(moved);
        return 0;
    }
    unlink(moved);
    fsops_sync_dir(st->dir);
    snprintf(dir, sizeof(dir), "%s/%s", st->objects, id);
    /* Files left behind (EACCES, a busy NFS file) belong to no name any
     * more; tess_store_gc() retries them. */
    fsops_remove_tree(dir, failed, sizeof(failed));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Listing and garbage                                                 */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The object names of @p st (valid names that are symbolic links to
 * .objects/ID), sorted, malloc'd. */
static int list_names(tess_store_t *st, char ***out, size_t *count,
                      tess_error_t *err)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d = opendir(st->dir);

    if (!d)
        return tess_errprintf(err, "store %s: %s", st->dir, strerror(errno));
    while ((de = readdir(d))) {
        if (!objname_valid(de->d_name))
            continue;
        if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
            continue;
        char target[128];
        ssize_t len = readlinkat(dirfd(d), de->d_name, target,
                                 sizeof(target) - 1);
        if (len < 0)
            continue; /* not a link, or gone */
        target[len] = '\0';
        if (!target_id(target))
            continue; /* a link that is not an object's name */
        if (n == cap) {
            size_t c = cap ? cap * 2 : 32;
            char **v = realloc(names, c * sizeof(*v));
            if (!v)
                goto oom;
            names = v;
            cap = c;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    *out = names;
    *count = n;
    return 0;
oom:
    closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    errno = ENOMEM;
    return tess_errprintf(err, "store %s: out of memory", st->dir);
}

int tess_store_foreach(tess_store_t *st, tess_store_name_f fn, void *arg,
                       tess_error_t *err)
{
    char **names;
    size_t n;
    int rc = 0;

    if (!st || !fn) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no store or no function");
    }
    if (list_names(st, &names, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = fn(names[i], arg);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* An unnamed incarnation that may belong to a creator at work (no meta
 * yet, or no lock to test) is garbage only once it is this old. */
#define GC_MIN_AGE_S 600

int tess_store_gc(tess_store_t *st, tess_error_t *err)
{
    char **names = NULL, **ids = NULL, id[STORE_ID_LEN + 1];
    char dir[PATH_MAX], path[PATH_MAX + 8], failed[PATH_MAX];
    size_t n = 0;
    int removed = 0;
    struct dirent *de;
    DIR *d;

    if (!st) {
        errno = EINVAL;
        return tess_errprintf(err, "store: no store");
    }
    /* Names being deleted by a process that died mid-way. */
    if ((d = opendir(st->dir))) {
        while ((de = readdir(d)))
            if (strncmp(de->d_name, STORE_DELETING,
                        sizeof(STORE_DELETING) - 1) == 0
                && unlinkat(dirfd(d), de->d_name, 0) == 0)
                removed++;
        closedir(d);
    }
    if (list_names(st, &names, &n, err) < 0)
        return -1;
    if (!(ids = calloc(n + 1, sizeof(*ids))))
        goto oom;
    for (size_t i = 0; i < n; i++)
        if (store_name_target(st, names[i], id) == 0
            && !(ids[i] = strdup(id)))
            goto oom;
    if (!(d = opendir(st->objects))) {
        removed = errno == ENOENT ? removed : -1;
        if (removed < 0)
            tess_errprintf(err, "store %s: %s", st->objects, strerror(errno));
        goto out;
    }
    while ((de = readdir(d))) {
        bool named = false;
        struct stat sb;
        if (!is_id(de->d_name))
            continue;
        for (size_t i = 0; i < n && !named; i++)
            named = ids[i] && strcmp(ids[i], de->d_name) == 0;
        snprintf(dir, sizeof(dir), "%s/%s", st->objects, de->d_name);
        int held = plock_probe(dir);
        if (named) {
            /* a named object: only temporaries of writers that are gone */
            meta_t m;
            memset(&m, 0, sizeof(m));
            if (meta_read(&m, dir, NULL) == 0 && (m.complete || held == 0)) {
                int k = blocks_remove_temps(dir);
                removed += k > 0 ? k : 0;
            }
            meta_free(&m);
            continue;
        }
        if (held == 1)
            continue; /* its creator is alive (about to name it) */
        /* A creator takes the lock before it writes meta: with meta and a
         * free lock the creator is gone. Without meta (or without a lock
         * to test) it may be a creator between its mkdir and its lock. */
        snprintf(path, sizeof(path), "%s/" META_FILE, dir);
        if (!(held == 0 && stat(path, &sb) == 0)
            && (stat(dir, &sb) < 0
                || time(NULL) - sb.st_mtime < GC_MIN_AGE_S))
            continue;
        if (fsops_remove_tree(dir, failed, sizeof(failed)) == 0)
            removed++;
    }
    closedir(d);
out:
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        if (ids)
            free(ids[i]);
    }
    free(names);
    free(ids);
    return removed;
oom:
    removed = -1;
    errno = ENOMEM;
    tess_errprintf(err, "store %s: out of memory", st->dir);
    goto out;
}
