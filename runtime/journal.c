/* journal.c - the run's journal of completed tasks (see journal.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fault.h"
#include "proto/pbuf.h"
#include "runtime/journal.h"

enum { REC_BEGIN = 1, REC_TASK = 2, REC_DROP = 3 };

static const char magic[8] = {'T', 'E', 'S', 'S', 'J', 'N', 'L', 0};
#define HEADER_SIZE 16
#define FORMAT 1

struct drop_key {
    uint64_t data_id; /* 0: empty slot */
    uint32_t version;
};

struct journal {
    int fd;
    char path[PATH_MAX];
    pbuf_t buf;             /* records not written yet */
    int failed;             /* a write failed: errno in failed_errno */
    int hold;               /* keep doomed files (journal_hold) */
    int rewound;            /* journal_rewind(): write nothing more */
    uint64_t open_end;      /* the journal's end when opened */
    int failed_errno;
    double last_commit;
    uint64_t *off;          /* offset of task id's record, 0: none */
    size_t noff;
    struct drop_key *drops; /* open addressing, power-of-two size */
    size_t ndrops, drops_cap;
    char **doomed;          /* files to remove after the next commit */
    size_t ndoomed, doomed_cap;
    pbuf_t scratch;         /* a record read back */
    journal_out_t *outs;
    size_t outs_cap;
    journal_stats_t st;
};

/* ---- CRC-32 (IEEE 802.3) ---------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    if (!crc_table[1])
        crc_init();
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ---- index ----------------------------------------------------------------------- */

static size_t drop_slot(const journal_t *j, uint64_t id, uint32_t v)
{
    uint64_t h = (id * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)v * 0xc2b2ae35u);
    return (size_t)(h >> 17) & (j->drops_cap - 1);
}

static int drop_add(journal_t *j, uint64_t id, uint32_t v)
{
    if ((j->ndrops + 1) * 2 > j->drops_cap) {
        size_t cap = j->drops_cap ? j->drops_cap * 2 : 1024;
        struct drop_key *old = j->drops;
        size_t oldcap = j->drops_cap;
        j->drops = calloc(cap, sizeof(*j->drops));
        if (!j->drops) {
            j->drops = old;
            return -1;
        }
        j->drops_cap = cap;
        j->ndrops = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].data_id)
                drop_add(j, old[i].data_id, old[i].version);
        free(old);
    }
    for (size_t s = drop_slot(j, id, v);; s = (s + 1) & (j->drops_cap - 1)) {
        if (!j->drops[s].data_id) {
            j->drops[s].data_id = id;
            j->drops[s].version = v;
            j->ndrops++;
            return 0;
        }
        if (j->drops[s].data_id == id && j->drops[s].version == v)
            return 0;
    }
}

int journal_dropped(const journal_t *j, uint64_t id, uint32_t v)
{
    if (!j || !j->drops_cap)
        return 0;
    for (size_t s = drop_slot(j, id, v);; s = (s + 1) & (j->drops_cap - 1)) {
        if (!j->drops[s].data_id)
            return 0;
        if (j->drops[s].data_id == id && j->drops[s].version == v)
            return 1;
    }
}

static int index_task(journal_t *j, uint64_t id, uint64_t off)
{
    if (id >= j->noff) {
        size_t n = j->noff ? j->noff : 1024;
        while (n <= id)
            n *= 2;
        uint64_t *o = realloc(j->off, n * sizeof(*o));
        if (!o)
            return -1;
        memset(o + j->noff, 0, (n - j->noff) * sizeof(*o));
        j->off = o;
        j->noff = n;
    }
    if (j->off[id])
        j->st.duplicates++;
    j->off[id] = off;
    j->st.tasks++;
    return 0;
}

/* ---- reading --------------------------------------------------------------------- */

/* Read the whole file and walk its records. Each good record is passed to
 * fn (with its offset); the offset of the end of the last good record is
 * returned in *good_end. -1 if the file is not a journal. */
