/* test_dagdot: the fixture's graph (a node per task, kernels coloured,
 * failures and cancellations marked, the critical path bold) and a large
 * graph summarised into boxes. The integration tests run dot on them. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/dagdot.h"
#include "report/runrec.h"
#include "base/test/tmpdir.h"
#include "report/test/fixture.h"

#include "base/test/cunit_main.h"

static void test_fixture(void)
{
    tess_error_t err;
    char *dir = fixture_run(), path[4200];
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    snprintf(path, sizeof(path), "%s/g.dot", dir);
    CU_ASSERT_EQUAL(dagdot_write(rr, path, NULL, &err), 5);
    char *dot = fixture_read(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
    CU_ASSERT_EQUAL(fixture_count(dot, " -> "), 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "t1 -> t2 [label=\"a v1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "t2 -> t4 [label=\"b, the sum v1\", "
                                       "tooltip=\"b, the sum v1\", penwidth=2.5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "t5 [label=\"5\", fillcolor=\"#ffffff\", "
                                       "style=\"filled,dashed\""));
    /* task 3 failed once, then ran: not marked failed */
    CU_ASSERT_PTR_NULL(strstr(dot, "t3 [label=\"3\", fillcolor=\"#59a14f\", "
                                   "fontcolor=\"#ffffff\", color="));
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "legend [shape=plain"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "lib:sum (2)"));
    free(dot);
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

static void test_summarised(void)
{
    tess_error_t err;
    char *dir = tmpdir_create(), path[4200];
    /* a 2-wide, 500-deep stencil of two kernels: 1000 tasks */
    snprintf(path, sizeof(path), "%s/edges.csv", dir);
    FILE *f = fopen(path, "w");
    fputs("from,to,data,version\n", f);
    for (int s = 1; s < 500; s++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                fprintf(f, "%d,%d,x%d,%d\n", 2 * (s - 1) + i + 1,
                        2 * s + j + 1, i, s);
    fclose(f);
    snprintf(path, sizeof(path), "%s/trace.csv", dir);
    f = fopen(path, "w");
    fputs("task,kernel,worker,slot,start_ns,end_ns,state\n", f);
    for (int t = 1; t <= 1000; t++)
        fprintf(f, "%d,m:%s,1,%d,%d,%d,%s\n", t, t % 2 ? "odd" : "even",
                t % 2, 10 * t, 10 * t + 9, t == 500 ? "failed" : "ok");
    fclose(f);
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    snprintf(path, sizeof(path), "%s/g.dot", dir);
    dagdot_opts_t o = {.max_tasks = 200};
    long boxes = dagdot_write(rr, path, &o, &err);
    CU_ASSERT(boxes > 2 && boxes <= 64);
    char *dot = fixture_read(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "1000 tasks and 1996 dependences "
                                       "summarised as"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "a band of dependence levels"));
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "1 failed"));
    CU_ASSERT_EQUAL(fixture_count(dot, "[label=\"odd x "), (size_t)boxes / 2);
    free(dot);
    runrec_destroy(rr);
    /* no edges.csv: nothing to draw */
    snprintf(path, sizeof(path), "%s/edges.csv", dir);
    remove(path);
    rr = runrec_load(dir, &err);
    errno = 0;
    snprintf(path, sizeof(path), "%s/g.dot", dir);
    CU_ASSERT_EQUAL(dagdot_write(rr, path, &o, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "no edges.csv"));
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("dagdot", NULL, NULL);
    if (!s || !CU_add_test(s, "fixture run", test_fixture) ||
        !CU_add_test(s, "summarised", test_summarised))
        return -1;
    return 0;
}
