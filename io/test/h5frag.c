/* test_h5frag - fragment files: paths, round trips, sub-boxes, errors,
 * atomicity under concurrent writers and after simulated crashes. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
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

static const tess_type_t all_types[] = {TESS_U8, TESS_I32, TESS_I64,
                                        TESS_F32, TESS_F64};

/* Distinct values of every type for element i of pattern @p seed. */
static void fill(tess_type_t type, void *buf, int64_t n, int seed)
{
    for (int64_t i = 0; i < n; i++) {
        switch (type) {
        case TESS_U8: ((uint8_t *)buf)[i] = (uint8_t)(i * 7 + seed); break;
        case TESS_I32: ((int32_t *)buf)[i] = (int32_t)(i * 3 - seed); break;
        case TESS_I64:
            ((int64_t *)buf)[i] = i * 1000003 + ((int64_t)seed << 40);
            break;
        case TESS_F32: ((float *)buf)[i] = (float)i * 0.5f + (float)seed; break;
        case TESS_F64: ((double *)buf)[i] = (double)i * 0.25 - seed * 1e6; break;
        }
    }
}

/* ------------------------------------------------------------------ */

static void test_path(void)
{
    char buf[64];
    CU_ASSERT_EQUAL(h5frag_path(buf, sizeof(buf), "run", 42, 3), 0);
    CU_ASSERT_STRING_EQUAL(buf, "run/frags/d42/v3.h5");
    CU_ASSERT_EQUAL(h5frag_path(buf, sizeof(buf), "/scratch/r1//", 0, 0), 0);
    CU_ASSERT_STRING_EQUAL(buf, "/scratch/r1/frags/d0/v0.h5");
    CU_ASSERT_EQUAL(h5frag_path(buf, sizeof(buf), "/", UINT64_MAX, UINT32_MAX),
                    0);
    CU_ASSERT_STRING_EQUAL(buf, "/frags/d18446744073709551615/v4294967295.h5");
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_path(buf, 19, "run", 42, 3), -1);
    CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
    CU_ASSERT_EQUAL(h5frag_path(buf, 20, "run", 42, 3), 0);
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_path(buf, sizeof(buf), "", 1, 1), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
}

/* Every type in 1..4 dimensions: write, describe, read back whole. */
static void test_round_trip(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};

    for (size_t t = 0; t < sizeof(all_types) / sizeof(all_types[0]); t++) {
        tess_type_t type = all_types[t];
        size_t es = tess_type_size(type);
        for (int rank = 1; rank <= 4; rank++) {
            int64_t start[4], count[4], z[4] = {0};
            for (int d = 0; d < rank; d++) {
                count[d] = 3 + d + rank;
                start[d] = 10 * d + rank;
            }
            int64_t n = box_numel(rank, count);
            void *src = malloc((size_t)n * es), *dst = malloc((size_t)n * es);
            fill(type, src, n, rank + (int)t);
            memset(dst, 0xA5, (size_t)n * es);
            h5frag_path(path, sizeof(path), tmpdir_suite, 100 + t, (uint32_t)rank);
            CU_ASSERT_EQUAL_FATAL(h5frag_write(path, type, rank, start, count,
                                               src, &err), 0);
            tess_type_t it = 0;
            int ir = 0;
            int64_t is[TESS_MAX_RANK], ic[TESS_MAX_RANK];
            CU_ASSERT_EQUAL(h5frag_info(path, &it, &ir, is, ic, &err), 0);
            CU_ASSERT_EQUAL(it, type);
            CU_ASSERT_EQUAL(ir, rank);
            CU_ASSERT_EQUAL(memcmp(is, start, (size_t)rank * 8), 0);
            CU_ASSERT_EQUAL(memcmp(ic, count, (size_t)rank * 8), 0);
            CU_ASSERT_EQUAL(h5frag_read(path, type, rank, start, count, dst,
                                        count, z, &err), 0);
            CU_ASSERT_EQUAL(memcmp(src, dst, (size_t)n * es), 0);
            free(src);
            free(dst);
        }
    }
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);
}

/* A sub-box in global coordinates, into an offset of a larger buffer;
 * elements outside the destination box stay untouched. */
