/* persist.c - persistent objects of the store as data of a run (see
 * persist.h; the public side is tessera.h's tess_persist_*, tess_block*). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/box.h"
#include "io/h5frag.h"
#include "runtime/persist.h"
#include "runtime/run.h"
#include "store/inrun.h"
#include "store/watch.h"

/* What the run knows of a block. */
enum { B_KNOWN = 1,  /* of an object read: its version is in the run */
       B_DECLARED,   /* of an object created: declared, not written yet */
       B_WRITING,    /* a task that writes it was submitted */
       B_COMMITTED   /* in the store */ };

typedef struct pblock {
    int64_t id;
    int64_t start[TESS_MAX_RANK];
    int64_t count[TESS_MAX_RANK];
    uint8_t state;
} pblock_t;

/* A table of indices + 1 (0: empty) keyed by a 64-bit hash. */
typedef struct ptab {
    uint32_t *slot;
    size_t cap;
} ptab_t;

typedef struct pobj {
    tess_data_t data;        /* the run's array; 0 once deleted */
    char name[TESS_STORE_NAME_MAX + 1];
    tess_store_t *store;     /* borrowed from the program */
    tess_store_obj_t *obj;
    bool create;             /* this run produces it */
    bool completed;
    bool ended;              /* read: every block was discovered */
    tess_type_t type;
    int rank;
    int64_t shape[TESS_MAX_RANK];
    double timeout;          /* read: waits for blocks (<= 0: none) */
    pblock_t *blk;           /* in the order the run learnt them */
    size_t nblk, cap;
    ptab_t by_id, by_box;
    tess_store_iter_t *it;   /* read: discovery of new blocks */
    watch_t watch;           /* pauses while waiting */
    const int64_t *replay;   /* resume: the order of the earlier run */
    size_t nreplay, replayed;
    int64_t pending;         /* created: blocks being written */
} pobj_t;

/* The blocks the earlier run of a resumed run met, per object. */
typedef struct plog {
    char name[TESS_STORE_NAME_MAX + 1];
    char id[40];
    int64_t *ids;
    size_t n, cap;
} plog_t;

struct persist {
    tess_run_t *run;
    pobj_t **objs;
    size_t nobjs;
    uint32_t *by_data;       /* data id -> index in objs + 1 */
    size_t nby;
    int logfd;               /* RUN_DIR/store.log, -1 without a run dir */
    plog_t *log;
    size_t nlog;
};

struct tess_blocks {
    persist_t *p;
    size_t obj;              /* index in p->objs */
    size_t pos;              /* next block of the object's list */
};

/* ---- small helpers ------------------------------------------------------------ */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static uint64_t box_hash(int rank, const int64_t *start, const int64_t *count)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int d = 0; d < rank; d++)
        h = mix(h ^ (uint64_t)start[d]) + (uint64_t)count[d];
    return mix(h);
}

/* Find the entry of hash @p h for which @p eq(ctx, index) holds; its
 * index, or -1. */
