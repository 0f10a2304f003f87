/*
 * sha256.h - SHA-256 (FIPS 180-4), for content identities: of workflows,
 * parameters, input files and kernel libraries (resume refuses a run whose
 * inputs changed; results name the code that made them). Not for
 * secrets: no constant-time claims.
 */
#ifndef TESS_BASE_SHA256_H
#define TESS_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t used;
} sha256_t;

void sha256_init(sha256_t *s);
void sha256_update(sha256_t *s, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL (hex has 65 bytes). */
void sha256_final_hex(sha256_t *s, char hex[65]);

/* The digest of the file at path into hex. -1 with errno if it cannot be
 * read. */
int sha256_file(const char *path, char hex[65]);

#endif