static void test_sub_box(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    int64_t fstart[3] = {10, 20, 30}, fcount[3] = {4, 5, 6};
    int64_t bstart[3] = {11, 21, 32}, bcount[3] = {2, 3, 3};
    int64_t dshape[3] = {5, 6, 7}, dstart[3] = {1, 2, 3};
    double src[4 * 5 * 6], dst[5 * 6 * 7], want[5 * 6 * 7];

    fill(TESS_F64, src, 4 * 5 * 6, 9);
    tmpdir_path(path, "sub/v1.h5");
    CU_ASSERT_EQUAL_FATAL(h5frag_write(path, TESS_F64, 3, fstart, fcount, src,
                                       &err), 0);
    for (int i = 0; i < 5 * 6 * 7; i++)
        dst[i] = want[i] = -1.0;
    int64_t off[3] = {1, 1, 2}; /* bstart - fstart */
    CU_ASSERT_EQUAL_FATAL(box_copy(8, 3, src, fcount, off, want, dshape,
                                   dstart, bcount), 0);
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_F64, 3, bstart, bcount, dst,
                                dshape, dstart, &err), 0);
    CU_ASSERT_EQUAL(memcmp(dst, want, sizeof(dst)), 0);
    CU_ASSERT_EQUAL(dst[0], -1.0);
    CU_ASSERT_EQUAL(dst[(1 * 6 + 2) * 7 + 3], src[(1 * 5 + 1) * 6 + 2]);

    /* whole rows of a 2-D fragment into the middle of a tall buffer */
    int32_t rows[6 * 4], tall[10 * 4];
    int64_t rs[2] = {100, 0}, rc[2] = {6, 4}, bs[2] = {102, 0}, bc[2] = {3, 4};
    int64_t ts[2] = {10, 4}, td[2] = {5, 0};
    fill(TESS_I32, rows, 24, 1);
    memset(tall, 0, sizeof(tall));
    tmpdir_path(path, "sub/v2.h5");
    CU_ASSERT_EQUAL_FATAL(h5frag_write(path, TESS_I32, 2, rs, rc, rows, &err),
                          0);
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_I32, 2, bs, bc, tall, ts, td, &err),
                    0);
    CU_ASSERT_EQUAL(memcmp(&tall[5 * 4], &rows[2 * 4], 3 * 4 * 4), 0);
    CU_ASSERT_EQUAL(tall[4 * 4 + 3], 0);
    CU_ASSERT_EQUAL(tall[8 * 4], 0);
}

static void test_empty_fragment(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    int64_t s[2] = {3, 0}, c[2] = {0, 5}, ic[TESS_MAX_RANK];
    int rank = 0;

    tmpdir_path(path, "empty/v0.h5");
    CU_ASSERT_EQUAL_FATAL(h5frag_write(path, TESS_F32, 2, s, c, NULL, &err), 0);
    CU_ASSERT_EQUAL(h5frag_info(path, NULL, &rank, NULL, ic, &err), 0);
    CU_ASSERT_EQUAL(rank, 2);
    CU_ASSERT_EQUAL(ic[0], 0);
    CU_ASSERT_EQUAL(ic[1], 5);
    int64_t z[2] = {0, 0};
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_F32, 2, s, c, NULL, c, z, &err), 0);
    /* an open handle: what it describes, and its close */
    h5frag_file_t *f = h5frag_file_open(path, TESS_F32, 2, &err);
    tess_type_t type = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    h5frag_file_info(f, &type, &rank, ic, NULL);
    CU_ASSERT_EQUAL(type, TESS_F32);
    CU_ASSERT_EQUAL(ic[0], 3);
    ASSERT_DESTROY_KEEPS_ERRNO(h5frag_file_close, f);
}