static long ptab_find(const ptab_t *t, uint64_t h,
                      bool (*eq)(const void *ctx, size_t i), const void *ctx)
{
    if (!t->cap)
        return -1;
    for (size_t i = (size_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (!t->slot[i])
            return -1;
        if (eq(ctx, t->slot[i] - 1))
            return (long)t->slot[i] - 1;
    }
}

/* Add index @p idx under hash @p h; @p hash_of recomputes the hashes when
 * the table grows (@p n entries). -1/ENOMEM. */
static int ptab_add(ptab_t *t, uint64_t h, size_t idx, size_t n,
                    uint64_t (*hash_of)(const void *ctx, size_t i),
                    const void *ctx)
{
    if ((n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        uint32_t *s = calloc(cap, sizeof(*s));
        if (!s)
            return -1;
        for (size_t k = 0; k < t->cap; k++) {
            if (!t->slot[k])
                continue;
            size_t j = (size_t)hash_of(ctx, t->slot[k] - 1) & (cap - 1);
            while (s[j])
                j = (j + 1) & (cap - 1);
            s[j] = t->slot[k];
        }
        free(t->slot);
        t->slot = s;
        t->cap = cap;
    }
    size_t j = (size_t)h & (t->cap - 1);
    while (t->slot[j])
        j = (j + 1) & (t->cap - 1);
    t->slot[j] = (uint32_t)idx + 1;
    return 0;
}

struct idkey {
    const pobj_t *o;
    int64_t id;
};

static bool id_eq(const void *ctx, size_t i)
{
    const struct idkey *k = ctx;
    return k->o->blk[i].id == k->id;
}

static uint64_t id_hash_of(const void *ctx, size_t i)
{
    const pobj_t *o = ctx;
    return mix((uint64_t)o->blk[i].id);
}

struct boxkey {
    const pobj_t *o;
    const int64_t *start, *count;
};

static bool box_eq(const void *ctx, size_t i)
{
    const struct boxkey *k = ctx;
    size_t n = (size_t)k->o->rank * sizeof(int64_t);
    return memcmp(k->o->blk[i].start, k->start, n) == 0 &&
           memcmp(k->o->blk[i].count, k->count, n) == 0;
}

static uint64_t box_hash_of(const void *ctx, size_t i)
{
    const pobj_t *o = ctx;
    return box_hash(o->rank, o->blk[i].start, o->blk[i].count);
}

static pblock_t *find_id(const pobj_t *o, int64_t id)
{
    struct idkey k = {o, id};
    long i = ptab_find(&o->by_id, mix((uint64_t)id), id_eq, &k);
    return i < 0 ? NULL : &o->blk[i];
}

static pblock_t *find_box(const pobj_t *o, const int64_t *start,
                          const int64_t *count)
{
    struct boxkey k = {o, start, count};
    long i = ptab_find(&o->by_box, box_hash(o->rank, start, count), box_eq,
                       &k);
    return i < 0 ? NULL : &o->blk[i];
}

/* Append a block to the run's list of @p o. NULL/ENOMEM. */
static pblock_t *add_block(pobj_t *o, int64_t id, const int64_t *start,
                           const int64_t *count, uint8_t state)
{
    if (o->nblk == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        pblock_t *b = realloc(o->blk, cap * sizeof(*b));
        if (!b || cap > UINT32_MAX - 1)
            return NULL;
        o->blk = b;
        o->cap = cap;
    }
    pblock_t *b = &o->blk[o->nblk];
    memset(b, 0, sizeof(*b));
    b->id = id;
    memcpy(b->start, start, (size_t)o->rank * sizeof(int64_t));
    memcpy(b->count, count, (size_t)o->rank * sizeof(int64_t));
    b->state = state;
    if (ptab_add(&o->by_id, mix((uint64_t)id), o->nblk, o->nblk, id_hash_of,
                 o) < 0 ||
        ptab_add(&o->by_box, box_hash(o->rank, start, count), o->nblk,
                 o->nblk, box_hash_of, o) < 0)
        return NULL;
    o->nblk++;
    return b;
}

static void fill_block(const pobj_t *o, const pblock_t *b, tess_block_t *out)
{
    memset(out, 0, sizeof(*out));
    out->data = o->data;
    out->id = b->id;
    out->rank = o->rank;
    memcpy(out->start, b->start, (size_t)o->rank * sizeof(int64_t));
    memcpy(out->count, b->count, (size_t)o->rank * sizeof(int64_t));
}

/* ---- the run's persist state -------------------------------------------------- */

/* Read RUN_DIR/store.log of the run being resumed: per object, its
 * incarnation and the blocks met, in order. A torn last line is
 * ignored. */
static int log_read(persist_t *p, const char *path, tess_error_t *err)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f)
        return errno == ENOENT ? 0
                               : tess_errprintf(err, "%s: %s", path,
                                                strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        char name[TESS_STORE_NAME_MAX + 1], id[40];
        long long blk;
        if (!strchr(line, '\n'))
            break; /* torn by a crash */
        plog_t *l = NULL;
        if (sscanf(line, "open %128s %39s", name, id) == 2) {
            plog_t *nl = realloc(p->log, (p->nlog + 1) * sizeof(*nl));
            if (!nl)
                goto oom;
            p->log = nl;
            l = &p->log[p->nlog++];
            memset(l, 0, sizeof(*l));
            snprintf(l->name, sizeof(l->name), "%s", name);
            snprintf(l->id, sizeof(l->id), "%s", id);
        } else if (sscanf(line, "block %128s %lld", name, &blk) == 2) {
            for (size_t i = p->nlog; i-- > 0;)
                if (strcmp(p->log[i].name, name) == 0) {
                    l = &p->log[i];
                    break;
                }
            if (!l)
                continue;
            if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                int64_t *v = realloc(l->ids, cap * sizeof(*v));
                if (!v)
                    goto oom;
                l->ids = v;
                l->cap = cap;
            }
            l->ids[l->n++] = blk;
        }
    }
    fclose(f);
    return 0;
oom:
    fclose(f);
    errno = ENOMEM;
    return tess_errprintf(err, "%s: out of memory", path);
}

/* One line of the log, written at once (it must be in the file before a
 * task that reads the block can be journaled: the journal's commits sync
 * the run directory's file system, this line included). */
static void log_line(persist_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_line(persist_t *p, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    if (p->logfd < 0)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(line) && write(p->logfd, line, (size_t)n) < 0)
        fprintf(stderr, "tessera: %s/store.log: %s\n", run_dir(p->run),
                strerror(errno));
}

static persist_t *persist_get(tess_run_t *run, tess_error_t *err)
{
    persist_t **pp = run_persist(run);
    if (*pp)
        return *pp;
    persist_t *p = calloc(1, sizeof(*p));
    if (!p) {
        errno = ENOMEM;
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    p->run = run;
    p->logfd = -1;
    const char *rd = run_dir(run);
    if (rd) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/store.log", rd);
        int resume = run_resuming(run);
        if (resume && log_read(p, path, err) < 0) {
            persist_destroy(p);
            return NULL;
        }
        p->logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
                                  (resume ? 0 : O_TRUNC), 0666);
        if (p->logfd < 0) {
            tess_errprintf(err, "%s: %s", path, strerror(errno));
            persist_destroy(p);
            return NULL;
        }
    }
    *pp = p;
    return p;
}

