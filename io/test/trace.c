/* test_trace: trace.csv read by column name (current and first format,
 * torn and damaged rows) and written as trace.h5. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/h5trace.h"
#include "base/test/tmpdir.h"
#include "io/trace.h"

#include "base/test/cunit_main.h"

static char *dir;
static char path[512];

static int setup(void)
{
    if (!(dir = tmpdir_create()))
        return -1;
    snprintf(path, sizeof(path), "%s/trace.csv", dir);
    return 0;
}

static int teardown(void)
{
    tmpdir_remove(dir);
    free(dir);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static const trace_row_t sample[] = {
    {1, "fill", "lib:fill", 1, "n1", 0, "default", 100, 110, 120, 220, 0,
     800, 0, 1, "ok", ""},
    {2, "sum", "lib:sum_mic", 2, "n2", 3, "mic", 101, 230, 240, 300, 800, 8,
     1, 1, "failed", "bad input, \"x\" < 0\nsecond line"},
    {2, "sum", "lib:sum_mic", 1, "n1", 1, "mic", 101, 310, 320, 390, 800, 8,
     0, 2, "ok", ""},
    {3, "out", "lib:out", -1, "", -1, "", 102, 0, 0, 0, 0, 0, 0, 1,
     "cancelled", "input from task 2 failed"},
};
#define NSAMPLE (sizeof(sample) / sizeof(sample[0]))

static void write_sample(void)
{
    FILE *f = fopen(path, "w");
    fputs(TRACE_CSV_HEADER "\n", f);
    for (size_t i = 0; i < NSAMPLE; i++)
        CU_ASSERT_EQUAL(trace_write_row(f, &sample[i]), 0);
    fclose(f);
}

static void test_roundtrip(void)
{
    tess_error_t err;
    trace_row_t row;
    write_sample();
    trace_reader_t *r = trace_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_TRUE(trace_has_column(r, "slot"));
    for (size_t i = 0; i < NSAMPLE; i++) {
        const trace_row_t *w = &sample[i];
        CU_ASSERT_EQUAL_FATAL(trace_next(r, &row), 1);
        CU_ASSERT_EQUAL(row.task, w->task);
        CU_ASSERT_STRING_EQUAL(row.name, w->name);
        CU_ASSERT_STRING_EQUAL(row.kernel, w->kernel);
        CU_ASSERT_EQUAL(row.worker, w->worker);
        CU_ASSERT_STRING_EQUAL(row.node, w->node);
        CU_ASSERT_EQUAL(row.slot, w->slot);
        CU_ASSERT_STRING_EQUAL(row.arch, w->arch);
        CU_ASSERT_EQUAL(row.submit_ns, w->submit_ns);
        CU_ASSERT_EQUAL(row.ready_ns, w->ready_ns);
        CU_ASSERT_EQUAL(row.start_ns, w->start_ns);
        CU_ASSERT_EQUAL(row.end_ns, w->end_ns);
        CU_ASSERT_EQUAL(row.bytes_in, w->bytes_in);
        CU_ASSERT_EQUAL(row.bytes_out, w->bytes_out);
        CU_ASSERT_EQUAL(row.cache_hits, w->cache_hits);
        CU_ASSERT_EQUAL(row.attempt, w->attempt);
        CU_ASSERT_STRING_EQUAL(row.state, w->state);
        CU_ASSERT_STRING_EQUAL(row.message, w->message);
    }
    CU_ASSERT_EQUAL(trace_next(r, &row), 0);
    CU_ASSERT_FALSE(trace_torn(r));
    CU_ASSERT_EQUAL(trace_damaged(r, NULL), 0);
    trace_close(r);
}

static void test_first_format(void)
{
    tess_error_t err;
    trace_row_t row;
    write_file("task,kernel,rank,node,arch,start_ns,end_ns,ok\n"
               "1,neurons_kernels:cc,1,vm,default,5,9,1\n"
               "2,neurons_kernels:gather,2,vm,default,10,12,0\n");
    trace_reader_t *r = trace_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_FALSE(trace_has_column(r, "slot"));
    CU_ASSERT_EQUAL(trace_next(r, &row), 1);
    CU_ASSERT_STRING_EQUAL(row.name, "cc");
    CU_ASSERT_EQUAL(row.worker, 1);
    CU_ASSERT_EQUAL(row.slot, -1);
    CU_ASSERT_EQUAL(row.attempt, 1);
    CU_ASSERT_STRING_EQUAL(row.state, "ok");
    CU_ASSERT_EQUAL(row.start_ns, 5);
    CU_ASSERT_EQUAL(row.submit_ns, 0);
    CU_ASSERT_EQUAL(trace_next(r, &row), 1);
    CU_ASSERT_STRING_EQUAL(row.state, "failed");
    CU_ASSERT_EQUAL(trace_next(r, &row), 0);
    trace_close(r);
}

static void test_damaged_torn(void)
{
    tess_error_t err;
    trace_row_t row;
    const char *why;
    /* extra columns are ignored; a short row and a bad number are skipped;
     * the torn last row is not returned */
    write_file("task,state,end_ns,future_column\n"
               "1,ok,5,x\n"
               "2,ok\n"
               "3,ok,-5,x\n"
               "4,ok,7,y\n"
               "5,ok,\"9");
    trace_reader_t *r = trace_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(trace_next(r, &row), 1);
    CU_ASSERT_EQUAL(row.task, 1);
    CU_ASSERT_EQUAL(row.worker, -1);
    CU_ASSERT_EQUAL(trace_next(r, &row), 1);
    CU_ASSERT_EQUAL(row.task, 4);
    CU_ASSERT_EQUAL(row.end_ns, 7);
    CU_ASSERT_EQUAL(trace_next(r, &row), 0);
    CU_ASSERT_TRUE(trace_torn(r));
    CU_ASSERT_EQUAL(trace_damaged(r, &why), 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(why);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "trace.csv:3: a row with another"));
    trace_close(r);

    write_file("");
    errno = 0;
    CU_ASSERT_PTR_NULL(trace_open(path, &err));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "no header line"));
    write_file("a,b\n1,2\n");
    CU_ASSERT_PTR_NULL(trace_open(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "not a task trace"));
    unlink(path);
    errno = 0;
    CU_ASSERT_PTR_NULL(trace_open(path, &err));
    CU_ASSERT_EQUAL(errno, ENOENT);
}