static void test_replace_and_remove(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    int64_t s[1] = {0}, c[1] = {1000}, z[1] = {0};
    int64_t a[1000], b[1000], got[1000];

    fill(TESS_I64, a, 1000, 1);
    fill(TESS_I64, b, 1000, 2);
    tmpdir_path(path, "frags/d7/v1.h5");
    CU_ASSERT_EQUAL_FATAL(h5frag_write(path, TESS_I64, 1, s, c, a, &err), 0);
    CU_ASSERT_EQUAL_FATAL(h5frag_write(path, TESS_I64, 1, s, c, b, &err), 0);
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_I64, 1, s, c, got, c, z, &err), 0);
    CU_ASSERT_EQUAL(memcmp(got, b, sizeof(b)), 0);
    /* without fsync: same content and atomicity for readers */
    CU_ASSERT_EQUAL(h5frag_write2(path, TESS_I64, 1, s, c, a, H5FRAG_NOSYNC,
                                  &err), 0);
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_I64, 1, s, c, got, c, z, &err), 0);
    CU_ASSERT_EQUAL(memcmp(got, a, sizeof(a)), 0);
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_write2(path, TESS_I64, 1, s, c, b, 0x80, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "unknown flags 0x80");
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_I64, 1, s, c, got, c, z, &err), 0);
    CU_ASSERT_EQUAL(memcmp(got, a, sizeof(a)), 0); /* untouched */
    CU_ASSERT_EQUAL(h5frag_remove(path), 0);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    CU_ASSERT_EQUAL(h5frag_remove(path), 0); /* ENOENT is not an error */
    CU_ASSERT_EQUAL(h5frag_sync_dir(path), 0);
}

/* ------------------------------------------------------------------ */
/* Errors: errno and the text a person reads                           */
/* ------------------------------------------------------------------ */

static void write_garbage(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < n; i++)
        fputc((int)(i * 31 + 7) & 0xff, f);
    fclose(f);
}

/* Reading the 4x4 f64 box at 0 of @p path fails with errno @p e, the
 * message naming the file and containing @p part. */
static void assert_read_fails(const char *path, int e, const char *part)
{
    int64_t s[2] = {0, 0}, c[2] = {4, 4};
    double buf[16];
    tess_error_t err = {""};
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_F64, 2, s, c, buf, c, s, &err), -1);
    CU_ASSERT_EQUAL(errno, e);
    ASSERT_HAS(err.text, path);
    ASSERT_HAS(err.text, part);
}

static void test_read_errors(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    int64_t s[2] = {0, 0}, c[2] = {4, 4}, z[2] = {0, 0};
    double buf[16];

    /* missing file */
    assert_read_fails(tmpdir_path(path, "err/missing.h5"), ENOENT,
                      "No such file or directory");

    /* not an HDF5 file */
    mkdir(tmpdir_path(path, "err"), 0777);
    tmpdir_path(path, "err/garbage.h5");
    write_garbage(path, 5000);
    assert_read_fails(path, EIO, "not an HDF5 file");

    /* an HDF5 file without /frag */
    tmpdir_path(path, "err/other.h5");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d4 = 4;
    hid_t sp = H5Screate_simple(1, &d4, NULL);
    hid_t ds = H5Dcreate2(f, "data", H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                          H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    assert_read_fails(path, EPROTO, "no dataset /frag");

    /* /frag is a group */
    tmpdir_path(path, "err/group.h5");
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(H5Gcreate2(f, "frag", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Fclose(f);
    assert_read_fails(path, EPROTO, "/frag is not a dataset");

    /* a directory */
    assert_read_fails(tmpdir_suite, EISDIR, "Is a directory");

    /* wrong element type, wrong rank */
    tmpdir_path(path, "err/f64.h5");
    fill(TESS_F64, buf, 16, 0);
    CU_ASSERT_EQUAL_FATAL(h5frag_write(path, TESS_F64, 2, s, c, buf, &err), 0);
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_I32, 2, s, c, buf, c, z, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, path);
    ASSERT_HAS(err.text, "dataset /frag: element type is f64, expected i32");
    int64_t s3[3] = {0}, c3[3] = {1, 4, 4};
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_F64, 3, s3, c3, buf, c3, s3, &err),
                    -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "rank is 2, expected 3");

    /* box outside the fragment, destination too small */
    int64_t bs[2] = {2, 1}, bc[2] = {3, 2};
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_F64, 2, bs, bc, buf, c, z, &err),
                    -1);
    CU_ASSERT_EQUAL(errno, ERANGE);
    ASSERT_HAS(err.text, path);
    ASSERT_HAS(err.text, "box [2:5, 1:3] lies outside the fragment [0:4, 0:4]");
    int64_t small[2] = {2, 2}, one[2] = {1, 1};
    bc[0] = 2;
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_F64, 2, bs, bc, buf, small, one,
                                &err), -1);
    CU_ASSERT_EQUAL(errno, ERANGE);
    ASSERT_HAS(err.text, "box [2:4, 1:3] does not fit the destination of "
                         "shape 2x2 at [1:3, 1:3]");

    /* a fragment of a newer format */
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t did = H5Dopen2(fid, "frag", H5P_DEFAULT);
    hid_t at = H5Aopen(did, "tess_format_version", H5P_DEFAULT);
    int v = 99;
    H5Awrite(at, H5T_NATIVE_INT, &v);
    H5Aclose(at);
    H5Dclose(did);
    H5Fclose(fid);
    assert_read_fails(path, EPROTO, "format version 99");

    /* bad arguments */
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read(path, (tess_type_t)77, 2, s, c, buf, c, z,
                                &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
}