static pobj_t *obj_of(const persist_t *p, tess_data_t data)
{
    if (!p || data == 0 || data > p->nby || !p->by_data[data - 1])
        return NULL;
    pobj_t *o = p->objs[p->by_data[data - 1] - 1];
    return o->data ? o : NULL;
}

static void obj_free(pobj_t *o)
{
    if (!o)
        return;
    tess_store_iter_destroy(o->it);
    tess_store_obj_close(o->obj);
    watch_destroy(&o->watch);
    free(o->blk);
    free(o->by_id.slot);
    free(o->by_box.slot);
    free(o);
}

void persist_destroy(persist_t *p)
{
    int saved = errno;
    if (!p)
        return;
    for (size_t i = 0; i < p->nobjs; i++)
        obj_free(p->objs[i]);
    free(p->objs);
    free(p->by_data);
    for (size_t i = 0; i < p->nlog; i++)
        free(p->log[i].ids);
    free(p->log);
    if (p->logfd >= 0)
        close(p->logfd);
    free(p);
    errno = saved;
}

/* Register @p o (taking it) under its data handle. */
static int add_obj(persist_t *p, pobj_t *o, tess_error_t *err)
{
    pobj_t **v = realloc(p->objs, (p->nobjs + 1) * sizeof(*v));
    if (!v)
        goto oom;
    p->objs = v;
    if (o->data > p->nby) {
        size_t n = p->nby ? p->nby : 16;
        while (n < o->data)
            n *= 2;
        uint32_t *b = realloc(p->by_data, n * sizeof(*b));
        if (!b)
            goto oom;
        memset(b + p->nby, 0, (n - p->nby) * sizeof(*b));
        p->by_data = b;
        p->nby = n;
    }
    p->objs[p->nobjs++] = o;
    p->by_data[o->data - 1] = (uint32_t)p->nobjs;
    return 0;
oom:
    errno = ENOMEM;
    return tess_errprintf(err, "object %s: out of memory", o->name);
}

/* The watched directories of an object, for pauses. */
static void start_watch(pobj_t *o)
{
    const char *dirs[2];
    char buf[2 * PATH_MAX];
    inrun_watch_dirs(o->obj, dirs, buf);
    watch_init(&o->watch, dirs, 2, 0);
}

/* The run's array of object @p o (its whole shape, undefined until
 * blocks are attached or written). */
static int declare_array(persist_t *p, pobj_t *o, tess_error_t *err)
{
    o->data = tess_array(p->run, o->name, o->type, o->rank, o->shape,
                         TESS_UNDEFINED, err);
    return o->data ? 0 : -1;
}

/* ---- opening, creating, completing, deleting ---------------------------------- */

static pobj_t *obj_new(tess_store_t *store, const char *name,
                       tess_error_t *err)
{
    pobj_t *o = calloc(1, sizeof(*o));
    if (!o) {
        errno = ENOMEM;
        tess_errprintf(err, "object %s: out of memory", name);
        return NULL;
    }
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->store = store;
    o->watch.fd = -1;
    return o;
}

tess_data_t tess_persist_open(tess_run_t *run, tess_store_t *store,
                              const char *name, double timeout_s,
                              tess_error_t *err)
{
    tess_store_info_t info;
    persist_t *p = persist_get(run, err);
    if (!p)
        return 0;
    if (!store || !name) {
        errno = EINVAL;
        tess_errprintf(err, "persistent object: no store or no name");
        return 0;
    }
    pobj_t *o = obj_new(store, name, err);
    if (!o)
        return 0;
    o->timeout = timeout_s;
    /* waiting for its creation must not stop the run's tasks either: the
     * open is retried between engine steps */
    tess_error_t e2;
    double t0 = watch_now(), pause = 0.001;
    while (!(o->obj = tess_store_obj_open(store, name, 0, &e2))) {
        if (errno != ENOENT || timeout_s <= 0 ||
            watch_now() - t0 >= timeout_s) {
            int e = errno;
            if (e == ENOENT && timeout_s > 0) {
                e = ETIMEDOUT;
                tess_errprintf(err, "store %s: no object %s after waiting "
                               "%.1f s", tess_store_dir(store), name,
                               timeout_s);
            } else
                tess_errprintf(err, "%s", e2.text);
            obj_free(o);
            errno = e;
            return 0;
        }
        if (run_progress(run, 0) < 0) {
            tess_errprintf(err, "object %s: %s", name, tess_run_error(run));
            obj_free(o);
            errno = EIO;
            return 0;
        }
        struct timespec ts = {0, (long)(pause * 1e9)};
        nanosleep(&ts, NULL);
        if (pause < 0.05)
            pause *= 1.5;
    }
    if (tess_store_info(o->obj, &info, err) < 0) {
        obj_free(o);
        return 0;
    }
    if (!info.has_shape) {
        errno = EINVAL;
        tess_errprintf(err, "store %s: object %s has no whole shape: a run "
                       "reads objects as arrays of their whole shape",
                       tess_store_dir(store), name);
        obj_free(o);
        return 0;
    }
    o->type = info.type;
    o->rank = info.rank;
    memcpy(o->shape, info.shape, sizeof(o->shape));
    /* resumed: the same incarnation, its blocks met in the same order */
    for (size_t i = p->nlog; i-- > 0;) {
        plog_t *l = &p->log[i];
        if (strcmp(l->name, name) != 0)
            continue;
        if (strcmp(l->id, info.id) != 0) {
            errno = EINVAL;
            tess_errprintf(err, "store %s: object %s was deleted and made "
                           "again since this run started (id %s, now %s): "
                           "the run cannot continue on other data; start a "
                           "new run", tess_store_dir(store), name, l->id,
                           info.id);
            obj_free(o);
            return 0;
        }
        o->replay = l->ids;
        o->nreplay = l->n;
        break;
    }
    o->it = tess_store_blocks(o->obj, TESS_STORE_WAIT, timeout_s, err);
    if (!o->it || declare_array(p, o, err) < 0 || add_obj(p, o, err) < 0) {
        if (o->data)
            tess_delete(run, o->data);
        obj_free(o);
        return 0;
    }
    start_watch(o);
    log_line(p, "open %s %s\n", name, info.id);
    return o->data;
}

