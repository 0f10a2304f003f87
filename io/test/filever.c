/* test_filever: file versions: names, copies, atomic publication, errors
 * (errno and the message naming the file). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "base/test/cunit_main.h"
#include "base/test/tmpdir.h"
#include "io/filever.h"

/* Write @p n bytes of a pattern starting at @p seed into @p path. */
static void make_file(const char *path, size_t n, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)((i * 131 + seed) & 0xff), f);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

/* The content of @p path (caller frees) and its size; NULL if unreadable. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap && !(buf = realloc(buf, cap *= 2)))
            break;
    }
    fclose(f);
    *n = len;
    return buf;
}

static int same_content(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static void test_path(void)
{
    char *p = filever_path("/run/files", 42, 3, "/home/me/data/in.bin");
    CU_ASSERT_STRING_EQUAL(p, "/run/files/d42.v3.in.bin");
    free(p);
    p = filever_path("w", 18446744073709551615ull, 4294967295u, "plain");
    CU_ASSERT_STRING_EQUAL(p, "w/d18446744073709551615.v4294967295.plain");
    free(p);
}

static void test_copy(void)
{
    char src[PATH_MAX], dst[PATH_MAX];
    tess_error_t err = {{0}};
    /* sizes around the 64 KiB copy buffer, and empty */
    static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200001};
    tmpdir_path(src, "src.bin");
    tmpdir_path(dst, "dst.bin");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        make_file(src, sizes[i], (unsigned)i);
        CU_ASSERT_EQUAL(filever_copy(src, dst, &err), 0);
        CU_ASSERT_TRUE(same_content(src, dst));
    }
    /* a longer existing destination is truncated */
    make_file(dst, 300000, 7);
    make_file(src, 10, 8);
    CU_ASSERT_EQUAL(filever_copy(src, dst, &err), 0);
    CU_ASSERT_TRUE(same_content(src, dst));
}

/* @p call fails (-1) with errno @p e and the message "WHAT PATH: strerror"
 * in err (a tess_error_t of the caller). */
#define ASSERT_SYS_FAILS(call, e, what, path)                               \
    do {                                                                    \
        char want_[2 * PATH_MAX];                                           \
        errno = 0;                                                          \
        int rc_ = (call), errno_ = errno;                                   \
        CU_ASSERT_EQUAL(rc_, -1);                                           \
        CU_ASSERT_EQUAL(errno_, (e));                                       \
        snprintf(want_, sizeof(want_), "%s %s: %s", (what), (path),         \
                 strerror(e));                                              \
        CU_ASSERT_STRING_EQUAL(err.text, want_);                            \
    } while (0)

static void test_copy_errors(void)
{
    char src[PATH_MAX], dst[PATH_MAX], missing[PATH_MAX];
    tess_error_t err = {{0}};
    tmpdir_path(src, "e-src.bin");
    tmpdir_path(dst, "e-dst.bin");
    tmpdir_path(missing, "no-such-file");
    make_file(src, 100, 1);

    ASSERT_SYS_FAILS(filever_copy(missing, dst, &err), ENOENT, "cannot read",
                     missing);
    CU_ASSERT_EQUAL(access(dst, F_OK), -1); /* nothing created */

    char nodir[PATH_MAX];
    tmpdir_path(nodir, "no-such-dir/out.bin");
    ASSERT_SYS_FAILS(filever_copy(src, nodir, &err), ENOENT, "cannot create",
                     nodir);

    /* a directory opens for reading but read(2) fails */
    ASSERT_SYS_FAILS(filever_copy(tmpdir_suite, dst, &err), EISDIR, "reading",
                     tmpdir_suite);

    /* a full device: the write fails */
    if (access("/dev/full", W_OK) == 0) {
        ASSERT_SYS_FAILS(filever_copy(src, "/dev/full", &err), ENOSPC,
                         "writing", "/dev/full");
    }
}

