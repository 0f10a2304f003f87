/* utf8.c - UTF-8 validity (see utf8.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

size_t utf8_seq_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) /* a NUL stops here too */
            return 0;
    return n;
}

char *utf8_sanitize(const char *s)
{
    size_t len = strlen(s);
    /* each bad byte grows to 3 bytes */
    char *out = malloc(3 * len + 1), *o = out;
    if (!out)
        return NULL;
    while (*s) {
        size_t n = utf8_seq_len(s);
        if (n == 0) {
            memcpy(o, UTF8_REPLACEMENT, 3);
            o += 3;
            s++;
        } else {
            memcpy(o, s, n);
            o += n;
            s += n;
        }
    }
    *o = '\0';
    return out;
}
