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

/* The scratch directory of the running CUnit suite: tmpdir_suite_init()
 * (a suite initialisation function) creates it, tmpdir_suite_clean()
 * removes it with its content; NULL outside. */
extern char *tmpdir_suite;
int tmpdir_suite_init(void);
int tmpdir_suite_clean(void);

/* "SUITE/REL", REL formatted from @p fmt, into @p buf (PATH_MAX bytes);
 * returns @p buf. */
char *tmpdir_path(char *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
