/*
 * cunit_main.h - the main() every CUnit test program of the tree shares:
 * runs the suites a program registers and fails (exit 1) on any failure.
 * Include once, from the test's .c file, and define register_tests(),
 * usually as one cunit_add_suite() call over a table of tests:
 *
 *   static const cunit_test_t tests[] = {
 *       {"round trip", test_round_trip},
 *       {NULL, NULL},
 *   };
 *   static int register_tests(void)
 *   {
 *       return cunit_add_suite("box", NULL, NULL, tests);
 *   }
 */
#ifndef TESS_TEST_CUNIT_MAIN_H
#define TESS_TEST_CUNIT_MAIN_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

/* One test of a suite table; a table ends with {NULL, NULL}. */
typedef struct cunit_test {
    const char *name;
    CU_TestFunc fn;
} cunit_test_t;

/* Add suite @p name (@p init and @p clean may be NULL) with the tests of
 * @p tests, in order. 0, or -1 if CUnit refused the suite or a test (the
 * program then exits 2 without running anything). */
static inline int cunit_add_suite(const char *name, CU_InitializeFunc init,
                                  CU_CleanupFunc clean,
                                  const cunit_test_t *tests)
{
    CU_pSuite s = CU_add_suite(name, init, clean);
    if (!s)
        return -1;
    for (const cunit_test_t *t = tests; t->name; t++)
        if (!CU_add_test(s, t->name, t->fn))
            return -1;
    return 0;
}

/* Assert that string @p text contains @p part; on failure also print
 * both (CUnit shows only the expression). */
#define ASSERT_HAS(text, part)                                              \
    do {                                                                    \
        CU_ASSERT_PTR_NOT_NULL(strstr((text), (part)));                     \
        if (!strstr((text), (part)))                                        \
            fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", (text),     \
                    (part));                                                \
    } while (0)

/* @p destroy(@p obj) and @p destroy(NULL) leave errno as it was (the
 * convention of every destroy function of the tree). */
#define ASSERT_DESTROY_KEEPS_ERRNO(destroy, obj)                            \
    do {                                                                    \
        errno = EBADF;                                                      \
        destroy(obj);                                                       \
        CU_ASSERT_EQUAL(errno, EBADF);                                      \
        errno = ERANGE;                                                     \
        destroy(NULL);                                                      \
        CU_ASSERT_EQUAL(errno, ERANGE);                                     \
    } while (0)

/* Defined by the test program: register its suites, 0 or -1. */
static int register_tests(void);

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (register_tests() != 0) {
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() +
                      CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

#endif
