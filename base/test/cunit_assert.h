/*
 * cunit_assert.h - assertions the unit tests of the tree share beyond
 * CUnit's own.
 */
#ifndef TESS_TEST_CUNIT_ASSERT_H
#define TESS_TEST_CUNIT_ASSERT_H

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

/* @p text (a message for a person) contains @p part; on failure both are
 * printed, since CUnit shows only the expression. */
#define ASSERT_HAS(text, part)                                              \
    do {                                                                    \
        CU_ASSERT_PTR_NOT_NULL(strstr((text), (part)));                     \
        if (!strstr((text), (part)))                                        \
            fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", (text),     \
                    (part));                                                \
    } while (0)

#endif
