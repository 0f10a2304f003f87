/*
 * utf8.h - UTF-8 validity. Names and messages in a run's record come from
 * users and kernels and may hold any bytes; the formats Tessera writes for
 * other tools (XML, JSON, HDF5 strings declared UTF-8) must stay valid, so
 * writers replace what is not UTF-8 with U+FFFD.
 */
#ifndef TESS_BASE_UTF8_H
#define TESS_BASE_UTF8_H

#include <stddef.h>

/* The replacement character U+FFFD, encoded. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Length (1..4) of the well-formed UTF-8 sequence starting at @p s (which
 * is NUL-terminated), or 0 if the bytes there are not one (overlong forms,
 * surrogates and code points above U+10FFFF are not). */
size_t utf8_seq_len(const char *s);

/* A copy of @p s with every byte that does not start a well-formed
 * sequence replaced by U+FFFD. Caller frees; NULL with errno ENOMEM. */
char *utf8_sanitize(const char *s);

#endif
