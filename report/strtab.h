/*
 * strtab.h - interned strings: a trace repeats a few names (kernels, nodes,
 * states) over up to millions of rows; each row keeps small indexes.
 */
#ifndef TESS_REPORT_STRTAB_H
#define TESS_REPORT_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct strtab strtab_t;

/* An empty table; NULL with errno ENOMEM. */
strtab_t *strtab_create(void);

/* Free the table and its strings. Accepts NULL, preserves errno. */
void strtab_destroy(strtab_t *t);

/* The index of @p s, copied in if new (indexes count from 0 in the order
 * strings were first seen). -1 with errno ENOMEM. */
int32_t strtab_intern(strtab_t *t, const char *s);

/* The string of index @p i (borrowed until strtab_destroy()), "" if @p i
 * is out of range. */
const char *strtab_get(const strtab_t *t, int32_t i);

/* Number of distinct strings. */
size_t strtab_count(const strtab_t *t);

#endif