static int scan(int fd, uint64_t *good_end, uint64_t *size,
                int (*fn)(void *ctx, uint64_t off, preader_t *p), void *ctx)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    *size = (uint64_t)st.st_size;
    uint8_t hdr[HEADER_SIZE];
    if (pread(fd, hdr, HEADER_SIZE, 0) != HEADER_SIZE ||
        memcmp(hdr, magic, sizeof(magic)) != 0) {
        errno = EPROTO;
        return -1;
    }
    uint64_t off = HEADER_SIZE;
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (;;) {
        uint8_t h[8];
        if (pread(fd, h, 8, (off_t)off) != 8)
            break;
        uint32_t len, crc;
        memcpy(&len, h, 4);
        memcpy(&crc, h + 4, 4);
        if (len == 0 || off + 8 + len > *size)
            break;
        if (len > cap) {
            uint8_t *nb = realloc(buf, len);
            if (!nb)
                break;
            buf = nb;
            cap = len;
        }
        if (pread(fd, buf, len, (off_t)(off + 8)) != (ssize_t)len ||
            crc32(buf, len) != crc)
            break;
        preader_t p;
        preader_init(&p, buf, len);
        if (fn && fn(ctx, off, &p) < 0)
            break;
        off += 8 + len;
    }
    free(buf);
    *good_end = off;
    return 0;
}

static int count_record(void *ctx, uint64_t off, preader_t *p)
{
    journal_t *j = ctx;
    uint8_t type = preader_u8(p);
    j->st.records++;
    if (type == REC_TASK) {
        uint64_t id = preader_u64(p);
        return p->err ? -1 : index_task(j, id, off);
    }
    if (type == REC_DROP) {
        uint64_t id = preader_u64(p);
        uint32_t v = preader_u32(p);
        j->st.drops++;
        return p->err ? -1 : drop_add(j, id, v);
    }
    if (type == REC_BEGIN)
        j->st.begins++;
    return 0;
}

int journal_lookup(journal_t *j, uint64_t id, journal_task_t *t)
{
    if (!j || id >= j->noff || !j->off[id])
        return 0;
    uint8_t h[8];
    uint64_t off = j->off[id];
    uint32_t len;
    if (pread(j->fd, h, 8, (off_t)off) != 8)
        return -1;
    memcpy(&len, h, 4);
    pbuf_reset(&j->scratch);
    uint8_t *b = pbuf_grow(&j->scratch, len);
    if (!b || pread(j->fd, b, len, (off_t)(off + 8)) != (ssize_t)len)
        return -1;
    preader_t p;
    preader_init(&p, b, len);
    if (preader_u8(&p) != REC_TASK)
        return -1;
    t->id = preader_u64(&p);
    t->hash = preader_u64(&p);
    t->attempt = preader_u8(&p);
    t->nouts = preader_u16(&p);
    if (t->nouts > j->outs_cap) {
        journal_out_t *o = realloc(j->outs, t->nouts * sizeof(*o));
        if (!o)
            return -1;
        j->outs = o;
        j->outs_cap = t->nouts;
    }
    t->outs = j->outs;
    for (uint16_t k = 0; k < t->nouts; k++) {
        journal_out_t *o = &t->outs[k];
        memset(o, 0, sizeof(*o));
        o->param = preader_u16(&p);
        o->data_id = preader_u64(&p);
        o->version = preader_u32(&p);
        o->kind = preader_u8(&p);
        if (o->kind == JOURNAL_INLINE) {
            o->len = preader_u64(&p);
            o->bytes = preader_bytes(&p, o->len);
        } else if (o->kind == JOURNAL_FILE) {
            uint32_t n;
            const char *s = preader_strref(&p, &n);
            /* the path is stored with its NUL */
            o->path = s && n && s[n - 1] == '\0' ? s : NULL;
        }
    }
    return p.err || t->id != id ? -1 : 1;
}

/* ---- writing --------------------------------------------------------------------- */

static size_t rec_begin(journal_t *j)
{
    size_t at = j->buf.len;
    pbuf_grow(&j->buf, 8);
    return at;
}

static void rec_end(journal_t *j, size_t at)
{
    if (j->buf.err)
        return;
    uint32_t len = (uint32_t)(j->buf.len - at - 8);
    uint32_t crc = crc32(j->buf.data + at + 8, len);
    memcpy(j->buf.data + at, &len, 4);
    memcpy(j->buf.data + at + 4, &crc, 4);
    j->st.records++;
}