tess_data_t tess_persist_create(tess_run_t *run, tess_store_t *store,
                                const char *name,
                                const tess_store_spec_t *spec,
                                tess_error_t *err)
{
    persist_t *p = persist_get(run, err);
    if (!p)
        return 0;
    if (!store || !name || !spec) {
        errno = EINVAL;
        tess_errprintf(err, "persistent object: no store, name or spec");
        return 0;
    }
    if (!spec->shape) {
        errno = EINVAL;
        tess_errprintf(err, "store %s: object %s: a run makes objects of a "
                       "whole shape (spec.shape)", tess_store_dir(store),
                       name);
        return 0;
    }
    pobj_t *o = obj_new(store, name, err);
    if (!o)
        return 0;
    o->create = true;
    o->type = spec->type;
    o->rank = spec->rank;
    if (spec->rank >= 1 && spec->rank <= TESS_MAX_RANK)
        memcpy(o->shape, spec->shape, (size_t)spec->rank * sizeof(int64_t));
    /* The run's directory is the object's "run": a resumed run knows its
     * own objects by it. */
    char real[PATH_MAX];
    const char *rd = run_dir(run);
    tess_store_spec_t s = *spec;
    if (rd && realpath(rd, real))
        s.run = real;
    tess_error_t e2;
    o->obj = tess_store_create(store, name, &s, &e2);
    if (!o->obj && errno == EEXIST && rd && run_resuming(run))
        o->obj = inrun_adopt(store, name, s.run, &e2);
    if (!o->obj) {
        int e = errno;
        tess_errprintf(err, "%s", e2.text);
        obj_free(o);
        errno = e;
        return 0;
    }
    tess_store_info_t info;
    if (tess_store_info(o->obj, &info, err) < 0) {
        obj_free(o);
        return 0;
    }
    o->completed = info.state == TESS_STORE_COMPLETE;
    if (declare_array(p, o, err) < 0 || add_obj(p, o, err) < 0) {
        if (o->data)
            tess_delete(run, o->data);
        obj_free(o);
        return 0;
    }
    return o->data;
}

/* Run the engine while waiting: dispatch what is ready, collect what
 * ended; then pause until the object's directories change, for at most
 * the store's pause (1/8 of the time waited so far) and, while tasks run,
 * at most 10 ms, so that their completions are not held up. -1 if the
 * run stopped. */
static int wait_step(persist_t *p, pobj_t *o, tess_error_t *err)
{
    if (run_progress(p->run, 0) < 0 || run_failed(p->run)) {
        errno = EIO;
        return tess_errprintf(err, "waiting for blocks of %s: %s", o->name,
                              tess_run_error(p->run)[0]
                                  ? tess_run_error(p->run)
                                  : "the run stopped");
    }
    tess_stats_t st;
    tess_run_stats(p->run, &st);
    double waited = watch_waited(&o->watch), pause = waited / 8;
    if (pause < 0.001)
        pause = 0.001;
    if (pause > 1.0)
        pause = 1.0;
    if (st.live_tasks > 0 && pause > 0.01)
        pause = 0.01;
    watch_t w = o->watch;
    w.timeout = waited + pause; /* one pause of that length */
    watch_pause(&w);
    return 0;
}

/* Make the block file @p src the fragment @p dst of a version: a hard
 * link keeps the block readable by this run even if the object is deleted
 * meanwhile (a snapshot); a symbolic link where the store is on another
 * file system. One link(2) in the common case; the directories of
 * RUN_DIR/frags are made when missing, an earlier attempt's name (a
 * resumed run) is replaced. */
static int link_block(const char *src, char *dst, tess_error_t *err)
{
    for (int tries = 0; tries < 4; tries++) {
        if (link(src, dst) == 0)
            return 0;
        int e = errno;
        if (e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP)
            return symlink(src, dst) == 0
                       ? 0
                       : tess_errprintf(err, "cannot link %s to %s: %s", src,
                                        dst, strerror(errno));
        if (e == EEXIST) {
            unlink(dst);
            continue;
        }
        if (e != ENOENT)
            break;
        if (access(src, F_OK) < 0)
            return tess_errprintf(err, "its file %s is gone (the object was "
                                  "deleted)", src);
        /* RUN_DIR/frags/d<id>/: one or both levels are new */
        for (int level = 2; level >= 1; level--) {
            char *cut = dst + strlen(dst);
            for (int k = 0; k < level; k++)
                cut = memrchr(dst, '/', (size_t)(cut - dst));
            *cut = '\0';
            int rc = mkdir(dst, 0777);
            *cut = '/';
            if (rc < 0 && errno != EEXIST)
                return tess_errprintf(err, "cannot make the directory of %s: "
                                      "%s", dst, strerror(errno));
        }
    }
    return tess_errprintf(err, "cannot link %s to %s: %s", src, dst,
                          strerror(errno));
}

