/*
 * pbuf.h - byte buffers of protocol records: pbuf_t writes, preader_t reads.
 *
 * A record is u8 type | u32 length | payload; integers in host byte order
 * (see proto.h). Writers grow their buffer and remember an allocation
 * failure (sticky err, errno ENOMEM) so a whole record can be built and
 * checked once; readers never read past the end (a short or corrupt record
 * sets the reader's sticky error flag and yields zeros).
 */
#ifndef TESS_PROTO_PBUF_H
#define TESS_PROTO_PBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pbuf {
    uint8_t *data;
    size_t len, cap;
    int err; /* sticky: an allocation failed */
} pbuf_t;

void pbuf_init(pbuf_t *b);
void pbuf_free(pbuf_t *b);
void pbuf_reset(pbuf_t *b);
void pbuf_u8(pbuf_t *b, uint8_t v);
void pbuf_u16(pbuf_t *b, uint16_t v);
void pbuf_u32(pbuf_t *b, uint32_t v);
void pbuf_u64(pbuf_t *b, uint64_t v);
void pbuf_i64s(pbuf_t *b, const int64_t *v, size_t n);
void pbuf_f64(pbuf_t *b, double v);
void pbuf_bytes(pbuf_t *b, const void *p, size_t n);
void pbuf_str(pbuf_t *b, const char *s); /* u32 length + bytes, no NUL */
/* Reserve n bytes at the end and return them (NULL if out of memory). */
void *pbuf_grow(pbuf_t *b, size_t n);
/* Start a record; returns its offset for pbuf_end_record. */
size_t pbuf_begin_record(pbuf_t *b, uint8_t type);
void pbuf_end_record(pbuf_t *b, size_t rec);

typedef struct preader {
    const uint8_t *p;
    size_t len, off;
    int err; /* sticky: read past the end */
} preader_t;

void preader_init(preader_t *r, const void *p, size_t len);
uint8_t preader_u8(preader_t *r);
uint16_t preader_u16(preader_t *r);
uint32_t preader_u32(preader_t *r);
uint64_t preader_u64(preader_t *r);
void preader_i64s(preader_t *r, int64_t *v, size_t n);
double preader_f64(preader_t *r);
/* Pointer to the next n bytes (borrowed from the buffer), NULL past end. */
const void *preader_bytes(preader_t *r, size_t n);
/* A string: copied into buf (NUL-terminated, truncated to len-1). */
void preader_str(preader_t *r, char *buf, size_t len);
/* A string as a borrowed pointer and length (not NUL-terminated). */
const char *preader_strref(preader_t *r, uint32_t *n);
/* Next record: its type and a reader over its payload; 0 at the end,
 * -1 if the buffer is corrupt. */
int preader_record(preader_t *r, uint8_t *type, preader_t *payload);

#endif