static void put_begin(journal_t *j, const char *what)
{
    size_t at = rec_begin(j);
    pbuf_u8(&j->buf, REC_BEGIN);
    pbuf_u64(&j->buf, (uint64_t)time(NULL));
    pbuf_str(&j->buf, what);
    rec_end(j, at);
    j->st.begins++;
}

void journal_task(journal_t *j, uint64_t id, uint64_t hash, uint8_t attempt,
                  int nouts, const journal_out_t *outs)
{
    if (!j)
        return;
    size_t at = rec_begin(j);
    pbuf_u8(&j->buf, REC_TASK);
    pbuf_u64(&j->buf, id);
    pbuf_u64(&j->buf, hash);
    pbuf_u8(&j->buf, attempt);
    pbuf_u16(&j->buf, (uint16_t)nouts);
    for (int k = 0; k < nouts; k++) {
        const journal_out_t *o = &outs[k];
        pbuf_u16(&j->buf, o->param);
        pbuf_u64(&j->buf, o->data_id);
        pbuf_u32(&j->buf, o->version);
        pbuf_u8(&j->buf, o->kind);
        if (o->kind == JOURNAL_INLINE) {
            pbuf_u64(&j->buf, o->len);
            pbuf_bytes(&j->buf, o->bytes, o->len);
        } else if (o->kind == JOURNAL_FILE) {
            size_t n = o->path ? strlen(o->path) + 1 : 0;
            pbuf_u32(&j->buf, (uint32_t)n);
            pbuf_bytes(&j->buf, o->path, n);
        }
    }
    rec_end(j, at);
    j->st.tasks++;
}