/* trace.h5 holds the rows; its strings are UTF-8 (bad bytes replaced). */
static void test_h5trace(void)
{
    tess_error_t err;
    char h5[600];
    snprintf(h5, sizeof(h5), "%s/trace.h5", dir);
    unlink(h5);
    unlink(path);
    errno = 0;
    CU_ASSERT_EQUAL(h5trace_stale(dir), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(h5trace_write(dir, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);

    /* 5000 rows: more than one block */
    FILE *f = fopen(path, "w");
    fputs(TRACE_CSV_HEADER "\n", f);
    for (int i = 0; i < 5000; i++) {
        trace_row_t row = sample[i % NSAMPLE];
        row.task = (uint64_t)i + 1;
        if (i == 4999)
            row.message = "bad \xFF byte";
        trace_write_row(f, &row);
    }
    fclose(f);
    CU_ASSERT_EQUAL(h5trace_stale(dir), 1);
    CU_ASSERT_EQUAL_FATAL(h5trace_write(dir, &err), 0);
    CU_ASSERT_EQUAL(h5trace_stale(dir), 0);
    CU_ASSERT_EQUAL(tmpdir_count(dir, ".tmp."), 0);

    hid_t fid = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(fid >= 0);
    hid_t did = H5Dopen2(fid, "trace", H5P_DEFAULT);
    hid_t space = H5Dget_space(did);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, NULL);
    CU_ASSERT_EQUAL(n, 5000);
    /* read two fields back: task and message */
    struct { uint64_t task; char *message; } *rows = calloc(n, sizeof(*rows));
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    H5Tset_cset(str, H5T_CSET_UTF8);
    hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(*rows));
    H5Tinsert(mt, "task", 0, H5T_NATIVE_UINT64);
    H5Tinsert(mt, "message", sizeof(uint64_t), str);
    CU_ASSERT(H5Dread(did, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0);
    CU_ASSERT_EQUAL(rows[4998].task, 4999);
    CU_ASSERT_STRING_EQUAL(rows[1].message, sample[1].message);
    CU_ASSERT_STRING_EQUAL(rows[4999].message, "bad \xEF\xBF\xBD byte");
    H5Dvlen_reclaim(mt, space, H5P_DEFAULT, rows);
    free(rows);
    H5Tclose(mt);
    H5Tclose(str);
    H5Sclose(space);
    H5Dclose(did);
    H5Fclose(fid);

    /* an appended row makes it stale again */
    f = fopen(path, "a");
    trace_write_row(f, &sample[0]);
    fclose(f);
    struct timespec later[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    utimensat(AT_FDCWD, path, later, 0);
    CU_ASSERT_EQUAL(h5trace_stale(dir), 1);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("trace", setup, teardown);
    if (!s || !CU_add_test(s, "write and read back", test_roundtrip) ||
        !CU_add_test(s, "first format", test_first_format) ||
        !CU_add_test(s, "damaged and torn rows", test_damaged_torn) ||
        !CU_add_test(s, "trace.h5", test_h5trace))
        return -1;
    return 0;
}