/* Block @p b (committed) of object @p o becomes a version of its array:
 * its file is linked into the run directory as that version's fragment,
 * so workers read it in place (a copy only without a run directory, where
 * values live in memory anyway). Appended to the run's list. */
static pblock_t *attach(persist_t *p, pobj_t *o, const tess_store_block_t *b,
                        tess_error_t *err)
{
    region_t box = {.rank = o->rank};
    memcpy(box.start, b->start, (size_t)o->rank * sizeof(int64_t));
    memcpy(box.count, b->count, (size_t)o->rank * sizeof(int64_t));
    dag_data_t *d = dag_data_get(run_dag(p->run), o->data);
    dag_version_t *v = d ? dag_put(run_dag(p->run), d, &box, err) : NULL;
    exec_t *x = run_exec(p->run);
    char src[PATH_MAX], dst[PATH_MAX + 64];
    if (!v) {
        if (!d) {
            errno = ENOENT;
            tess_errprintf(err, "object %s was deleted from the run",
                           o->name);
        }
        return NULL;
    }
    const char *rd = run_dir(p->run);
    if (rd) {
        exec_vloc_t loc = {.kind = EXEC_V_FRAG};
        if (inrun_block_path(o->obj, b->id, src, sizeof(src)) < 0 ||
            h5frag_path(dst, sizeof(dst), rd, o->data, v->number) < 0) {
            tess_errprintf(err, "object %s: block %" PRId64 ": path too long",
                           o->name, b->id);
            goto fail;
        }
        if (link_block(src, dst, err) < 0) {
            char what[sizeof(err->text)];
            snprintf(what, sizeof(what), "%s", err->text);
            tess_errprintf(err, "object %s: block %" PRId64 ": %s", o->name,
                           b->id, what);
            goto fail;
        }
        if (x->ops->adopt(x, v, &loc, err) < 0)
            goto fail;
    } else {
        size_t bytes = (size_t)b->bytes;
        void *buf = malloc(bytes ? bytes : 1);
        exec_vloc_t loc = {.kind = EXEC_V_INLINE, .bytes = buf, .len = bytes};
        if (!buf) {
            errno = ENOMEM;
            tess_errprintf(err, "object %s: out of memory", o->name);
            goto fail;
        }
        int rc = tess_store_read(o->obj, b->id, buf, err);
        if (rc == 0)
            rc = x->ops->adopt(x, v, &loc, err);
        free(buf);
        if (rc < 0)
            goto fail;
    }
    if (dag_put_commit(run_dag(p->run), v) < 0) {
        errno = ENOMEM;
        tess_errprintf(err, "object %s: out of memory", o->name);
        return NULL;
    }
    pblock_t *pb = add_block(o, b->id, b->start, b->count, B_KNOWN);
    if (!pb) {
        errno = ENOMEM;
        tess_errprintf(err, "object %s: out of memory", o->name);
        return NULL;
    }
    if (!o->replay || o->replayed >= o->nreplay)
        log_line(p, "block %s %" PRId64 "\n", o->name, b->id);
    watch_progress(&o->watch);
    return pb;
fail:
    dag_version_release(run_dag(p->run), v);
    return NULL;
}

/* The next block of @p o the run does not know yet: 1 (appended to the
 * list), 0 if there is none (the object is complete), -1 error. Waits,
 * running the engine, while the object is under construction. A resumed
 * run first meets the blocks of its earlier run, in their order. */
static int discover(persist_t *p, pobj_t *o, tess_error_t *err)
{
    tess_store_block_t b;
    if (o->create || o->ended)
        return 0;
    double t0 = watch_now();
    for (;;) {
        int rc;
        if (o->replay && o->replayed < o->nreplay) {
            int64_t id = o->replay[o->replayed];
            if (find_id(o, id)) {
                o->replayed++;
                continue;
            }
            rc = inrun_poll_block(o->obj, id, &b, err);
            if (rc == 1) {
                if (!attach(p, o, &b, err))
                    return -1;
                o->replayed++;
                return 1;
            }
        } else {
            rc = inrun_next(o->it, &b, err);
            if (rc == 1 && find_id(o, b.id))
                continue; /* met already, by its id */
            if (rc == 1)
                return attach(p, o, &b, err) ? 1 : -1;
            if (rc == 0) {
                o->ended = true;
                return 0;
            }
        }
        if (rc < 0)
            return -1;
        if (o->timeout > 0 && o->replay && o->replayed < o->nreplay &&
            watch_now() - t0 >= o->timeout) {
            errno = ETIMEDOUT;
            return tess_errprintf(err, "store %s: object %s: block %" PRId64
                                  " not there after %.1f s",
                                  tess_store_dir(o->store), o->name,
                                  o->replay[o->replayed], o->timeout);
        }
        if (wait_step(p, o, err) < 0)
            return -1;
    }
}