void journal_drop(journal_t *j, uint64_t data_id, uint32_t version,
                  const char *path)
{
    if (!j)
        return;
    size_t at = rec_begin(j);
    pbuf_u8(&j->buf, REC_DROP);
    pbuf_u64(&j->buf, data_id);
    pbuf_u32(&j->buf, version);
    rec_end(j, at);
    j->st.drops++;
    if (!path)
        return;
    if (j->ndoomed == j->doomed_cap) {
        size_t cap = j->doomed_cap ? j->doomed_cap * 2 : 64;
        char **d = realloc(j->doomed, cap * sizeof(*d));
        if (!d)
            return; /* the file stays: only disk space */
        j->doomed = d;
        j->doomed_cap = cap;
    }
    char *copy = strdup(path);
    if (copy)
        j->doomed[j->ndoomed++] = copy;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int journal_flush(journal_t *j, int force, tess_error_t *err)
{
    if (!j)
        return 0;
    if (j->rewound) {
        pbuf_reset(&j->buf);
        return 0;
    }
    if (j->buf.err) {
        j->failed = 1;
        j->failed_errno = ENOMEM;
    }
    if (j->buf.len && !j->failed && fault_hit("journal")) {
        /* test hook (TESS_FAULT): die inside a write, leaving a torn tail */
        (void)!write(j->fd, j->buf.data, j->buf.len / 2);
        fault_die();
    }
    if (!j->failed && j->buf.len && write_all(j->fd, j->buf.data, j->buf.len) < 0) {
        j->failed = 1;
        j->failed_errno = errno;
    }
    pbuf_reset(&j->buf);
    if (j->failed) {
        errno = j->failed_errno;
        return tess_errprintf(err, "%s: cannot write the journal: %s",
                              j->path, strerror(j->failed_errno));
    }
    double now = clock_mono_s();
    if (!force && now - j->last_commit < JOURNAL_COMMIT_S)
        return 0;
    j->last_commit = now;
    /* one call makes the journal and the fragments' names durable */
    if (syncfs(j->fd) < 0 && fdatasync(j->fd) < 0) {
        j->failed = 1;
        j->failed_errno = errno;
        return tess_errprintf(err, "%s: cannot sync the journal: %s",
                              j->path, strerror(errno));
    }
    if (j->hold)
        return 0;
    for (size_t i = 0; i < j->ndoomed; i++) {
        unlink(j->doomed[i]);
        free(j->doomed[i]);
    }
    j->ndoomed = 0;
    return 0;
}

void journal_hold(journal_t *j, int on)
{
    if (j)
        j->hold = on;
}

int journal_rewind(journal_t *j)
{
    if (!j || j->rewound)
        return 0;
    j->rewound = 1;
    pbuf_reset(&j->buf);
    for (size_t i = 0; i < j->ndoomed; i++)
        free(j->doomed[i]); /* kept: the earlier run may need them */
    j->ndoomed = 0;
    if (ftruncate(j->fd, (off_t)j->open_end) < 0 || fdatasync(j->fd) < 0)
        return -1;
    return 0;
}

/* ---- life cycle ------------------------------------------------------------------- */

journal_t *journal_open(const char *run_dir, int resume, tess_error_t *err)
{
    journal_t *j = calloc(1, sizeof(*j));
    if (!j) {
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    j->fd = -1;
    pbuf_init(&j->buf);
    pbuf_init(&j->scratch);
    if (snprintf(j->path, sizeof(j->path), "%s/journal", run_dir) >=
        (int)sizeof(j->path)) {
        errno = ENAMETOOLONG;
        tess_errprintf(err, "%s: path too long", run_dir);
        goto fail;
    }
    if (resume) {
        j->fd = open(j->path, O_RDWR | O_CLOEXEC);
        uint64_t end, size;
        if (j->fd < 0 || scan(j->fd, &end, &size, count_record, j) < 0) {
            tess_errprintf(err, "%s: not a journal Tessera can read: %s",
                           j->path, strerror(errno));
            goto fail;
        }
        if (end < size) {
            /* a record torn by a crash: what follows the last good one */
            j->st.torn_bytes = size - end;
            if (ftruncate(j->fd, (off_t)end) < 0) {
                tess_errprintf(err, "%s: cannot cut its torn end: %s",
                               j->path, strerror(errno));
                goto fail;
            }
        }
        j->open_end = end;
        if (lseek(j->fd, 0, SEEK_END) < 0)
            goto io;
        put_begin(j, "resume");
    } else {
        j->fd = open(j->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (j->fd < 0)
            goto io;
        uint8_t hdr[HEADER_SIZE] = {0};
        uint32_t fmt = FORMAT;
        memcpy(hdr, magic, sizeof(magic));
        memcpy(hdr + 8, &fmt, 4);
        if (write_all(j->fd, hdr, HEADER_SIZE) < 0)
            goto io;
        j->open_end = HEADER_SIZE;
        put_begin(j, "run");
    }
    j->last_commit = clock_mono_s();
    if (journal_flush(j, 1, err) < 0)
        goto fail;
    return j;
io:
    tess_errprintf(err, "%s: %s", j->path, strerror(errno));
fail:
    journal_close(j);
    return NULL;
}

int journal_close(journal_t *j)
{
    int saved = errno, rc = 0;
    if (!j)
        return 0;
    if (j->fd >= 0) {
        tess_error_t ignored;
        rc = journal_flush(j, 1, &ignored);
        close(j->fd);
    }
    for (size_t i = 0; i < j->ndoomed; i++)
        free(j->doomed[i]);
    free(j->doomed);
    free(j->off);
    free(j->drops);
    free(j->outs);
    pbuf_free(&j->buf);
    pbuf_free(&j->scratch);
    free(j);
    errno = saved;
    return rc;
}

void journal_stats(const journal_t *j, journal_stats_t *st)
{
    *st = j->st;
}

int journal_inspect(const char *run_dir, journal_stats_t *st,
                    tess_error_t *err)
{
    journal_t j;
    memset(&j, 0, sizeof(j));
    snprintf(j.path, sizeof(j.path), "%s/journal", run_dir);
    int fd = open(j.path, O_RDONLY | O_CLOEXEC);
    uint64_t end, size;
    int rc = fd < 0 ? -1 : scan(fd, &end, &size, count_record, &j);
    if (fd >= 0)
        close(fd);
    free(j.off);
    free(j.drops);
    if (rc < 0)
        return tess_errprintf(err, "%s: %s", j.path, strerror(errno));
    j.st.torn_bytes = size - end;
    *st = j.st;
    return 0;
}
