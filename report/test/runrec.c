/* test_runrec: a run's record loaded (lanes, kernels, origin, critical
 * path, levels, inferred slots, damaged and missing files), and its
 * helpers strtab and fmt. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/fmt.h"
#include "report/runrec.h"
#include "report/strtab.h"
#include "base/test/tmpdir.h"
#include "report/test/fixture.h"

#include "base/test/cunit_main.h"

static void test_load(void)
{
    tess_error_t err;
    char *dir = fixture_run();
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    CU_ASSERT_TRUE(rr->has_status && rr->has_trace && rr->has_edges);
    CU_ASSERT_EQUAL(rr->nrow, 6);
    CU_ASSERT_EQUAL(rr->nedge, 4);
    CU_ASSERT_EQUAL(rr->max_task, 5);
    CU_ASSERT_EQUAL(rr->t0, 1000);
    CU_ASSERT_EQUAL(rr->t1, 40000);
    CU_ASSERT_FALSE(rr->slots_inferred);
    CU_ASSERT_TRUE(rr->has_submit);
    CU_ASSERT_EQUAL_FATAL(rr->nlane, 3);
    CU_ASSERT_EQUAL(rr->lane[0].worker, 1);
    CU_ASSERT_EQUAL(rr->lane[1].slot, 1);
    CU_ASSERT_EQUAL(rr->lane[2].worker, 2);
    CU_ASSERT_EQUAL(rr->lane[2].busy_ns, 14000);
    CU_ASSERT_EQUAL(rr->lane[2].ntasks, 3);
    /* kernels by total time: sum 26000, fill 18000, out (never ran) 0 */
    CU_ASSERT_EQUAL_FATAL(rr->nkernel, 3);
    CU_ASSERT_STRING_EQUAL(strtab_get(rr->str, rr->kernel[0].name), "lib:sum");
    CU_ASSERT_EQUAL(rr->kernel[0].total_ns, 26000);
    CU_ASSERT_EQUAL(rr->kernel[1].count, 3);
    CU_ASSERT_EQUAL(rr->kernel[2].count, 0);
    CU_ASSERT_EQUAL(rr->row[0].state, RS_FAILED);
    CU_ASSERT_STRING_EQUAL(rr->row[0].message,
                           "bad <value>, \"x\" & more\nsecond line");
    CU_ASSERT_EQUAL(rr->row[5].lane, -1);
    CU_ASSERT_EQUAL(rr->row[5].state, RS_CANCELLED);
    CU_ASSERT_STRING_EQUAL(strtab_get(rr->str, rr->edge[1].data), "b, the sum");

    uint64_t len;
    size_t n;
    bool *path;
    CU_ASSERT_EQUAL_FATAL(runrec_critical_path(rr, &len, &n, &path), 0);
    CU_ASSERT_EQUAL(len, 36000);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_TRUE(path[1] && path[2] && path[4]);
    CU_ASSERT_FALSE(path[3] || path[5]);
    free(path);
    uint32_t *level, nlevels;
    CU_ASSERT_EQUAL_FATAL(runrec_levels(rr, &level, &nlevels), 0);
    CU_ASSERT_EQUAL(nlevels, 4);
    CU_ASSERT_EQUAL(level[1], 0);
    CU_ASSERT_EQUAL(level[3], 0);
    CU_ASSERT_EQUAL(level[2], 1);
    CU_ASSERT_EQUAL(level[4], 2);
    CU_ASSERT_EQUAL(level[5], 3);
    free(level);
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

/* The first trace format: no slots (inferred so that overlapping tasks
 * never share a lane), no edges, no status; a torn last row. */
