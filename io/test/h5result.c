/* test_h5result - result files: layout (chunks, filters), data assembled
 * from boxes and fragments, attributes, atomic commit and abort, errors. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <hdf5.h>

#include "base/box.h"
#include "base/test/cunit_main.h"
#include "base/test/tmpdir.h"
#include "io/h5frag.h"
#include "io/h5result.h"

static int suite_init(void)
{
    if (tmpdir_suite_init() < 0)
        return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our own probes below */
    return 0;
}

static void test_chunk_dims(void)
{
    int64_t c[3];
    int64_t s1[2] = {100, 401};
    h5result_chunk_dims(TESS_F64, 2, s1, c);
    CU_ASSERT_EQUAL(c[0], 100); /* the whole array is < 1 MiB */
    CU_ASSERT_EQUAL(c[1], 401);
    int64_t s2[2] = {100000, 401};
    h5result_chunk_dims(TESS_F64, 2, s2, c);
    CU_ASSERT_EQUAL(c[0], 326); /* 326 rows of 3208 bytes <= 1 MiB */
    CU_ASSERT_EQUAL(c[1], 401);
    int64_t s3[3] = {4950, 401, 2};
    h5result_chunk_dims(TESS_F64, 3, s3, c);
    CU_ASSERT_EQUAL(c[0], 163);
    CU_ASSERT_EQUAL(c[1], 401);
    CU_ASSERT_EQUAL(c[2], 2);
    int64_t s4[2] = {3, 1000000}; /* a row larger than 1 MiB */
    h5result_chunk_dims(TESS_F64, 2, s4, c);
    CU_ASSERT_EQUAL(c[0], 1);
    CU_ASSERT_EQUAL(c[1], 131072);
    int64_t s5[1] = {10000000};
    h5result_chunk_dims(TESS_U8, 1, s5, c);
    CU_ASSERT_EQUAL(c[0], 1048576);
    int64_t s6[2] = {0, 5};
    h5result_chunk_dims(TESS_I32, 2, s6, c);
    CU_ASSERT_EQUAL(c[0], 1);
    CU_ASSERT_EQUAL(c[1], 5);
}

/* Open @p path and check dataset @p name: dims, chunk dims, filters. */
static void check_layout(const char *path, const char *name, int rank,
                         const int64_t *shape, int deflate_level)
{
    int64_t want[TESS_MAX_RANK];
    hsize_t dims[TESS_MAX_RANK], cdims[TESS_MAX_RANK];
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hid_t dcpl = H5Dget_create_plist(d);

    CU_ASSERT_FATAL(f >= 0 && d >= 0);
    CU_ASSERT_EQUAL(H5Sget_simple_extent_ndims(sp), rank);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    for (int i = 0; i < rank; i++)
        CU_ASSERT_EQUAL((int64_t)dims[i], shape[i]);
    CU_ASSERT_EQUAL(H5Pget_layout(dcpl), H5D_CHUNKED);
    CU_ASSERT_EQUAL(H5Pget_chunk(dcpl, TESS_MAX_RANK, cdims), rank);
    h5result_chunk_dims(TESS_F64, rank, shape, want);
    for (int i = 0; i < rank; i++)
        CU_ASSERT_EQUAL((int64_t)cdims[i], want[i]);
    if (deflate_level) {
        unsigned flags, cd[4];
        size_t ncd = 4;
        CU_ASSERT_EQUAL(H5Pget_nfilters(dcpl), 2);
        CU_ASSERT_EQUAL(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL,
                                       NULL), H5Z_FILTER_SHUFFLE);
        ncd = 4;
        CU_ASSERT_EQUAL(H5Pget_filter2(dcpl, 1, &flags, &ncd, cd, 0, NULL,
                                       NULL), H5Z_FILTER_DEFLATE);
        CU_ASSERT_EQUAL(ncd, 1);
        CU_ASSERT_EQUAL(cd[0], (unsigned)deflate_level);
    } else {
        CU_ASSERT_EQUAL(H5Pget_nfilters(dcpl), 0);
    }
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
}

