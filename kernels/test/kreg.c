/* test_kreg: the kernel registry: registration, "lib:symbol" from a
 * directory list, the search rule (directory order, file names, the
 * architecture's build first, the first existing file wins), the
 * constructors of loaded libraries, error texts and errno. The kernel
 * modules are kernels/test/ktlib.c built as kt_a, kt_b, kt_mic (kt_value
 * returns 1, 2, 3) and kt_undef (does not load); each test lays them out
 * under their search names in a scratch directory with symlinks. */
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

#include "base/test/cunit_main.h"
#include "base/test/tmpdir.h"
#include "kernels/kreg.h"

static char modules[PATH_MAX]; /* where the built modules are */

static int suite_init(void)
{
    const char *b = getenv("TOP_BUILDDIR");
    if (b && *b)
        snprintf(modules, sizeof(modules), "%s/kernels/test/.libs", b);
    else
        snprintf(modules, sizeof(modules), "%s", KT_MODULE_DIR);
    return tmpdir_suite_init();
}

/* SUITE/rel into buf. */
static char *at(char *buf, const char *rel)
{
    return tmpdir_path(buf, "%s", rel);
}

/* Make SUITE/rel (and its parent directories) a link to module @p m
 * (kt_a, kt_b, kt_mic, kt_undef). */
static void lay(const char *rel, const char *m)
{
    char path[PATH_MAX], target[PATH_MAX + 16];
    at(path, rel);
    for (char *p = path + strlen(tmpdir_suite) + 1; (p = strchr(p, '/'));
         p++) {
        *p = '\0';
        mkdir(path, 0777);
        *p = '/';
    }
    snprintf(target, sizeof(target), "%s/%s.so", modules, m);
    CU_ASSERT_EQUAL_FATAL(access(target, R_OK), 0);
    CU_ASSERT_EQUAL(symlink(target, path), 0);
}

/* A registry searching SUITE/d for each d of the ':'-list @p dirs. */
static kreg_t *reg(const char *dirs, const char *arch)
{
    kreg_t *k = kreg_create();
    char *copy = strdup(dirs), *save = NULL, path[PATH_MAX];
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    for (char *d = strtok_r(copy, ":", &save); d;
         d = strtok_r(NULL, ":", &save))
        CU_ASSERT_EQUAL(kreg_add_dir(k, at(path, d)), 0);
    free(copy);
    CU_ASSERT_EQUAL(kreg_set_arch(k, arch), 0);
    return k;
}

/* What kernel @p name returns when resolved in @p k (-1: not resolved). */
static int value_of(kreg_t *k, const char *name)
{
    uint32_t idx;
    tess_error_t err = {{0}};
    if (kreg_resolve(k, name, &idx, &err) < 0) {
        fprintf(stderr, "\n  %s: %s\n", name, err.text);
        return -1;
    }
    return kreg_fn(k, idx)(NULL);
}

/* kreg_find_lib(@p lib) is SUITE/@p rel. */
static void assert_finds(const kreg_t *k, const char *lib, const char *rel)
{
    char got[PATH_MAX], want[PATH_MAX];
    tess_error_t err = {{0}};
    CU_ASSERT_EQUAL(kreg_find_lib(k, lib, got, sizeof(got), &err), 0);
    CU_ASSERT_STRING_EQUAL(got, at(want, rel));
}

static int one(const tess_args_t *a)
{
    (void)a;
    return 1;
}

static int two(const tess_args_t *a)
{
    (void)a;
    return 2;
}

/* A kernel the program exports (linked with -export-dynamic). */
int kreg_test_exported(const tess_args_t *a);
int kreg_test_exported(const tess_args_t *a)
{
    (void)a;
    return 42;
}