int tess_persist_complete(tess_run_t *run, tess_data_t data,
                          tess_error_t *err)
{
    persist_t *p = *run_persist(run);
    pobj_t *o = obj_of(p, data);
    if (!o || !o->create) {
        errno = EINVAL;
        return tess_errprintf(err, "complete: handle %llu is not an object "
                              "this run creates", (unsigned long long)data);
    }
    if (o->completed)
        return 0;
    /* every block written must be committed first */
    while (o->pending > 0 && !run_failed(run))
        if (run_progress(run, 1) < 0)
            break;
    if (o->pending > 0 || run_failed(run)) {
        errno = EIO;
        return tess_errprintf(err, "object %s not completed: %s", o->name,
                              tess_run_error(run)[0] ? tess_run_error(run)
                                                     : "the run failed");
    }
    if (tess_store_complete(o->obj, err) < 0)
        return -1;
    o->completed = true;
    return 0;
}

int tess_persist_delete(tess_run_t *run, tess_store_t *store,
                        const char *name, tess_error_t *err)
{
    persist_t *p = *run_persist(run);
    if (!store || !name) {
        errno = EINVAL;
        return tess_errprintf(err, "delete: no store or no name");
    }
    /* Sequential semantics: the tasks submitted before may use it. */
    if (tess_barrier(run, err) < 0)
        return -1;
    for (size_t i = 0; p && i < p->nobjs; i++) {
        pobj_t *o = p->objs[i];
        if (!o->data || strcmp(o->name, name) != 0 ||
            strcmp(tess_store_dir(o->store), tess_store_dir(store)) != 0)
            continue;
        tess_delete(run, o->data);
        p->by_data[o->data - 1] = 0;
        o->data = 0;
        tess_store_iter_destroy(o->it);
        o->it = NULL;
        tess_store_obj_close(o->obj);
        o->obj = NULL;
    }
    return tess_store_delete(store, name, err);
}

/* ---- blocks --------------------------------------------------------------------- */

tess_param_t tess_block(tess_dir_t dir, const tess_block_t *b)
{
    return tess_region(dir, b->data, b->rank, b->start, b->count);
}

int tess_block_new(tess_run_t *run, tess_data_t data, int64_t id,
                   const int64_t *start, const int64_t *count,
                   tess_block_t *b, tess_error_t *err)
{
    static const int64_t zeros[TESS_MAX_RANK];
    char b1[200], b2[200];
    persist_t *p = *run_persist(run);
    pobj_t *o = obj_of(p, data);
    if (!o || !o->create) {
        errno = EINVAL;
        return tess_errprintf(err, "block %" PRId64 ": handle %llu is not "
                              "an object this run creates (blocks of "
                              "objects read come from the store)", id,
                              (unsigned long long)data);
    }
    errno = EINVAL;
    if (id < 0)
        return tess_errprintf(err, "object %s: block id %" PRId64 " (ids "
                              "are >= 0)", o->name, id);
    if (!start || !count || box_numel(o->rank, count) <= 0 ||
        !box_inside(o->rank, start, count, zeros, o->shape))
        return tess_errprintf(err, "object %s: block %" PRId64 " %s is "
                              "empty or outside the object's shape %s",
                              o->name, id,
                              start && count
                                  ? box_format(b1, sizeof(b1), o->rank, start,
                                               count)
                                  : "?",
                              box_format_shape(b2, sizeof(b2), o->rank,
                                               o->shape));
    pblock_t *old = find_id(o, id);
    if (old) {
        if (memcmp(old->start, start, (size_t)o->rank * 8) == 0 &&
            memcmp(old->count, count, (size_t)o->rank * 8) == 0) {
            fill_block(o, old, b);
            return 0; /* the same declaration again */
        }
        return tess_errprintf(err, "object %s: block %" PRId64 " is "
                              "declared already as %s", o->name, id,
                              box_format(b1, sizeof(b1), o->rank, old->start,
                                         old->count));
    }
    if ((old = find_box(o, start, count)))
        return tess_errprintf(err, "object %s: block %" PRId64 " %s has the "
                              "box of block %" PRId64, o->name, id,
                              box_format(b1, sizeof(b1), o->rank, start,
                                         count), old->id);
    /* A resumed run declares its blocks again: those its earlier run
     * committed must be the same (their tasks are replayed or run again,
     * and their commit finds them there); an object it completed has no
     * others. */
    if (run_resuming(run) || o->completed) {
        tess_error_t e2;
        int have = inrun_block_matches(o->obj, id, start, count, &e2);
        if (have < 0)
            return tess_errprintf(err, "%s", e2.text);
        if (!have && o->completed)
            return tess_errprintf(err, "object %s is complete: block %"
                                  PRId64 " cannot be added", o->name, id);
    }
    pblock_t *nb = add_block(o, id, start, count, B_DECLARED);
    if (!nb) {
        errno = ENOMEM;
        return tess_errprintf(err, "object %s: out of memory", o->name);
    }
    fill_block(o, nb, b);
    return 0;
}

