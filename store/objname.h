/*
 * objname.h - names of store objects: what is allowed and how a refused
 * name is shown.
 *
 * A name is 1 to TESS_STORE_NAME_MAX bytes of A-Z a-z 0-9 '.' '_' '-',
 * the first a letter or a digit. So a name is always one path component
 * that is neither hidden nor "." or "..", never holds '/', control
 * characters or bytes outside ASCII (non-UTF-8 included), and leaves
 * room in NAME_MAX (255) for the store's temporary suffixes. Names are
 * case-sensitive (on a case-insensitive file system two names differing
 * in case are one object: the second creation gets EEXIST).
 */
#ifndef TESS_STORE_OBJNAME_H
#define TESS_STORE_OBJNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera.h"

/* true if @p name is a valid object name (no message). */
bool objname_valid(const char *name);

/* @p name made printable for a message: at most @p len - 1 bytes, bytes
 * outside printable ASCII, '\'' and '\\' as \xNN, cut with "..." when
 * long.
 * NULL is shown as "(null)". Returns @p buf. */
char *objname_quote(char *buf, size_t len, const char *name);

#endif
