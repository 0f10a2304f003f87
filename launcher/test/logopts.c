/* test_logopts - --quiet, --verbose, --log-level, --progress-interval and
 * their variables, taken out of any command's arguments. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/test/cunit_main.h"
#include "launcher/logopts.h"

static int parse(char **argv, int *argc)
{
    *argc = 0;
    while (argv[*argc])
        (*argc)++;
    return logopts_parse(argc, argv);
}

static void test_strip(void)
{
    char *argv[] = {"run", "wf.xml", "-q", "--param", "a=1", "--log-level",
                    "warn", "-n", "2", "--progress-interval", "5", "--",
                    "--verbose", NULL};
    int argc;
    unsetenv("TESS_LOG_LEVEL");
    unsetenv("TESS_PROGRESS_INTERVAL");
    CU_ASSERT_EQUAL(parse(argv, &argc), 0);
    CU_ASSERT_EQUAL(argc, 8);
    const char *want[] = {"run", "wf.xml", "--param", "a=1", "-n", "2", "--",
                          "--verbose"};
    for (int i = 0; i < 8; i++)
        CU_ASSERT_STRING_EQUAL(argv[i], want[i]);
    CU_ASSERT_PTR_NULL(argv[argc]);
    /* the last one wins; what is after "--" is not an option */
    CU_ASSERT_EQUAL(logopts_level(), LOGOPTS_WARN);
    CU_ASSERT_DOUBLE_EQUAL(logopts_progress_interval(), 5, 1e-9);
    /* exported for the ranks of a job */
    CU_ASSERT_STRING_EQUAL(getenv("TESS_LOG_LEVEL"), "warn");
    CU_ASSERT_STRING_EQUAL(getenv("TESS_PROGRESS_INTERVAL"), "5");
}

static void test_env_and_errors(void)
{
    char *a1[] = {"status", "-v", NULL};
    char *a2[] = {"status", NULL};
    char *a3[] = {"report", "--log-level", "loud", NULL};
    char *a4[] = {"report", "--progress-interval", NULL};
    char *a5[] = {"report", "--progress-interval", "-1", NULL};
    int argc;
    setenv("TESS_LOG_LEVEL", "error", 1);
    CU_ASSERT_EQUAL(parse(a1, &argc), 0);
    CU_ASSERT_EQUAL(logopts_level(), LOGOPTS_DEBUG); /* option over env */
    CU_ASSERT_EQUAL(argc, 1);
    setenv("TESS_LOG_LEVEL", "quiet", 1);
    CU_ASSERT_EQUAL(parse(a2, &argc), 0);
    CU_ASSERT_EQUAL(logopts_level(), LOGOPTS_ERROR);
    setenv("TESS_LOG_LEVEL", "shout", 1);
    CU_ASSERT_EQUAL(parse(a2, &argc), -1);
    unsetenv("TESS_LOG_LEVEL");
    CU_ASSERT_EQUAL(parse(a3, &argc), -1);
    CU_ASSERT_EQUAL(parse(a4, &argc), -1);
    CU_ASSERT_EQUAL(parse(a5, &argc), -1);
    setenv("TESS_PROGRESS_INTERVAL", "abc", 1);
    CU_ASSERT_EQUAL(parse(a2, &argc), -1);
    unsetenv("TESS_PROGRESS_INTERVAL");
    logopts_level_t l;
    CU_ASSERT_EQUAL(logopts_parse_level("debug", &l), 0);
    CU_ASSERT_EQUAL(l, LOGOPTS_DEBUG);
    CU_ASSERT_EQUAL(logopts_parse_level("Debug", &l), -1);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("logopts", NULL, NULL);
    if (!s || !CU_add_test(s, "options taken out", test_strip) ||
        !CU_add_test(s, "variables and errors", test_env_and_errors))
        return -1;
    return 0;
}