static void test_write_errors(void)
{
    char path[PATH_MAX], file[PATH_MAX];
    tess_error_t err = {""};
    int64_t s[1] = {0}, c[1] = {4}, neg[1] = {-1};
    double buf[4] = {1, 2, 3, 4};

    /* a parent that is a regular file */
    tmpdir_path(file, "werr-file");
    write_garbage(file, 10);
    tmpdir_path(path, "werr-file/d1/v1.h5");
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_write(path, TESS_F64, 1, s, c, buf, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOTDIR);
    ASSERT_HAS(err.text, path);
    ASSERT_HAS(err.text, "Not a directory");

    tmpdir_path(path, "werr/v1.h5");
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_write(path, TESS_F64, 1, neg, c, buf, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "invalid box");
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_write(path, TESS_F64, 0, s, c, buf, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_write(path, TESS_F64, 1, s, c, NULL, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "no buffer");
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_write(path, (tess_type_t)0, 1, s, c, buf, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    ASSERT_HAS(err.text, "unknown element type");
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);
}

/* HDF5 prints nothing on stderr, in the main thread nor in others. */
static void *failing_reads(void *arg)
{
    char path[PATH_MAX];
    int64_t s[1] = {0}, c[1] = {1};
    double x;
    (void)arg;
    tmpdir_path(path, "err/garbage.h5");
    h5frag_read(path, TESS_F64, 1, s, c, &x, c, s, NULL);
    tmpdir_path(path, "err/missing.h5");
    h5frag_read(path, TESS_F64, 1, s, c, &x, c, s, NULL);
    tmpdir_path(path, "err/other.h5");
    h5frag_read(path, TESS_F64, 1, s, c, &x, c, s, NULL);
    return NULL;
}

static void test_quiet(void)
{
    char log[PATH_MAX];
    struct stat st;
    pthread_t th;

    fflush(stderr);
    int saved = dup(2);
    int fd = open(tmpdir_path(log, "stderr.log"), O_WRONLY | O_CREAT | O_TRUNC,
                  0666);
    dup2(fd, 2);
    close(fd);
    failing_reads(NULL);
    pthread_create(&th, NULL, failing_reads, NULL);
    pthread_join(th, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CU_ASSERT_EQUAL(stat(log, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 0);
}

/* ------------------------------------------------------------------ */
/* Atomicity                                                           */
/* ------------------------------------------------------------------ */

#define NTHREADS 4
#define NWRITES 25
#define NELEM 32768 /* 256 KiB of i64 */

struct worker {
    int id;
    int same; /* writer(): all to one path */
    int failures;
    int reads;
};

/* A writer: NWRITES fragments stamped with the writer and write number
 * (in start, and as the data of contended writes). w->same 0: distinct
 * paths, directories created concurrently by several threads, each file
 * read back; 1: all to one contended path (read by read_same). */
static void *writer(void *arg)
{
    struct worker *w = arg;
    char path[PATH_MAX];
    tess_error_t err;
    int64_t *buf = malloc(NELEM * sizeof(*buf));
    int64_t *got = malloc(NELEM * sizeof(*got));
    int64_t s[1], c[1] = {NELEM}, z[1] = {0};

    for (int i = 0; i < NWRITES; i++) {
        s[0] = w->id * 1000 + i;
        if (w->same) {
            h5frag_path(path, sizeof(path), tmpdir_suite, 999, 1);
            for (int k = 0; k < NELEM; k++)
                buf[k] = s[0];
        } else {
            h5frag_path(path, sizeof(path), tmpdir_suite,
                        (uint64_t)(900 + i % 3), (uint32_t)s[0]);
            fill(TESS_I64, buf, NELEM, (int)s[0]);
        }
        if (h5frag_write(path, TESS_I64, 1, s, c, buf, &err) < 0
            || (!w->same
                && (h5frag_read(path, TESS_I64, 1, s, c, got, c, z, &err) < 0
                    || memcmp(buf, got, NELEM * sizeof(*buf)) != 0))) {
            fprintf(stderr, "\n  %s\n", err.text);
            w->failures++;
        }
    }
    free(buf);
    free(got);
    return NULL;
}

static volatile int writers_done;

/* Opens the contended path over and over: every file seen must be
 * complete, its data matching its own start attribute. */
static void *read_same(void *arg)
{
    struct worker *w = arg;
    char path[PATH_MAX];
    tess_error_t err;
    int64_t *got = malloc(NELEM * sizeof(*got));
    int64_t z[1] = {0};
    h5frag_file_t *f;
    int64_t start[1], count[1];

    h5frag_path(path, sizeof(path), tmpdir_suite, 999, 1);
    while (!writers_done) {
        if (!(f = h5frag_file_open(path, TESS_I64, 1, &err))) {
            if (errno != ENOENT) {
                fprintf(stderr, "\n  reader: %s\n", err.text);
                w->failures++;
            }
            continue;
        }
        h5frag_file_info(f, NULL, NULL, start, count);
        if (count[0] != NELEM
            || h5frag_file_read(f, start, count, got, count, z, &err)
                   < 0) {
            w->failures++;
        } else {
            for (int k = 0; k < NELEM; k++)
                if (got[k] != start[0]) {
                    w->failures++;
                    break;
                }
            w->reads++;
        }
        h5frag_file_close(f);
    }
    free(got);
    return NULL;
}

static void test_concurrent_writers(void)
{
    pthread_t th[NTHREADS + 1];
    struct worker w[NTHREADS + 1];

    memset(w, 0, sizeof(w));
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i;
        pthread_create(&th[i], NULL, writer, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(w[i].failures, 0);
    }
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);

    memset(w, 0, sizeof(w));
    writers_done = 0;
    pthread_create(&th[NTHREADS], NULL, read_same, &w[NTHREADS]);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i + 1;
        w[i].same = 1;
        pthread_create(&th[i], NULL, writer, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(w[i].failures, 0);
    }
    writers_done = 1;
    pthread_join(th[NTHREADS], NULL);
    CU_ASSERT_EQUAL(w[NTHREADS].failures, 0);
    CU_ASSERT_TRUE(w[NTHREADS].reads > 0);
    printf("(%d complete reads while replaced) ", w[NTHREADS].reads);
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);

    /* the survivor is one writer's last, complete fragment */
    char path[PATH_MAX];
    int64_t st[1], ct[1];
    h5frag_path(path, sizeof(path), tmpdir_suite, 999, 1);
    CU_ASSERT_EQUAL(h5frag_info(path, NULL, NULL, st, ct, NULL), 0);
    CU_ASSERT_EQUAL(st[0] % 1000, NWRITES - 1);
    CU_ASSERT_EQUAL(ct[0], NELEM);
}

/* A writer killed midway leaves PATH.tmp.<pid>.<n>: it must never be read
 * as the fragment, and h5frag_clean_temps() removes it. A truncated file
 * under the final name (only possible by bypassing h5frag_write) is
 * reported as an error, never returned as data. */
static void copy_prefix(const char *from, const char *to, double fraction)
{
    struct stat st;
    stat(from, &st);
    size_t n = (size_t)((double)st.st_size * fraction);
    char *b = malloc(n + 1);
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    size_t got = fread(b, 1, n, in);
    fwrite(b, 1, got, out);
    fclose(in);
    fclose(out);
    free(b);
}

static void test_crash_leftovers(void)
{
    char run[PATH_MAX], done[PATH_MAX], never[PATH_MAX], tmp[PATH_MAX + 32];
    tess_error_t err = {""};
    int64_t s[1] = {0}, c[1] = {NELEM}, z[1] = {0};
    int64_t *buf = malloc(NELEM * sizeof(*buf));
    int64_t *got = malloc(NELEM * sizeof(*got));

    tmpdir_path(run, "crashrun");
    fill(TESS_I64, buf, NELEM, 5);
    h5frag_path(done, sizeof(done), run, 1, 1);
    h5frag_path(never, sizeof(never), run, 1, 2);
    CU_ASSERT_EQUAL_FATAL(h5frag_write(done, TESS_I64, 1, s, c, buf, &err), 0);
    /* leftovers of a dead writer, beside a good file and beside nothing */
    snprintf(tmp, sizeof(tmp), "%s.tmp.999999.0", done);
    copy_prefix(done, tmp, 0.5);
    snprintf(tmp, sizeof(tmp), "%s.tmp.999999.1", never);
    copy_prefix(done, tmp, 0.9);
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read(never, TESS_I64, 1, s, c, got, c, z, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(h5frag_read(done, TESS_I64, 1, s, c, got, c, z, &err), 0);
    CU_ASSERT_EQUAL(memcmp(buf, got, NELEM * sizeof(*buf)), 0);

    CU_ASSERT_EQUAL(tmpdir_count(run, ".tmp."), 2);
    CU_ASSERT_EQUAL(h5frag_clean_temps(run, &err), 2);
    CU_ASSERT_EQUAL(tmpdir_count(run, ".tmp."), 0);
    CU_ASSERT_EQUAL(access(done, F_OK), 0);
    CU_ASSERT_EQUAL(h5frag_clean_temps(run, &err), 0);
    tmpdir_path(tmp, "no-such-run");
    CU_ASSERT_EQUAL(h5frag_clean_temps(tmp, &err), 0);

    /* truncated data under the final name: an error, not data */
    for (int k = 1; k < 10; k++) {
        copy_prefix(done, never, k / 10.0);
        memset(got, 0, NELEM * sizeof(*got));
        errno = 0;
        int rc = h5frag_read(never, TESS_I64, 1, s, c, got, c, z, &err);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_TRUE(errno == EIO || errno == EPROTO);
        ASSERT_HAS(err.text, never);
    }
    free(buf);
    free(got);
}

/* H5FRAG_NOREPLACE: the first complete file keeps the name; every later
 * writer gets EEXIST, leaves no temporary and changes nothing. Threads
 * racing on one name: exactly one wins. */
static atomic_int noreplace_wins;

static void *write_noreplace(void *arg)
{
    struct worker *w = arg;
    tess_error_t err = {""};
    int64_t s[1] = {0}, c[1] = {NELEM};
    int64_t *buf = malloc(NELEM * sizeof(*buf));
    char path[PATH_MAX];

    for (int64_t k = 0; k < NELEM; k++)
        buf[k] = w->id;
    tmpdir_path(path, "noreplace/race.h5");
    if (h5frag_write2(path, TESS_I64, 1, s, c, buf, H5FRAG_NOREPLACE, &err)
        == 0)
        atomic_fetch_add(&noreplace_wins, 1);
    else if (errno != EEXIST)
        w->failures++;
    free(buf);
    return NULL;
}

static void test_noreplace(void)
{
    char path[PATH_MAX];
    tess_error_t err = {""};
    int64_t s[1] = {0}, c[1] = {1000}, z[1] = {0};
    int64_t a[1000], b[1000], got[1000];

    fill(TESS_I64, a, 1000, 3);
    fill(TESS_I64, b, 1000, 4);
    tmpdir_path(path, "noreplace/once.h5");
    CU_ASSERT_EQUAL_FATAL(h5frag_write2(path, TESS_I64, 1, s, c, a,
                                        H5FRAG_NOREPLACE, &err), 0);
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_write2(path, TESS_I64, 1, s, c, b,
                                  H5FRAG_NOREPLACE | H5FRAG_NOSYNC, &err), -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    ASSERT_HAS(err.text, path);
    ASSERT_HAS(err.text, "exists already");
    CU_ASSERT_EQUAL(h5frag_read(path, TESS_I64, 1, s, c, got, c, z, &err), 0);
    CU_ASSERT_EQUAL(memcmp(got, a, sizeof(a)), 0);
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);

    pthread_t th[NTHREADS];
    struct worker w[NTHREADS];
    memset(w, 0, sizeof(w));
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i + 1;
        pthread_create(&th[i], NULL, write_noreplace, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(w[i].failures, 0);
    }
    CU_ASSERT_EQUAL(atomic_load(&noreplace_wins), 1);
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tmp."), 0);
}


/* The elements' offset reported at writing and by h5frag_info2 lets
 * h5frag_read_at read them without HDF5; a truncated file is an error. */
static void test_read_at(void)
{
    char path[PATH_MAX], cut[PATH_MAX + 8];
    tess_error_t err = {""};
    int64_t s[2] = {4, 0}, c[2] = {30, 7}, off = -2, off2 = -3;
    double a[210], got[210];
    int64_t cs[2], cc[2];

    fill(TESS_F64, a, 210, 6);
    tmpdir_path(path, "readat/one.h5");
    CU_ASSERT_EQUAL_FATAL(h5frag_write3(path, TESS_F64, 2, s, c, a,
                                        H5FRAG_NOREPLACE, &off, &err), 0);
    CU_ASSERT_TRUE(off > 0);
    CU_ASSERT_EQUAL(h5frag_info2(path, NULL, NULL, cs, cc, &off2, &err), 0);
    CU_ASSERT_EQUAL(off2, off);
    CU_ASSERT_EQUAL(cs[0], 4);
    CU_ASSERT_EQUAL(cc[1], 7);
    memset(got, 0, sizeof(got));
    CU_ASSERT_EQUAL(h5frag_read_at(path, off, TESS_F64, 210, got, &err), 0);
    CU_ASSERT_EQUAL(memcmp(got, a, sizeof(a)), 0);
    /* an empty fragment has no data offset */
    int64_t c0[2] = {0, 7};
    tmpdir_path(path, "readat/empty.h5");
    CU_ASSERT_EQUAL(h5frag_write3(path, TESS_F64, 2, s, c0, NULL, 0, &off2,
                                  &err), 0);
    CU_ASSERT_EQUAL(off2, -1);
    /* truncated: an error, never data */
    tmpdir_path(path, "readat/one.h5");
    snprintf(cut, sizeof(cut), "%s.cut", path);
    copy_prefix(path, cut, 0.9);
    errno = 0;
    CU_ASSERT_EQUAL(h5frag_read_at(cut, off, TESS_F64, 210, got, &err), -1);
    CU_ASSERT_EQUAL(errno, EIO);
    ASSERT_HAS(err.text, "truncated");
    CU_ASSERT_EQUAL(h5frag_read_at(cut, -1, TESS_F64, 210, got, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    tmpdir_path(path, "readat/none.h5");
    CU_ASSERT_EQUAL(h5frag_read_at(path, off, TESS_F64, 210, got, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
}


static const cunit_test_t tests[] = {
    {"path scheme", test_path},
    {"round trip of every type in 1..4 dims", test_round_trip},
    {"sub-box into an offset of a larger buffer", test_sub_box},
    {"empty fragment", test_empty_fragment},
    {"replace and remove", test_replace_and_remove},
    {"read errors name file and dataset", test_read_errors},
    {"write errors", test_write_errors},
    {"HDF5 stays quiet in every thread", test_quiet},
    {"concurrent writers: distinct and same path", test_concurrent_writers},
    {"crash leftovers are never data", test_crash_leftovers},
    {"NOREPLACE: one name, one writer wins", test_noreplace},
    {"elements read by offset, without HDF5", test_read_at},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("h5frag", tmpdir_suite_init, tmpdir_suite_clean, tests);
}
