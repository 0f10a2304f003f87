/* proto.c - the codec of every engine/worker record (see proto.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/box.h"
#include "proto/proto.h"

/* A reader that failed is a malformed record. */
static int done(const preader_t *p)
{
    if (p->err) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

static void put_end(pbuf_t *b, size_t rec)
{
    pbuf_end_record(b, rec);
}

/* ---- HELLO, CONFIG, KERNEL, FATAL, BYE, DROP ------------------------------ */

void proto_put_hello(pbuf_t *b, const proto_hello_t *h)
{
    size_t rec = pbuf_begin_record(b, PROTO_HELLO);
    pbuf_u32(b, PROTO_BOM);
    pbuf_u32(b, h->slots);
    pbuf_str(b, h->host);
    pbuf_str(b, h->arch);
    pbuf_str(b, h->node);
    pbuf_str(b, h->exe);
    pbuf_u64(b, (uint64_t)h->memory_mb);
    pbuf_u64(b, (uint64_t)h->pid);
    put_end(b, rec);
}

int proto_get_hello(preader_t *p, proto_hello_t *h)
{
    memset(h, 0, sizeof(*h));
    h->bom = preader_u32(p);
    h->slots = preader_u32(p);
    preader_str(p, h->host, sizeof(h->host));
    preader_str(p, h->arch, sizeof(h->arch));
    preader_str(p, h->node, sizeof(h->node));
    preader_str(p, h->exe, sizeof(h->exe));
    h->memory_mb = (int64_t)preader_u64(p);
    h->pid = (int64_t)preader_u64(p);
    return done(p);
}

void proto_put_config(pbuf_t *b, const proto_config_t *c)
{
    size_t rec = pbuf_begin_record(b, PROTO_CONFIG);
    pbuf_str(b, c->run_dir);
    pbuf_u32(b, c->spin_us);
    pbuf_u32(b, c->flags);
    put_end(b, rec);
}

int proto_get_config(preader_t *p, proto_config_t *c)
{
    memset(c, 0, sizeof(*c));
    uint32_t n;
    const char *s = preader_strref(p, &n);
    if (!s || n >= sizeof(c->run_dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(c->run_dir, s, n);
    c->spin_us = preader_u32(p);
    c->flags = preader_u32(p);
    return done(p);
}

void proto_put_kernel(pbuf_t *b, uint32_t index, const char *name)
{
    size_t rec = pbuf_begin_record(b, PROTO_KERNEL);
    pbuf_u32(b, index);
    pbuf_str(b, name);
    put_end(b, rec);
}

int proto_get_kernel(preader_t *p, uint32_t *index, const char **name,
                     uint32_t *name_len)
{
    *index = preader_u32(p);
    *name = preader_strref(p, name_len);
    return done(p);
}

void proto_put_fatal(pbuf_t *b, const char *msg)
{
    size_t rec = pbuf_begin_record(b, PROTO_FATAL);
    pbuf_str(b, msg);
    put_end(b, rec);
}

int proto_get_fatal(preader_t *p, char *msg, size_t len)
{
    preader_str(p, msg, len);
    return done(p);
}

void proto_put_bye(pbuf_t *b, const proto_bye_t *y)
{
    size_t rec = pbuf_begin_record(b, PROTO_BYE);
    pbuf_u64(b, y->tasks);
    pbuf_u64(b, y->frag_bytes);
    pbuf_u64(b, y->inline_bytes);
    pbuf_u64(b, y->cache_peak);
    pbuf_u64(b, y->cache_reads);
    pbuf_u64(b, y->frag_reads);
    pbuf_u64(b, y->crashes);
    put_end(b, rec);
}

int proto_get_bye(preader_t *p, proto_bye_t *y)
{
    y->tasks = preader_u64(p);
    y->frag_bytes = preader_u64(p);
    y->inline_bytes = preader_u64(p);
    y->cache_peak = preader_u64(p);
    y->cache_reads = preader_u64(p);
    y->frag_reads = preader_u64(p);
    y->crashes = preader_u64(p);
    return done(p);
}

void proto_drop_pair(pbuf_t *pairs, uint64_t data_id, uint32_t version)
{
    pbuf_u64(pairs, data_id);
    pbuf_u32(pairs, version);
}

void proto_put_drops(pbuf_t *b, const pbuf_t *pairs)
{
    size_t rec = pbuf_begin_record(b, PROTO_DROP);
    pbuf_bytes(b, pairs->data, pairs->len);
    put_end(b, rec);
}

int proto_get_drop(preader_t *p, uint64_t *data_id, uint32_t *version)
{
    if (p->off == p->len)
        return 0;
    *data_id = preader_u64(p);
    *version = preader_u32(p);
    return done(p) < 0 ? -1 : 1;
}

void proto_put_empty(pbuf_t *b, uint8_t type)
{
    put_end(b, pbuf_begin_record(b, type));
}

void proto_put_wake(pbuf_t *b, uint32_t in_us, uint32_t spin_us)
{
    size_t rec = pbuf_begin_record(b, PROTO_WAKE);
    pbuf_u32(b, in_us);
    pbuf_u32(b, spin_us);
    put_end(b, rec);
}

int proto_get_wake(preader_t *p, uint32_t *in_us, uint32_t *spin_us)
{
    *in_us = preader_u32(p);
    *spin_us = preader_u32(p);
    return done(p);
}

/* ---- TASK ---------------------------------------------------------------- */

size_t proto_put_task_begin(pbuf_t *b, const proto_task_t *t)
{
    size_t rec = pbuf_begin_record(b, PROTO_TASK);
    pbuf_u64(b, t->cookie);
    pbuf_u64(b, t->id);
    pbuf_u32(b, t->kernel);
    pbuf_u16(b, t->nparams);
    pbuf_u8(b, t->flags);
    pbuf_u8(b, t->attempt);
    pbuf_u32(b, t->timeout_ms);
    pbuf_u64(b, (uint64_t)t->memory_mb);
    return rec;
}

static void get_task_header(preader_t *p, proto_task_t *t)
{
    t->cookie = preader_u64(p);
    t->id = preader_u64(p);
    t->kernel = preader_u32(p);
    t->nparams = preader_u16(p);
    t->flags = preader_u8(p);
    t->attempt = preader_u8(p);
    t->timeout_ms = preader_u32(p);
    t->memory_mb = (int64_t)preader_u64(p);
}

int proto_peek_task(const preader_t *p, proto_task_t *t)
{
    preader_t copy = *p;
    get_task_header(&copy, t);
    return done(&copy);
}

static void put_strn(pbuf_t *b, const char *s, uint32_t n)
{
    pbuf_u32(b, n);
    pbuf_bytes(b, s, n);
}

/* Strings given to the encoder: explicit length, or NUL-terminated. */
static uint32_t len_of(const char *s, uint32_t n)
{
    return n ? n : (s ? (uint32_t)strlen(s) : 0);
}

void proto_put_param(pbuf_t *b, const proto_param_t *p)
{
    pbuf_u8(b, p->kind);
    pbuf_u8(b, p->dir);
    switch (p->kind) {
    case TESS_P_INT:
        pbuf_u64(b, (uint64_t)p->i);
        return;
    case TESS_P_DOUBLE:
        pbuf_f64(b, p->d);
        return;
    case TESS_P_STRING:
        put_strn(b, p->str, len_of(p->str, p->str_len));
        return;
    default:
        break;
    }
    int r = p->rank;
    pbuf_u64(b, p->data_id);
    pbuf_u8(b, p->dkind);
    pbuf_u8(b, p->type);
    pbuf_u8(b, p->rank);
    pbuf_i64s(b, p->box, 2 * (size_t)r);
    if (p->dkind == PROTO_DATA_FILE) {
        if (p->dir != TESS_OUT)
            put_strn(b, p->path_in, len_of(p->path_in, p->path_in_len));
        if (p->dir != TESS_IN)
            put_strn(b, p->path_out, len_of(p->path_out, p->path_out_len));
        return;
    }
    if (p->dir != TESS_OUT)
        pbuf_u32(b, p->nsrc);
}

void proto_put_src(pbuf_t *b, const proto_param_t *p, const proto_src_t *s,
                   const void *whole, const int64_t *whole_box)
{
    int r = p->rank;
    pbuf_u32(b, s->version);
    pbuf_i64s(b, s->piece, 2 * (size_t)r);
    pbuf_u8(b, s->loc);
    if (s->loc != PROTO_LOC_INLINE)
        return;
    size_t elsize = tess_type_size((tess_type_t)p->type);
    int64_t n = box_numel(r, s->piece + r), vstart[TESS_MAX_RANK],
            zero[TESS_MAX_RANK] = {0};
    if (n < 0) {
        b->err = 1;
        return;
    }
    for (int k = 0; k < r; k++)
        vstart[k] = s->piece[k] - whole_box[k];
    void *dst = pbuf_grow(b, (size_t)n * elsize);
    if (dst && box_copy(elsize, r, whole, whole_box + r, vstart, dst,
                        s->piece + r, zero, s->piece + r) < 0)
        b->err = 1;
}

void proto_put_out(pbuf_t *b, const proto_param_t *p)
{
    if (p->kind != TESS_P_DATA || p->dkind != PROTO_DATA_ARRAY ||
        p->dir == TESS_IN)
        return;
    pbuf_u32(b, p->out_version);
    pbuf_u8(b, p->out_mode);
}

void proto_put_task_end(pbuf_t *b, size_t rec)
{
    put_end(b, rec);
}

/* Read one piece of pp from r (validated); its bytes are skipped. */
static int read_src(preader_t *r, const proto_param_t *pp, proto_src_t *s)
{
    int rank = pp->rank;
    s->version = preader_u32(r);
    preader_i64s(r, s->piece, 2 * (size_t)rank);
    s->loc = preader_u8(r);
    s->bytes = NULL;
    if (r->err)
        return -1;
    if (box_numel(rank, s->piece + rank) < 0 ||
        !box_inside(rank, s->piece, s->piece + rank, pp->box, pp->box + rank))
        return -1;
    switch (s->loc) {
    case PROTO_LOC_ZERO:
    case PROTO_LOC_FRAG:
        return 0;
    case PROTO_LOC_INLINE: {
        size_t n = (size_t)box_numel(rank, s->piece + rank) *
                   tess_type_size((tess_type_t)pp->type);
        s->bytes = preader_bytes(r, n);
        return s->bytes ? 0 : -1;
    }
    }
    return -1;
}

static int get_strn(preader_t *p, const char **s, uint32_t *n)
{
    *s = preader_strref(p, n);
    return *s || *n == 0 ? 0 : -1;
}

static int get_param(preader_t *p, proto_param_t *pp)
{
    memset(pp, 0, sizeof(*pp));
    pp->kind = preader_u8(p);
    pp->dir = preader_u8(p);
    switch (pp->kind) {
    case TESS_P_INT:
        pp->i = (int64_t)preader_u64(p);
        return done(p);
    case TESS_P_DOUBLE:
        pp->d = preader_f64(p);
        return done(p);
    case TESS_P_STRING:
        if (get_strn(p, &pp->str, &pp->str_len) < 0)
            return -1;
        return done(p);
    case TESS_P_DATA:
        break;
    default:
        return -1;
    }
    if (pp->dir < TESS_IN || pp->dir > TESS_INOUT)
        return -1;
    pp->data_id = preader_u64(p);
    pp->dkind = preader_u8(p);
    pp->type = preader_u8(p);
    pp->rank = preader_u8(p);
    int r = pp->rank;
    if (p->err || r > TESS_MAX_RANK)
        return -1;
    preader_i64s(p, pp->box, 2 * (size_t)r);
    if (pp->dkind == PROTO_DATA_FILE) {
        if (r != 0)
            return -1;
        if (pp->dir != TESS_OUT &&
            get_strn(p, &pp->path_in, &pp->path_in_len) < 0)
            return -1;
        if (pp->dir != TESS_IN &&
            get_strn(p, &pp->path_out, &pp->path_out_len) < 0)
            return -1;
        return done(p);
    }
    if (pp->dkind != PROTO_DATA_ARRAY || r < 1 ||
        tess_type_size((tess_type_t)pp->type) == 0 ||
        box_numel(r, pp->box + r) < 0)
        return -1;
    if (pp->dir != TESS_OUT) {
        pp->nsrc = preader_u32(p);
        /* validate every piece now, remember where they are */
        size_t start = p->off;
        proto_src_t s;
        for (uint32_t k = 0; k < pp->nsrc; k++)
            if (read_src(p, pp, &s) < 0)
                return -1;
        preader_init(&pp->srcs, p->p + start, p->off - start);
    }
    if (pp->dir != TESS_IN) {
        pp->out_version = preader_u32(p);
        pp->out_mode = preader_u8(p);
        if (pp->out_mode != PROTO_OUT_INLINE && pp->out_mode != PROTO_OUT_FRAG)
            return -1;
    }
    return done(p);
}

int proto_get_task(preader_t *p, proto_task_t *t, proto_param_t *params,
                   size_t maxparams)
{
    get_task_header(p, t);
    if (done(p) < 0)
        return -1;
    if (t->nparams > maxparams) {
        errno = E2BIG;
        return -1;
    }
    for (int i = 0; i < t->nparams; i++)
        if (get_param(p, &params[i]) < 0) {
            errno = EPROTO;
            return -1;
        }
    if (p->off != p->len) { /* trailing bytes: not what we think it is */
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int proto_get_src(proto_param_t *pp, proto_src_t *s)
{
    if (read_src(&pp->srcs, pp, s) < 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

/* ---- DONE ---------------------------------------------------------------- */

void proto_put_done(pbuf_t *b, const proto_done_t *d,
                    const proto_outval_t *outs)
{
    size_t rec = pbuf_begin_record(b, PROTO_DONE);
    pbuf_u64(b, d->cookie);
    pbuf_u8(b, d->state);
    pbuf_u32(b, (uint32_t)d->code);
    pbuf_str(b, d->msg ? d->msg : "");
    pbuf_u64(b, d->start_ns);
    pbuf_u64(b, d->end_ns);
    pbuf_u16(b, d->slot);
    pbuf_u64(b, d->bytes_in);
    pbuf_u64(b, d->bytes_out);
    pbuf_u32(b, d->cache_hits);
    uint16_t n = d->state == PROTO_ST_OK ? d->nouts : 0;
    pbuf_u16(b, n);
    for (uint16_t k = 0; k < n; k++) {
        pbuf_u16(b, outs[k].param);
        pbuf_u8(b, outs[k].mode);
        if (outs[k].mode == PROTO_OUT_INLINE) {
            pbuf_u64(b, outs[k].len);
            pbuf_bytes(b, outs[k].bytes, outs[k].len);
        }
    }
    put_end(b, rec);
}

static int read_outval(preader_t *r, proto_outval_t *o)
{
    o->param = preader_u16(r);
    o->mode = preader_u8(r);
    o->bytes = NULL;
    o->len = 0;
    if (o->mode == PROTO_OUT_INLINE) {
        o->len = preader_u64(r);
        if (r->err || o->len > r->len - r->off)
            return -1;
        o->bytes = preader_bytes(r, o->len);
    } else if (o->mode != PROTO_OUT_FRAG) {
        return -1;
    }
    return r->err ? -1 : 0;
}

int proto_get_done(preader_t *p, proto_done_t *d)
{
    memset(d, 0, sizeof(*d));
    d->cookie = preader_u64(p);
    d->state = preader_u8(p);
    d->code = (int32_t)preader_u32(p);
    if (get_strn(p, &d->msg, &d->msg_len) < 0)
        return -1;
    d->start_ns = preader_u64(p);
    d->end_ns = preader_u64(p);
    d->slot = preader_u16(p);
    d->bytes_in = preader_u64(p);
    d->bytes_out = preader_u64(p);
    d->cache_hits = preader_u32(p);
    d->nouts = preader_u16(p);
    if (p->err || d->state < PROTO_ST_OK || d->state > PROTO_ST_NOT_RUN)
        return -1;
    size_t start = p->off;
    proto_outval_t o;
    for (uint16_t k = 0; k < d->nouts; k++)
        if (read_outval(p, &o) < 0)
            return -1;
    preader_init(&d->outs, p->p + start, p->off - start);
    if (p->off != p->len) {
        errno = EPROTO;
        return -1;
    }
    return done(p);
}

int proto_get_outval(proto_done_t *d, proto_outval_t *o)
{
    if (read_outval(&d->outs, o) < 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

const char *proto_state_text(uint8_t state, int32_t code, char *buf,
                             size_t len)
{
    switch (state) {
    case PROTO_ST_OK:
        snprintf(buf, len, "ok");
        break;
    case PROTO_ST_FAILED:
        snprintf(buf, len, "kernel returned %d", (int)code);
        break;
    case PROTO_ST_CRASHED:
        if (code > 0)
            snprintf(buf, len, "killed by signal %d (%s)", (int)code,
                     strsignal((int)code));
        else
            snprintf(buf, len, "the kernel called exit(%d)", (int)-code);
        break;
    case PROTO_ST_TIMEOUT:
        snprintf(buf, len, "timed out");
        break;
    case PROTO_ST_NOT_RUN:
        snprintf(buf, len, "not run");
        break;
    default:
        snprintf(buf, len, "could not run");
        break;
    }
    return buf;
}
