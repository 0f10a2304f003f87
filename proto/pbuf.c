/* pbuf.c - writing and reading protocol record buffers. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pbuf.h"

void pbuf_init(pbuf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void pbuf_free(pbuf_t *b)
{
    free(b->data);
    pbuf_init(b);
}

void pbuf_reset(pbuf_t *b)
{
    b->len = 0;
    b->err = 0;
}

void *pbuf_grow(pbuf_t *b, size_t n)
{
    if (b->err)
        return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->err = 1;
            errno = ENOMEM;
            return NULL;
        }
        b->data = d;
        b->cap = cap;
    }
    void *p = b->data + b->len;
    b->len += n;
    return p;
}

void pbuf_bytes(pbuf_t *b, const void *p, size_t n)
{
    void *d = pbuf_grow(b, n);
    if (d && n)
        memcpy(d, p, n);
}

void pbuf_u8(pbuf_t *b, uint8_t v)
{
    pbuf_bytes(b, &v, 1);
}

void pbuf_u16(pbuf_t *b, uint16_t v)
{
    pbuf_bytes(b, &v, sizeof(v));
}

void pbuf_u32(pbuf_t *b, uint32_t v)
{
    pbuf_bytes(b, &v, sizeof(v));
}

void pbuf_u64(pbuf_t *b, uint64_t v)
{
    pbuf_bytes(b, &v, sizeof(v));
}

void pbuf_i64s(pbuf_t *b, const int64_t *v, size_t n)
{
    pbuf_bytes(b, v, n * sizeof(*v));
}

void pbuf_f64(pbuf_t *b, double v)
{
    pbuf_bytes(b, &v, sizeof(v));
}

void pbuf_str(pbuf_t *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    pbuf_u32(b, (uint32_t)n);
    pbuf_bytes(b, s, n);
}

size_t pbuf_begin_record(pbuf_t *b, uint8_t type)
{
    pbuf_u8(b, type);
    size_t at = b->len;
    pbuf_u32(b, 0);
    return at;
}

void pbuf_end_record(pbuf_t *b, size_t rec)
{
    if (b->err)
        return;
    uint32_t n = (uint32_t)(b->len - rec - sizeof(uint32_t));
    memcpy(b->data + rec, &n, sizeof(n));
}

void preader_init(preader_t *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = 0;
}

const void *preader_bytes(preader_t *r, size_t n)
{
    if (r->err || n > r->len - r->off) {
        r->err = 1;
        return NULL;
    }
    const void *p = r->p + r->off;
    r->off += n;
    return p;
}

#define READER(name, type)                                                   \
    type preader_##name(preader_t *r)                                        \
    {                                                                        \
        type v = 0;                                                          \
        const void *p = preader_bytes(r, sizeof(v));                         \
        if (p)                                                               \
            memcpy(&v, p, sizeof(v));                                        \
        return v;                                                            \
    }

READER(u8, uint8_t)
READER(u16, uint16_t)
READER(u32, uint32_t)
READER(u64, uint64_t)
READER(f64, double)

void preader_i64s(preader_t *r, int64_t *v, size_t n)
{
    const void *p = preader_bytes(r, n * sizeof(*v));
    if (p)
        memcpy(v, p, n * sizeof(*v));
    else
        memset(v, 0, n * sizeof(*v));
}

const char *preader_strref(preader_t *r, uint32_t *n)
{
    *n = preader_u32(r);
    const char *s = preader_bytes(r, *n);
    if (!s)
        *n = 0;
    return s;
}

void preader_str(preader_t *r, char *buf, size_t len)
{
    uint32_t n;
    const char *s = preader_strref(r, &n);
    if (len == 0)
        return;
    if (n >= len)
        n = (uint32_t)(len - 1);
    if (s)
        memcpy(buf, s, n);
    buf[s ? n : 0] = '\0';
}

int preader_record(preader_t *r, uint8_t *type, preader_t *payload)
{
    if (r->off == r->len)
        return 0;
    *type = preader_u8(r);
    uint32_t n = preader_u32(r);
    const void *p = preader_bytes(r, n);
    if (r->err)
        return -1;
    preader_init(payload, p, n);
    return 1;
}