static int read_all(const char *path, const char *name, hid_t mtype,
                    void *buf)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f < 0 ? -1 : H5Dopen2(f, name, H5P_DEFAULT);
    int rc = d < 0 ? -1 : (int)H5Dread(d, mtype, H5S_ALL, H5S_ALL,
                                       H5P_DEFAULT, buf);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    return rc < 0 ? -1 : 0;
}

#define R 700
#define C 401

/* Boxes written in any order assemble the array; unwritten parts read 0. */
static void test_write_boxes(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    int64_t shape[2] = {R, C};
    double *a = malloc(R * C * sizeof(*a)), *got = malloc(R * C * sizeof(*a));
    double *box = malloc(R * C * sizeof(*a));

    for (int i = 0; i < R * C; i++)
        a[i] = (i / C) * 1000.0 + (i % C);
    h5result_t *res = h5result_create(tmpdir_path(path, "boxes.h5"), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(access(path, F_OK), -1); /* only the temporary exists */
    CU_ASSERT_EQUAL(access(h5result_temp_path(res), F_OK), 0);
    CU_ASSERT_EQUAL(h5result_add_array(res, "cc_original", TESS_F64, 2, shape,
                                       4, &err), 0);
    CU_ASSERT_EQUAL(h5result_add_array(res, "/plain", TESS_F64, 2, shape, 0,
                                       &err), 0);
    /* row blocks that cut chunks, written backwards; the last 10 rows and
     * the first 3 columns of /cc_original are never written */
    for (int64_t r0 = 600; r0 >= 0; r0 -= 100) {
        int64_t start[2] = {r0, 3}, count[2] = {r0 == 600 ? 90 : 100, C - 3};
        int64_t z[2] = {0, 0};
        box_copy(8, 2, a, shape, start, box, count, z, count);
        CU_ASSERT_EQUAL(h5result_write_box(res, "cc_original", start, count,
                                           box, &err), 0);
    }
    int64_t z[2] = {0, 0};
    CU_ASSERT_EQUAL(h5result_write_box(res, "plain", z, shape, a, &err), 0);
    CU_ASSERT_EQUAL(h5result_commit(res, &err), 0);
    ASSERT_DESTROY_KEEPS_ERRNO(h5result_destroy, res);
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);

    check_layout(path, "cc_original", 2, shape, 4);
    check_layout(path, "plain", 2, shape, 0);
    CU_ASSERT_EQUAL_FATAL(read_all(path, "cc_original", H5T_NATIVE_DOUBLE,
                                   got), 0);
    int bad = 0;
    for (int i = 0; i < R * C; i++) {
        int r = i / C, c = i % C;
        double want = (r >= 690 || c < 3) ? 0.0 : a[i];
        bad += got[i] != want;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL_FATAL(read_all(path, "plain", H5T_NATIVE_DOUBLE, got), 0);
    CU_ASSERT_EQUAL(memcmp(got, a, R * C * sizeof(*a)), 0);
    free(a);
    free(got);
    free(box);
}

/* Fragments copied into the result, including a > 64 MiB one (slabs). */
static void test_copy_from_frags(void)
{
    char path[PATH_MAX], fp[PATH_MAX], run[PATH_MAX];
    tess_error_t err = {""};
    const int64_t rows = 1100, cols = 8192; /* 68.75 MiB of f64 */
    int64_t shape[2] = {rows + 20, cols};
    double *a = malloc((size_t)(rows * cols) * sizeof(*a));
    double *got = malloc((size_t)(shape[0] * cols) * sizeof(*a));

    tmpdir_path(run, "copyrun");
    for (int64_t i = 0; i < rows * cols; i++)
        a[i] = (double)i;
    h5result_t *res = h5result_create(tmpdir_path(path, "frags.h5"), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(h5result_add_array(res, "big", TESS_F64, 2, shape, 0,
                                       &err), 0);
    /* fragment 1: rows [0, 1100), fragment 2: rows [1100, 1120) of 7s */
    int64_t s1[2] = {0, 0}, c1[2] = {rows, cols};
    h5frag_path(fp, sizeof(fp), run, 1, 1);
    CU_ASSERT_EQUAL_FATAL(h5frag_write(fp, TESS_F64, 2, s1, c1, a, &err), 0);
    CU_ASSERT_EQUAL(h5result_copy_from_frag(res, "big", fp, s1, c1, &err), 0);
    int64_t s2[2] = {rows, 0}, c2[2] = {20, cols};
    for (int64_t i = 0; i < 20 * cols; i++)
        got[i] = 7.0;
    h5frag_path(fp, sizeof(fp), run, 1, 2);
    CU_ASSERT_EQUAL_FATAL(h5frag_write(fp, TESS_F64, 2, s2, c2, got, &err), 0);
    /* only a sub-box of it: rows 1105..1114, columns 100..199 */
    int64_t bs[2] = {rows + 5, 100}, bc[2] = {10, 100};
    CU_ASSERT_EQUAL(h5result_copy_from_frag(res, "big", fp, bs, bc, &err), 0);
    /* errors: the box is outside the fragment; outside the dataset */
    int64_t os[2] = {rows - 1, 0}, oc[2] = {2, 4};
    errno = 0;
    CU_ASSERT_EQUAL(h5result_copy_from_frag(res, "big", fp, os, oc, &err), -1);
    CU_ASSERT_EQUAL(errno, ERANGE);
    ASSERT_HAS(err.text, fp);
    ASSERT_HAS(err.text, "lies outside the fragment [1100:1120, 0:8192]");
    int64_t xs[2] = {rows + 19, 0}, xc[2] = {2, 1};
    errno = 0;
    CU_ASSERT_EQUAL(h5result_copy_from_frag(res, "big", fp, xs, xc, &err), -1);
    CU_ASSERT_EQUAL(errno, ERANGE);
    ASSERT_HAS(err.text, "dataset /big: box [1119:1121, 0:1] lies outside the "
                         "shape 1120x8192");
    CU_ASSERT_EQUAL(h5result_commit(res, &err), 0);
    h5result_destroy(res);

    CU_ASSERT_EQUAL_FATAL(read_all(path, "big", H5T_NATIVE_DOUBLE, got), 0);
    CU_ASSERT_EQUAL(memcmp(got, a, (size_t)(rows * cols) * sizeof(*a)), 0);
    int bad = 0;
    for (int64_t r = rows; r < rows + 20; r++)
        for (int64_t c = 0; c < cols; c++) {
            bool in = r >= rows + 5 && r < rows + 15 && c >= 100 && c < 200;
            bad += got[r * cols + c] != (in ? 7.0 : 0.0);
        }
    CU_ASSERT_EQUAL(bad, 0);
    free(a);
    free(got);
}

static char *read_string_attr(hid_t f, const char *name)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    char *v = NULL, *copy;
    CU_ASSERT_EQUAL(H5Tget_class(t), H5T_STRING);
    CU_ASSERT_TRUE(H5Tis_variable_str(t) > 0);
    CU_ASSERT_EQUAL(H5Tget_cset(t), H5T_CSET_UTF8);
    H5Aread(a, t, &v);
    copy = strdup(v ? v : "");
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
    return copy;
}

static void test_attributes(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    h5result_t *res = h5result_create(tmpdir_path(path, "attrs.h5"), &err);

    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(h5result_set_provenance(res, "cc_surrogates.xml",
                                            "num_frags=4\nmaxlag=200", &err), 0);
    CU_ASSERT_EQUAL(h5result_set_attr_string(res, "note", "first", &err), 0);
    CU_ASSERT_EQUAL(h5result_set_attr_string(res, "note", "Zürich", &err), 0);
    CU_ASSERT_EQUAL(h5result_set_attr_int(res, "num_ccs", 4950, &err), 0);
    CU_ASSERT_EQUAL(h5result_set_attr_int(res, "big", INT64_MIN, &err), 0);
    CU_ASSERT_EQUAL(h5result_set_attr_double(res, "alpha", 0.05, &err), 0);
    CU_ASSERT_EQUAL(h5result_commit(res, &err), 0);
    h5result_destroy(res);

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    char *s = read_string_attr(f, "tessera_version");
    CU_ASSERT_STRING_EQUAL(s, PACKAGE_VERSION);
    free(s);
    s = read_string_attr(f, "workflow");
    CU_ASSERT_STRING_EQUAL(s, "cc_surrogates.xml");
    free(s);
    s = read_string_attr(f, "parameters");
    CU_ASSERT_STRING_EQUAL(s, "num_frags=4\nmaxlag=200");
    free(s);
    s = read_string_attr(f, "note");
    CU_ASSERT_STRING_EQUAL(s, "Zürich");
    free(s);
    s = read_string_attr(f, "created"); /* 2024-05-01T12:00:00Z */
    CU_ASSERT_EQUAL(strlen(s), 20);
    CU_ASSERT_TRUE(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':'
                   && s[19] == 'Z');
    free(s);
    int64_t i = 0;
    int fv = 0;
    double d = 0;
    hid_t a = H5Aopen(f, "num_ccs", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT64, &i);
    H5Aclose(a);
    CU_ASSERT_EQUAL(i, 4950);
    a = H5Aopen(f, "big", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT64, &i);
    H5Aclose(a);
    CU_ASSERT_EQUAL(i, INT64_MIN);
    a = H5Aopen(f, "tess_format_version", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT, &fv);
    H5Aclose(a);
    CU_ASSERT_EQUAL(fv, TESS_FORMAT_VERSION);
    a = H5Aopen(f, "alpha", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, &d);
    H5Aclose(a);
    CU_ASSERT_EQUAL(d, 0.05);
    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    CU_ASSERT_EQUAL(H5Aget_num_attrs(root), 9); /* "note" was replaced */
    H5Gclose(root);
    H5Fclose(f);
}

static int file_equals(const char *path, const char *content)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, content) == 0;
}