static void test_first_format(void)
{
    tess_error_t err;
    char *dir = tmpdir_create();
    fixture_put(dir, "trace.csv",
                "task,kernel,rank,node,arch,start_ns,end_ns,ok\n"
                "1,m:a,1,vm,default,100,200,1\n"
                "2,m:a,1,vm,default,150,250,1\n"
                "3,m:b,1,vm,default,210,300,0\n"
                "4,m:b,2,vm,default,100,120,1\n"
                "5,m:b,2,vm,def");
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    CU_ASSERT_FALSE(rr->has_status || rr->has_edges);
    CU_ASSERT_TRUE(rr->torn);
    CU_ASSERT_TRUE(rr->slots_inferred);
    CU_ASSERT_EQUAL(rr->nrow, 4);
    CU_ASSERT_EQUAL(rr->row[0].slot, 0);
    CU_ASSERT_EQUAL(rr->row[1].slot, 1);
    CU_ASSERT_EQUAL(rr->row[2].slot, 0);
    CU_ASSERT_EQUAL(rr->nlane, 3);
    CU_ASSERT_EQUAL(rr->t0, 100);
    CU_ASSERT_EQUAL(rr->row[2].state, RS_FAILED);
    uint64_t len;
    size_t n;
    errno = 0;
    CU_ASSERT_EQUAL(runrec_critical_path(rr, &len, &n, NULL), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

static void test_not_a_run(void)
{
    tess_error_t err;
    char *dir = tmpdir_create();
    errno = 0;
    CU_ASSERT_PTR_NULL(runrec_load(dir, &err));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "not a run directory"));
    fixture_put(dir, "status.txt", "workflow: x\n");
    CU_ASSERT_PTR_NULL(runrec_load(dir, &err));
    CU_ASSERT_EQUAL(errno, EINVAL);
    fixture_put(dir, "status.txt", "state: running\n");
    fixture_put(dir, "trace.csv", ""); /* created, header not yet written */
    fixture_put(dir, "edges.csv", "from,to\n1,2\n1,x\n3\n");
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    CU_ASSERT_EQUAL(rr->nrow, 0);
    CU_ASSERT_EQUAL(rr->nedge, 1);
    CU_ASSERT_EQUAL(rr->damaged, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(rr->damaged_why, "edges.csv:3:"));
    runrec_destroy(rr);
    char file[4200];
    snprintf(file, sizeof(file), "%s/status.txt", dir);
    CU_ASSERT_PTR_NULL(runrec_load(file, &err));
    CU_ASSERT_EQUAL(errno, ENOTDIR);
    tmpdir_remove(dir);
    free(dir);
}

static void test_strtab_fmt(void)
{
    strtab_t *t = strtab_create();
    char name[32], buf[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "k%d", i % 1000);
        CU_ASSERT_EQUAL(strtab_intern(t, name), i % 1000);
    }
    CU_ASSERT_EQUAL(strtab_count(t), 1000);
    CU_ASSERT_STRING_EQUAL(strtab_get(t, 999), "k999");
    CU_ASSERT_STRING_EQUAL(strtab_get(t, 1000), "");
    strtab_destroy(t);
    CU_ASSERT_STRING_EQUAL(fmt_duration(buf, sizeof(buf), 36e-6), "36 us");
    CU_ASSERT_STRING_EQUAL(fmt_duration(buf, sizeof(buf), 0.0123), "12.3 ms");
    CU_ASSERT_STRING_EQUAL(fmt_duration(buf, sizeof(buf), 0.5), "500 ms");
    CU_ASSERT_STRING_EQUAL(fmt_duration(buf, sizeof(buf), 4.567), "4.57 s");
    CU_ASSERT_STRING_EQUAL(fmt_duration(buf, sizeof(buf), 185), "3m05s");
    CU_ASSERT_STRING_EQUAL(fmt_duration(buf, sizeof(buf), 7620), "2h07m");
    CU_ASSERT_STRING_EQUAL(fmt_duration(buf, sizeof(buf), -1), "-");
    CU_ASSERT_STRING_EQUAL(fmt_elapsed(buf, sizeof(buf), 0), "under 1 s");
    CU_ASSERT_STRING_EQUAL(fmt_elapsed(buf, sizeof(buf), 1.84), "1.8 s");
    CU_ASSERT_STRING_EQUAL(fmt_elapsed(buf, sizeof(buf), 42), "42 s");
    CU_ASSERT_STRING_EQUAL(fmt_elapsed(buf, sizeof(buf), 185), "3m05s");
    CU_ASSERT_STRING_EQUAL(fmt_bytes(buf, sizeof(buf), 512), "512 B");
    CU_ASSERT_STRING_EQUAL(fmt_bytes(buf, sizeof(buf), 1500), "1.50 kB");
    CU_ASSERT_STRING_EQUAL(fmt_bytes(buf, sizeof(buf), 95300000), "95.3 MB");
    CU_ASSERT_STRING_EQUAL(fmt_percent(buf, sizeof(buf), 1, 3), "33.3%");
    CU_ASSERT_STRING_EQUAL(fmt_percent(buf, sizeof(buf), 1, 0), "-");
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("runrec", NULL, NULL);
    if (!s || !CU_add_test(s, "load a run", test_load) ||
        !CU_add_test(s, "first trace format", test_first_format) ||
        !CU_add_test(s, "not a run, damaged files", test_not_a_run) ||
        !CU_add_test(s, "strtab and fmt", test_strtab_fmt))
        return -1;
    return 0;
}
