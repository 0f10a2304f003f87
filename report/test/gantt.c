/* test_gantt: one bar per attempt that ran, details in titles, text
 * escaped; beyond max_bars, thin bars merge and the chart says so. The
 * integration tests parse the SVG with xmllint. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/gantt.h"
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
    snprintf(path, sizeof(path), "%s/g.svg", dir);
    CU_ASSERT_EQUAL(gantt_write(rr, path, NULL, &err), 5);
    char *svg = fixture_read(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_EQUAL(fixture_count(svg, "<rect class=\"task\""), 5);
    CU_ASSERT_EQUAL(fixture_count(svg, "<rect class=\"idle\""), 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "bad &lt;value&gt;, &quot;x&quot; "
                                       "&amp; more\nsecond line"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "task 2: sum\nkernel lib:sum\nworker 1 "
                                       "(n1, default) slot 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "on the critical path"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">worker 2 <tspan"));
    CU_ASSERT_PTR_NULL(strstr(svg, "merged"));
    free(svg);
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

static void test_merge(void)
{
    tess_error_t err;
    char *dir = tmpdir_create(), path[4200];
    size_t n = 3000;
    snprintf(path, sizeof(path), "%s/trace.csv", dir);
    FILE *f = fopen(path, "w");
    fputs("task,kernel,worker,slot,start_ns,end_ns,state\n", f);
    for (size_t i = 0; i < n; i++) /* 1 us tasks, back to back */
        fprintf(f, "%zu,m:k%zu,1,0,%zu,%zu,ok\n", i + 1, i / 1000,
                1000 + 1000 * i, 2000 + 1000 * i);
    fclose(f);
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    snprintf(path, sizeof(path), "%s/g.svg", dir);
    gantt_opts_t o = {.max_bars = 100};
    long bars = gantt_write(rr, path, &o, &err);
    /* 3 ms over about 1000 px: 3 tasks a pixel, kernels change twice */
    CU_ASSERT(bars > 100 && bars < 2000);
    char *svg = fixture_read(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "3000 attempts drawn as"));
    CU_ASSERT_EQUAL(fixture_count(svg, "<rect class=\"task") , (size_t)bars);
    free(svg);
    o.max_bars = 0; /* default: every task a bar */
    CU_ASSERT_EQUAL(gantt_write(rr, path, &o, &err), 3000);
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("gantt", NULL, NULL);
    if (!s || !CU_add_test(s, "fixture run", test_fixture) ||
        !CU_add_test(s, "thin bars merged", test_merge))
        return -1;
    return 0;
}