static void test_publish(void)
{
    char src[PATH_MAX], dst[PATH_MAX];
    tess_error_t err = {{0}};
    tmpdir_path(src, "p-src.bin");
    tmpdir_path(dst, "p-dst.bin");
    make_file(src, 70000, 3);
    make_file(dst, 5, 4);
    CU_ASSERT_EQUAL(filever_publish(src, dst, &err), 0);
    CU_ASSERT_TRUE(same_content(src, dst));
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tess-tmp."), 0);
}

static void test_publish_errors(void)
{
    char src[PATH_MAX], dst[PATH_MAX], keep[PATH_MAX], missing[PATH_MAX];
    tess_error_t err = {{0}};
    tmpdir_path(src, "pe-src.bin");
    tmpdir_path(dst, "pe-dst.bin");
    tmpdir_path(keep, "pe-keep.bin");
    tmpdir_path(missing, "pe-missing.bin");
    make_file(src, 100, 5);
    make_file(dst, 50, 6);
    make_file(keep, 50, 6);

    /* the source is missing: the target is untouched, no temporary left */
    ASSERT_SYS_FAILS(filever_publish(missing, dst, &err), ENOENT,
                     "cannot read", missing);
    CU_ASSERT_TRUE(same_content(dst, keep));
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tess-tmp."), 0);

    /* the target is a non-empty directory: rename(2) fails */
    char target[PATH_MAX], inside[PATH_MAX];
    tmpdir_path(target, "pe-dir");
    tmpdir_path(inside, "pe-dir/x");
    CU_ASSERT_EQUAL_FATAL(mkdir(target, 0777), 0);
    make_file(inside, 1, 0);
    ASSERT_SYS_FAILS(filever_publish(src, target, &err), EISDIR,
                     "cannot rename onto", target);
    CU_ASSERT_EQUAL(tmpdir_count(tmpdir_suite, ".tess-tmp."), 0);
}

/* Readers of a published path see one whole version, never a part: a
 * reader thread checks every read while versions of two sizes and
 * contents replace each other. */
#define SIZE_A 100000
#define SIZE_B 150000

struct reader {
    const char *path;
    atomic_int stop;
    int reads, bad;
};

static void *read_loop(void *arg)
{
    struct reader *r = arg;
    while (!atomic_load(&r->stop)) {
        size_t n;
        char *c = slurp(r->path, &n);
        if (!c)
            continue;
        char want = n == SIZE_A ? 'a' : 'b';
        int ok = n == SIZE_A || n == SIZE_B;
        for (size_t i = 0; ok && i < n; i++)
            ok = c[i] == want;
        r->bad += !ok;
        r->reads++;
        free(c);
    }
    return NULL;
}

static void fill(const char *path, size_t n, char ch)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (size_t i = 0; i < n; i++)
        fputc(ch, f);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

static void test_publish_atomic(void)
{
    char a[PATH_MAX], b[PATH_MAX], dst[PATH_MAX];
    tess_error_t err = {{0}};
    tmpdir_path(a, "at-a.bin");
    tmpdir_path(b, "at-b.bin");
    tmpdir_path(dst, "at-dst.bin");
    fill(a, SIZE_A, 'a');
    fill(b, SIZE_B, 'b');
    CU_ASSERT_EQUAL(filever_publish(a, dst, &err), 0);
    struct reader r = {.path = dst};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, read_loop, &r), 0);
    for (int i = 0; i < 200; i++)
        CU_ASSERT_EQUAL(filever_publish(i % 2 ? a : b, dst, &err), 0);
    atomic_store(&r.stop, 1);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(r.bad, 0);
    CU_ASSERT_TRUE(r.reads > 0);
}

static const cunit_test_t tests[] = {
    {"version paths", test_path},
    {"copies are exact, destinations truncated", test_copy},
    {"copy errors: errno and message", test_copy_errors},
    {"publish replaces the target", test_publish},
    {"failed publish leaves the target and no temporary",
     test_publish_errors},
    {"readers never see a partial version", test_publish_atomic},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("filever", tmpdir_suite_init, tmpdir_suite_clean,
                           tests);
}