static void test_register(void)
{
    kreg_t *k = kreg_create();
    uint32_t i, j;
    tess_error_t err = {{0}};
    CU_ASSERT_EQUAL(kreg_register(k, "one", one), 0);
    CU_ASSERT_EQUAL(kreg_resolve(k, "one", &i, &err), 0);
    CU_ASSERT_EQUAL(kreg_fn(k, i)(NULL), 1);
    CU_ASSERT_STRING_EQUAL(kreg_name(k, i), "one");
    /* registering again replaces the function, keeps the index */
    CU_ASSERT_EQUAL(kreg_register(k, "one", two), 0);
    CU_ASSERT_EQUAL(kreg_resolve(k, "one", &j, &err), 0);
    CU_ASSERT_EQUAL(i, j);
    CU_ASSERT_EQUAL(kreg_fn(k, j)(NULL), 2);
    CU_ASSERT_EQUAL(kreg_count(k), 1);
    /* bad registrations */
    errno = 0;
    CU_ASSERT_EQUAL(kreg_register(k, "", one), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    errno = 0;
    CU_ASSERT_EQUAL(kreg_register(k, "x", NULL), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    /* past the end */
    CU_ASSERT_PTR_NULL(kreg_fn(k, 7));
    CU_ASSERT_STRING_EQUAL(kreg_name(k, 7), "?");
    /* many names: dense indices, all found after the table grew */
    char name[32];
    for (int n = 0; n < 1000; n++) {
        snprintf(name, sizeof(name), "k%d", n);
        CU_ASSERT_EQUAL(kreg_register(k, name, n % 2 ? one : two), 0);
    }
    CU_ASSERT_EQUAL(kreg_count(k), 1001);
    for (int n = 0; n < 1000; n++) {
        snprintf(name, sizeof(name), "k%d", n);
        CU_ASSERT_EQUAL(kreg_resolve(k, name, &i, &err), 0);
        CU_ASSERT_EQUAL(i, (uint32_t)n + 1);
        CU_ASSERT_EQUAL(kreg_fn(k, i)(NULL), n % 2 ? 1 : 2);
    }
    kreg_destroy(k);
}

static void test_program_symbol(void)
{
    kreg_t *k = kreg_create();
    uint32_t i;
    tess_error_t err = {{0}};
    CU_ASSERT_EQUAL(value_of(k, "kreg_test_exported"), 42);
    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, "kreg_test_no_such_fn", &i, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_STRING_EQUAL(err.text, "unknown kernel 'kreg_test_no_such_fn': "
                           "not registered and not exported by the program");
    kreg_destroy(k);
}

/* Loading a library runs its constructors; finding it does not. */
static void test_constructors(void)
{
    lay("ctor/kt.so", "kt_b");
    kreg_t *k = reg("ctor", NULL);
    char path[PATH_MAX];
    unsetenv("KT_LOADED");
    CU_ASSERT_EQUAL(kreg_find_lib(k, "kt", path, sizeof(path), NULL), 0);
    CU_ASSERT_PTR_NULL(getenv("KT_LOADED"));
    CU_ASSERT_EQUAL(value_of(k, "kt:kt_value"), 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(getenv("KT_LOADED"));
    CU_ASSERT_STRING_EQUAL(getenv("KT_LOADED"), "b");
    kreg_destroy(k);
}

/* Directories in order; in each, NAME.so, libNAME.so, .libs/NAME.so,
 * .libs/libNAME.so; a trailing ".so" in the name is not doubled. */
static void test_search_order(void)
{
    lay("o1/kt.so", "kt_a");
    lay("o2/kt.so", "kt_b");
    kreg_t *k = reg("o1:o2", NULL);
    assert_finds(k, "kt", "o1/kt.so");
    assert_finds(k, "kt.so", "o1/kt.so");
    CU_ASSERT_EQUAL(value_of(k, "kt:kt_value"), 1);
    kreg_destroy(k);
    k = reg("o2:o1", NULL);
    assert_finds(k, "kt", "o2/kt.so");
    CU_ASSERT_EQUAL(value_of(k, "kt:kt_value"), 2);
    kreg_destroy(k);

    lay("o3/libkp.so", "kt_a");
    lay("o3/kp.so", "kt_b");      /* NAME.so before libNAME.so */
    lay("o3/.libs/kl.so", "kt_a");
    lay("o3/.libs/libkm.so", "kt_a");
    lay("o4/kl.so", "kt_b");      /* an earlier directory's .libs/ wins */
    lay("o4/libkn.so", "kt_b");
    k = reg("o3:o4", NULL);
    assert_finds(k, "kp", "o3/kp.so");
    assert_finds(k, "kl", "o3/.libs/kl.so");
    assert_finds(k, "km", "o3/.libs/libkm.so");
    assert_finds(k, "kn", "o4/libkn.so");
    CU_ASSERT_EQUAL(value_of(k, "kl:kt_value"), 1);
    kreg_destroy(k);
}

/* A worker of architecture ARCH takes NAME-ARCH.so from any directory
 * before NAME.so from any directory. */
static void test_arch_first(void)
{
    lay("a1/kt.so", "kt_a");
    lay("a2/kt-mic.so", "kt_mic");
    lay("a2/.libs/libku-mic.so", "kt_mic");
    lay("a1/ku.so", "kt_a");
    kreg_t *k = reg("a1:a2", "mic");
    assert_finds(k, "kt", "a2/kt-mic.so");
    assert_finds(k, "ku", "a2/.libs/libku-mic.so");
    CU_ASSERT_EQUAL(value_of(k, "kt:kt_value"), 3);
    kreg_destroy(k);
    k = reg("a1:a2", "x86"); /* no build for x86: the default one */
    assert_finds(k, "kt", "a1/kt.so");
    CU_ASSERT_EQUAL(value_of(k, "kt:kt_value"), 1);
    kreg_destroy(k);
    k = reg("a1:a2", NULL);
    CU_ASSERT_EQUAL(value_of(k, "kt:kt_value"), 1);
    errno = 0;
    CU_ASSERT_EQUAL(kreg_set_arch(k, "an-architecture-name-longer-than-"
                                     "sixty-three-bytes-is-refused-here"),
                    -1);
    CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
    kreg_destroy(k);
}

/* A library named with '/' is that file, whatever the search path. */
static void test_path_names(void)
{
    char name[PATH_MAX + 32], want[PATH_MAX + 128];
    uint32_t i;
    tess_error_t err = {{0}};
    lay("p1/kt.so", "kt_a");
    lay("p2/kt.so", "kt_b");
    kreg_t *k = reg("p1", NULL);
    snprintf(name, sizeof(name), "%s/p2/kt.so:kt_value", tmpdir_suite);
    CU_ASSERT_EQUAL(value_of(k, name), 2);
    snprintf(name, sizeof(name), "%s/p2/none.so:kt_value", tmpdir_suite);
    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, name, &i, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    snprintf(want, sizeof(want), "kernel library '%s/p2/none.so' not found: "
             "%s", tmpdir_suite, strerror(ENOENT));
    CU_ASSERT_STRING_EQUAL(err.text, want);
    kreg_destroy(k);
}

static void test_errors(void)
{
    char want[3 * PATH_MAX], d1[PATH_MAX], d2[PATH_MAX], path[PATH_MAX];
    uint32_t i;
    tess_error_t err = {{0}};
    lay("e1/kt.so", "kt_a");
    kreg_t *k = reg("e1:e2", NULL);
    at(d1, "e1");
    at(d2, "e2");

    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, "nope:f", &i, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    snprintf(want, sizeof(want), "kernel library 'nope' not found (looked "
             "for nope.so and libnope.so, also under .libs/, in %s:%s)", d1,
             d2);
    CU_ASSERT_STRING_EQUAL(err.text, want);

    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, "kt:no_such_symbol", &i, &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    snprintf(want, sizeof(want), "unknown kernel 'kt:no_such_symbol': library "
             "'kt' (%s/kt.so) has no symbol 'no_such_symbol'", d1);
    CU_ASSERT_STRING_EQUAL(err.text, want);

    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, ":f", &i, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "kernel ':f': bad library name");
    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, "kt:", &i, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "kernel 'kt:': empty symbol name");
    kreg_destroy(k);

    k = reg("e2", "mic");
    errno = 0;
    CU_ASSERT_EQUAL(kreg_find_lib(k, "nope", path, sizeof(path), &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    snprintf(want, sizeof(want), "kernel library 'nope' not found (looked "
             "for nope-mic.so, libnope-mic.so, nope.so and libnope.so, also "
             "under .libs/, in %s)", d2);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    kreg_destroy(k);

    k = kreg_create();
    CU_ASSERT_EQUAL(kreg_add_path(k, "::"), 0); /* empty entries skipped */
    errno = 0;
    CU_ASSERT_EQUAL(kreg_find_lib(k, "nope", path, sizeof(path), &err), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_STRING_EQUAL(err.text, "kernel library 'nope' not found: the "
                           "kernel search path is empty (set "
                           "TESS_KERNEL_PATH)");
    kreg_destroy(k);
}

/* The first existing file wins: one that does not load is the error,
 * later candidates are not tried. */
static void test_unloadable(void)
{
    char want[PATH_MAX + 64], junk[PATH_MAX];
    uint32_t i;
    tess_error_t err = {{0}};
    lay("u1/kt.so", "kt_undef");
    lay("u2/kt.so", "kt_b");
    FILE *f = fopen(at(junk, "u1/junk.so"), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("not a shared object\n", f);
    fclose(f);
    lay("u2/junk.so", "kt_b");
    kreg_t *k = reg("u1:u2", NULL);

    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, "kt:kt_value", &i, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    snprintf(want, sizeof(want), "kernel library 'kt' (%s/u1/kt.so) does not "
             "load: ", tmpdir_suite);
    ASSERT_HAS(err.text, want);
    ASSERT_HAS(err.text, "kt_nowhere");

    errno = 0;
    CU_ASSERT_EQUAL(kreg_resolve(k, "junk:kt_value", &i, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    snprintf(want, sizeof(want), "kernel library 'junk' (%s) does not load: ",
             junk);
    ASSERT_HAS(err.text, want);
    kreg_destroy(k);
}

static void test_destroy(void)
{
    lay("x1/kt.so", "kt_a");
    kreg_t *k = reg("x1", NULL);
    CU_ASSERT_EQUAL(value_of(k, "kt:kt_value"), 1);
    ASSERT_DESTROY_KEEPS_ERRNO(kreg_destroy, k); /* closes the library */
}

static const cunit_test_t tests[] = {
    {"registration, indices, growth", test_register},
    {"symbols the program exports", test_program_symbol},
    {"loading runs constructors, finding does not", test_constructors},
    {"directories and file names in order", test_search_order},
    {"the architecture's build first", test_arch_first},
    {"library paths", test_path_names},
    {"errors: texts and errno", test_errors},
    {"an unloadable first candidate is the error", test_unloadable},
    {"destroy accepts NULL and keeps errno", test_destroy},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("kreg", suite_init, tmpdir_suite_clean, tests);
}
