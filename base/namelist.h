/*
 * namelist.h - ','-separated lists of names ("default,mic"): the form in
 * which architectures and Slurm node features travel (workers' HELLO, node
 * features, --constraint, workflow resources). One rule everywhere: items
 * are separated by ',', blanks around an item are not part of it, empty
 * items are ignored, and names compare exactly (case-sensitive).
 */
#ifndef TESS_BASE_NAMELIST_H
#define TESS_BASE_NAMELIST_H

#include <stdbool.h>
#include <stddef.h>

/* true if @p name is an item of @p list (NULL: the empty list). */
bool namelist_contains(const char *list, const char *name);

/* Append @p name to the list in @p buf (of @p len bytes, NUL-terminated)
 * unless it is already there. 0, or -1 with errno ENOSPC if it does not fit
 * (buf unchanged). */
int namelist_add(char *buf, size_t len, const char *name);

/* The first item of @p list into @p buf (truncated to fit), "" if none.
 * Returns @p buf. */
char *namelist_first(const char *list, char *buf, size_t len);

#endif
