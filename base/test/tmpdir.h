/* tmpdir.h - scratch directories for the unit tests. */
#ifndef TESS_BASE_TEST_TMPDIR_H
#define TESS_BASE_TEST_TMPDIR_H

/* Create a fresh directory under $TMPDIR (or /tmp). Caller frees the
 * returned path (malloc'd) after tmpdir_remove(). NULL on failure. */
char *tmpdir_create(void);

/* rm -rf @p dir. Returns 0 or -1. */
int tmpdir_remove(const char *dir);

/* Number of files under @p dir (recursively) whose name contains @p part. */
int tmpdir_count(const char *dir, const char *part);

#endif