int tess_block_get(tess_run_t *run, tess_data_t data, int64_t id,
                   tess_block_t *b, tess_error_t *err)
{
    persist_t *p = *run_persist(run);
    pobj_t *o = obj_of(p, data);
    if (!o) {
        errno = EINVAL;
        return tess_errprintf(err, "block %" PRId64 ": handle %llu is not a "
                              "persistent object of this run", id,
                              (unsigned long long)data);
    }
    pblock_t *pb = find_id(o, id);
    if (pb) {
        fill_block(o, pb, b);
        return 0;
    }
    if (o->create) {
        errno = ENOENT;
        return tess_errprintf(err, "object %s: no block %" PRId64 " declared",
                              o->name, id);
    }
    /* wait for it, the engine running meanwhile */
    double t0 = watch_now();
    tess_store_block_t sb;
    for (;;) {
        int rc = inrun_poll_block(o->obj, id, &sb, err);
        if (rc < 0)
            return -1;
        if (rc == 1)
            break;
        /* no time-out: until the producer commits it, completes the
         * object without it (ENOENT) or ends (EPIPE) */
        if (o->timeout > 0 && watch_now() - t0 >= o->timeout) {
            errno = ETIMEDOUT;
            return tess_errprintf(err, "store %s: object %s: block %" PRId64
                                  " not committed after %.1f s",
                                  tess_store_dir(o->store), o->name, id,
                                  o->timeout);
        }
        if (wait_step(p, o, err) < 0)
            return -1;
    }
    if (!(pb = attach(p, o, &sb, err)))
        return -1;
    fill_block(o, pb, b);
    return 0;
}

