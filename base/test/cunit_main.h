/*
 * cunit_main.h - the main() every CUnit test program of the tree shares:
 * runs the suites a program registers and fails (exit 1) on any failure.
 * Include once, from the test's .c file, after defining register_tests().
 */
#ifndef TESS_TEST_CUNIT_MAIN_H
#define TESS_TEST_CUNIT_MAIN_H

#include <CUnit/Basic.h>

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
