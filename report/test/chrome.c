/* test_chrome: an "X" event per attempt that ran with its details, worker
 * and slot names; text escaped. (The integration tests parse the JSON.) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/chrome.h"
#include "report/runrec.h"
#include "base/test/tmpdir.h"
#include "report/test/fixture.h"

#include "base/test/cunit_main.h"

static void test_fixture(void)
{
    tess_error_t err;
    char *dir = fixture_run(), path[4200];
    runrec_t *rr = runrec_load(dir, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
    snprintf(path, sizeof(path), "%s/t.json", dir);
    CU_ASSERT_EQUAL(chrome_write(rr, path, &err), 5);
    char *js = fixture_read(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(js);
    CU_ASSERT_EQUAL(fixture_count(js, "\"ph\":\"X\""), 5);
    CU_ASSERT_EQUAL(fixture_count(js, "\"name\":\"thread_name\""), 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"args\":{\"name\":\"worker 2 (n2, "
                                      "default)\"}"));
    /* task 1 started 1000 ns after the origin and ran 10 us */
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"ph\":\"X\",\"ts\":1.000,\"dur\":"
                                      "10.000,\"pid\":1,\"tid\":0,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"message\":\"bad <value>, \\\"x\\\" & "
                                      "more\\nsecond line\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"cname\":\"terrible\""));
    CU_ASSERT_PTR_NULL(strstr(js, "[\n,"));
    free(js);
    runrec_destroy(rr);
    tmpdir_remove(dir);
    free(dir);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("chrome", NULL, NULL);
    if (!s || !CU_add_test(s, "fixture run", test_fixture))
        return -1;
    return 0;
}