/* An existing file at the path survives abort and destroy-without-commit
 * untouched; commit replaces it. */
static void test_abort_keeps_old_file(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    int64_t shape[1] = {1000};
    double v[1000] = {0};
    FILE *f = fopen(tmpdir_path(path, "keep.h5"), "w");
    fputs("previous results", f);
    fclose(f);

    h5result_t *res = h5result_create(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(h5result_add_array(res, "x", TESS_F64, 1, shape, 1, &err),
                    0);
    CU_ASSERT_EQUAL(h5result_write_box(res, "x", (int64_t[]){0}, shape, v,
                                       &err), 0);
    h5result_abort(res);
    h5result_abort(res); /* idempotent */
    errno = 0;
    CU_ASSERT_EQUAL(h5result_write_box(res, "x", (int64_t[]){0}, shape, v,
                                       &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "already committed or aborted");
    h5result_destroy(res);
    CU_ASSERT_TRUE(file_equals(path, "previous results"));
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);

    res = h5result_create(path, &err); /* destroyed without commit */
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(h5result_set_attr_int(res, "x", 1, &err), 0);
    errno = 1234;
    h5result_destroy(res);
    CU_ASSERT_EQUAL(errno, 1234);
    CU_ASSERT_TRUE(file_equals(path, "previous results"));
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);
    h5result_destroy(NULL);

    res = h5result_create(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(h5result_commit(res, &err), 0);
    errno = 0;
    CU_ASSERT_EQUAL(h5result_commit(res, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    h5result_destroy(res);
    CU_ASSERT_FALSE(file_equals(path, "previous results"));
    CU_ASSERT_TRUE(H5Fis_hdf5(path) > 0);
}

static void test_errors(void)
{
    char path[PATH_MAX], fp[PATH_MAX];
    tess_error_t err = {""};
    int64_t shape[2] = {10, 5}, z[2] = {0, 0}, c[2] = {11, 5};
    double buf[100] = {0};

    errno = 0;
    CU_ASSERT_PTR_NULL(h5result_create(tmpdir_path(path, "nodir/r.h5"), &err));
    CU_ASSERT_EQUAL(errno, ENOENT);
    ASSERT_HAS(err.text, path);
    ASSERT_HAS(err.text, "No such file or directory");

    h5result_t *res = h5result_create(tmpdir_path(path, "errors.h5"), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(h5result_add_array(res, "a", TESS_F64, 2, shape, 0, &err),
                    0);
    errno = 0;
    CU_ASSERT_EQUAL(h5result_add_array(res, "a", TESS_F64, 2, shape, 0, &err),
                    -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    ASSERT_HAS(err.text, "dataset /a already exists");
    errno = 0;
    CU_ASSERT_EQUAL(h5result_add_array(res, "b", TESS_F64, 2, shape, 10, &err),
                    -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "deflate level 10");
    errno = 0;
    CU_ASSERT_EQUAL(h5result_write_box(res, "nope", z, shape, buf, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    ASSERT_HAS(err.text, "no dataset /nope");
    errno = 0;
    CU_ASSERT_EQUAL(h5result_write_box(res, "a", z, c, buf, &err), -1);
    CU_ASSERT_EQUAL(errno, ERANGE);
    ASSERT_HAS(err.text, path);
    ASSERT_HAS(err.text, "dataset /a: box [0:11, 0:5] lies outside the shape "
                         "10x5");
    /* a fragment of another type */
    h5frag_path(fp, sizeof(fp), tmpdir_suite, 5, 5);
    int32_t ibuf[50] = {0};
    CU_ASSERT_EQUAL_FATAL(h5frag_write(fp, TESS_I32, 2, z, shape, ibuf, &err),
                          0);
    errno = 0;
    CU_ASSERT_EQUAL(h5result_copy_from_frag(res, "a", fp, z, shape, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, fp);
    ASSERT_HAS(err.text, "element type is i32, expected f64");
    errno = 0;
    CU_ASSERT_EQUAL(h5result_copy_from_frag(res, "a", "/no/such.h5", z, shape,
                                            &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    ASSERT_HAS(err.text, "/no/such.h5");

    /* groups in names; empty arrays */
    int64_t e[2] = {0, 5};
    CU_ASSERT_EQUAL(h5result_add_array(res, "grp/sub/c", TESS_I32, 2, shape, 2,
                                       &err), 0);
    CU_ASSERT_EQUAL(h5result_write_box(res, "/grp/sub/c", z, shape, ibuf,
                                       &err), 0);
    CU_ASSERT_EQUAL(h5result_add_array(res, "empty", TESS_U8, 2, e, 3, &err),
                    0);
    CU_ASSERT_EQUAL(h5result_write_box(res, "empty", z, e, NULL, &err), 0);
    CU_ASSERT_EQUAL(h5result_commit(res, &err), 0);
    h5result_destroy(res);
    int32_t back[50] = {1};
    CU_ASSERT_EQUAL(read_all(path, "grp/sub/c", H5T_NATIVE_INT32, back), 0);
    CU_ASSERT_EQUAL(memcmp(back, ibuf, sizeof(ibuf)), 0);
}

static const cunit_test_t tests[] = {
    {"chunk shapes", test_chunk_dims},
    {"boxes assemble a chunked, deflated array", test_write_boxes},
    {"copy from fragments, in slabs", test_copy_from_frags},
    {"attributes and provenance", test_attributes},
    {"abort keeps an existing file", test_abort_keeps_old_file},
    {"errors name file and dataset", test_errors},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("h5result", suite_init, tmpdir_suite_clean, tests);
}