tess_blocks_t *tess_blocks(tess_run_t *run, tess_data_t data,
                           tess_error_t *err)
{
    persist_t *p = *run_persist(run);
    pobj_t *o = obj_of(p, data);
    if (!o) {
        errno = EINVAL;
        tess_errprintf(err, "blocks: handle %llu is not a persistent object "
                       "of this run", (unsigned long long)data);
        return NULL;
    }
    tess_blocks_t *it = calloc(1, sizeof(*it));
    if (!it) {
        errno = ENOMEM;
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    it->p = p;
    it->obj = p->by_data[data - 1] - 1;
    return it;
}

int tess_blocks_next(tess_blocks_t *it, tess_block_t *b, tess_error_t *err)
{
    if (!it || !b) {
        errno = EINVAL;
        return tess_errprintf(err, "blocks: no iteration or no block");
    }
    pobj_t *o = it->p->objs[it->obj];
    if (!o->data) {
        errno = ESTALE;
        return tess_errprintf(err, "object %s was deleted", o->name);
    }
    if (it->pos == o->nblk) {
        int rc = discover(it->p, o, err);
        if (rc <= 0)
            return rc;
    }
    fill_block(o, &o->blk[it->pos++], b);
    return 1;
}

void tess_blocks_destroy(tess_blocks_t *it)
{
    int saved = errno;
    free(it);
    errno = saved;
}

/* ---- the hooks of the run ------------------------------------------------------- */

/* The box a parameter accesses (rank entries into start/count). */
static void param_box(const pobj_t *o, const tess_param_t *prm,
                      int64_t *start, int64_t *count)
{
    for (int d = 0; d < o->rank; d++) {
        start[d] = 0;
        count[d] = o->shape[d];
    }
    if (prm->rank == TESS_ROWS_RANK) {
        start[0] = prm->start[0];
        count[0] = prm->count[0];
    } else if (prm->rank > 0) {
        memcpy(start, prm->start, (size_t)o->rank * sizeof(int64_t));
        memcpy(count, prm->count, (size_t)o->rank * sizeof(int64_t));
    }
}

struct undef_ctx {
    int found;
    region_t piece;
};

static int find_undef(void *ctx, dag_version_t *v, const region_t *piece)
{
    struct undef_ctx *c = ctx;
    if (v->undefined) {
        c->found = 1;
        c->piece = *piece;
        return 1;
    }
    return 0;
}

int persist_check(persist_t *p, int nparams, const tess_param_t *params,
                  tess_error_t *err)
{
    char b1[200];
    for (int i = 0; p && i < nparams; i++) {
        const tess_param_t *prm = &params[i];
        pobj_t *o = prm->kind == TESS_P_DATA ? obj_of(p, prm->data) : NULL;
        if (!o || (prm->rank > 0 && prm->rank != o->rank))
            continue; /* not persistent; or a bad rank dag_submit reports */
        int64_t start[TESS_MAX_RANK], count[TESS_MAX_RANK];
        param_box(o, prm, start, count);
        errno = EINVAL;
        if (prm->dir != TESS_IN) {
            if (!o->create)
                return tess_errprintf(err, "parameter %d: object %s is read "
                                      "from the store: its blocks cannot be "
                                      "written", i, o->name);
            pblock_t *b = find_box(o, start, count);
            if (!b)
                return tess_errprintf(err, "parameter %d: %s%s is not a "
                                      "declared block of object %s (a task "
                                      "writes whole blocks: tess_block_new)",
                                      i, o->name,
                                      box_format(b1, sizeof(b1), o->rank,
                                                 start, count),
                                      o->name);
            if (b->state != B_DECLARED)
                return tess_errprintf(err, "parameter %d: block %" PRId64
                                      " of object %s is written already "
                                      "(blocks are written once)", i, b->id,
                                      o->name);
        }
        if (prm->dir != TESS_OUT) {
            /* reading elements no block holds would read zeros */
            region_t r = {.rank = o->rank};
            memcpy(r.start, start, sizeof(r.start));
            memcpy(r.count, count, sizeof(r.count));
            struct undef_ctx c = {0};
            dag_data_t *d = dag_data_get(run_dag(p->run), o->data);
            region_t full;
            region_full(&full, o->rank, o->shape);
            if (d && region_contains(&full, &r))
                dag_current(run_dag(p->run), d, &r, find_undef, &c);
            if (c.found)
                return tess_errprintf(err, "parameter %d: %s%s holds "
                                      "elements of no block %s", i,
                                      o->name,
                                      box_format(b1, sizeof(b1), o->rank,
                                                 start, count),
                                      o->create ? "written before"
                                                : "the run has met (iterate "
                                                  "over its blocks, or name "
                                                  "them: tess_block_get)");
        }
    }
    return 0;
}

void persist_submitted(persist_t *p, const dag_task_t *t)
{
    for (int i = 0; p && i < t->nparams; i++) {
        const dag_param_t *dp = &t->params[i];
        pobj_t *o = dp->kind == TESS_P_DATA && dp->out
                        ? obj_of(p, dp->data->id)
                        : NULL;
        if (!o)
            continue;
        pblock_t *b = find_box(o, dp->out->box, dp->out->box + o->rank);
        if (b && b->state == B_DECLARED) {
            b->state = B_WRITING;
            o->pending++;
        }
    }
}

/* Commit the output version @p v of block @p b of @p o. */
static int commit_block(persist_t *p, pobj_t *o, pblock_t *b,
                        const dag_version_t *v, int replayed,
                        tess_error_t *err)
{
    exec_t *x = run_exec(p->run);
    exec_vloc_t loc;
    char path[PATH_MAX + 64];
    int rc;
    if (replayed) {
        /* committed before the run stopped? (the journal may say the task
         * ended while the store lost nothing, or the reverse) */
        rc = inrun_block_matches(o->obj, b->id, b->start, b->count, err);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    x->ops->locate(x, v, &loc);
    if (loc.kind == EXEC_V_FRAG &&
        x->ops->version_path(x, v, path, sizeof(path)) == 0) {
        rc = inrun_commit_file(o->obj, b->id, path, err);
    } else if (loc.kind == EXEC_V_INLINE) {
        rc = tess_store_put(o->obj, b->id, b->start, b->count, loc.bytes,
                            err);
    } else if (loc.kind == EXEC_V_ZERO && !replayed) {
        /* a failure ignored (on-failure ignore): its output is zeros */
        size_t n = (size_t)box_numel(o->rank, b->count) *
                   tess_type_size(o->type);
        void *zeros = calloc(n ? n : 1, 1);
        if (!zeros) {
            errno = ENOMEM;
            return tess_errprintf(err, "out of memory");
        }
        rc = tess_store_put(o->obj, b->id, b->start, b->count, zeros, err);
        free(zeros);
    } else {
        errno = ENOENT;
        return tess_errprintf(err, "object %s: block %" PRId64 ": the run "
                              "has no value to commit (its file was "
                              "removed)", o->name, b->id);
    }
    if (rc < 0 && (errno == EEXIST || errno == EROFS)) {
        /* committed by an earlier attempt whose end was not journaled */
        tess_error_t e2;
        if (inrun_block_matches(o->obj, b->id, b->start, b->count, &e2) == 1)
            return 0;
    }
    return rc;
}

int persist_commit(persist_t *p, dag_task_t *t, int replayed, char *msg,
                   size_t len)
{
    for (int i = 0; p && i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        pobj_t *o = dp->kind == TESS_P_DATA && dp->out
                        ? obj_of(p, dp->data->id)
                        : NULL;
        if (!o || !o->create)
            continue;
        pblock_t *b = find_box(o, dp->out->box, dp->out->box + o->rank);
        if (!b || b->state == B_COMMITTED)
            continue;
        tess_error_t err;
        if (commit_block(p, o, b, dp->out, replayed, &err) < 0) {
            snprintf(msg, len, "block %" PRId64 " of %s could not be "
                     "committed: %s", b->id, o->name, err.text);
            return -1;
        }
        if (b->state == B_WRITING)
            o->pending--;
        b->state = B_COMMITTED;
    }
    return 0;
}

int persist_finish(persist_t *p, int ok, tess_error_t *err)
{
    int rc = 0;
    for (size_t i = 0; p && i < p->nobjs; i++) {
        pobj_t *o = p->objs[i];
        if (o->data && o->create && !o->completed) {
            if (!ok) {
                /* a run whose program met an error: its objects are not
                 * what the program meant */
                if (rc == 0)
                    tess_errprintf(err, "object %s left incomplete: %s",
                                   o->name, tess_run_error(p->run));
                rc = -1;
            } else if (tess_persist_complete(p->run, o->data, err) < 0) {
                rc = -1;
                ok = 0;
            }
        }
        tess_store_iter_destroy(o->it);
        o->it = NULL;
        tess_store_obj_close(o->obj); /* its lock: consumers see the end */
        o->obj = NULL;
    }
    return rc;
}
