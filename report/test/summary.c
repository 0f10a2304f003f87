/* test_summary: the text summary of the fixture run says what it must. */
#define _GNU_SOURCE
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/runrec.h"
#include "report/summary.h"
#include "base/test/tmpdir.h"
#include "report/test/fixture.h"

#include "base/test/cunit_main.h"

static void test_summary(void)
{
    tess_error_t err;
    char *dir = fixture_run(), *text = NULL;
    size_t len;
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    FILE *f = open_memstream(&text, &len);
    summary_opts_t o = {.top = 2, .max_failures = 10};
    CU_ASSERT_EQUAL(summary_print(f, rr, &o), 0);
    fclose(f);
    const char *want[] = {
        "(workflow fixture)", "state         failed, exit status 1",
        "message       task 5 cancelled",
        "6 attempts traced: 4 ok, 1 failed, 1 cancelled; 1 task succeeded on "
        "a retry",
        "makespan      39 us (first submission to last end)",
        "task time     44 us on 4 slots",  /* status: 2 workers x 2 slots */
        "critical path 36 us over 3 tasks = 92.3% of the makespan",
        "bound by the dependences",
        "read 208 B, written 316 B, 1 input served",
        "lib:sum", "\n  task 2 ", "\n  task 1 ",
        "task 3 (fill) attempt 1 on worker 2 (n2) slot 0: failed: bad <value>, "
        "\"x\" & more | second line",
        "1 task not run (cancelled or stopped), e.g. task 5: input d4 v1",
        NULL};
    for (int i = 0; want[i]; i++)
        if (!strstr(text, want[i])) {
            fprintf(stderr, "missing '%s' in:\n%s\n", want[i], text);
            CU_FAIL("summary text");
        }
    /* --top 2: the two slowest only */
    CU_ASSERT_PTR_NULL(strstr(text, "\n  task 4 "));
    char line[16];
    CU_ASSERT_STRING_EQUAL(summary_one_line(line, sizeof(line), "a\nb\r\nc"),
                           "a | b | c");
    free(text);
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("summary", NULL, NULL);
    if (!s || !CU_add_test(s, "fixture run", test_summary))
        return -1;
    return 0;
}
