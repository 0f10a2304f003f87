/* fixture.h - small run directories with known answers for the report/
 * unit tests. */
#ifndef TESS_REPORT_TEST_FIXTURE_H
#define TESS_REPORT_TEST_FIXTURE_H

#include <stdio.h>

/* A fresh directory holding the run described in fixture.c: 5 tasks on 3
 * slots of 2 workers, a failed attempt retried, a cancelled task, edges
 * 1->2->4->5 and 3->4. Caller frees the path after tmpdir_remove()
 * (io/test/tmpdir.h). */
char *fixture_run(void);

/* Write @p text to DIR/NAME. */
void fixture_put(const char *dir, const char *name, const char *text);

/* The whole of file @p path (caller frees), NULL if unreadable. */
char *fixture_read(const char *path);

/* Occurrences of @p needle in @p hay. */
size_t fixture_count(const char *hay, const char *needle);

#endif
