/* test_escape: user text in XML, dot and JSON, control characters and
 * bytes that are not UTF-8 included. */
#define _GNU_SOURCE
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "report/escape.h"

#include "base/test/cunit_main.h"

static char *run(void (*fn)(FILE *, const char *), const char *in)
{
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    fn(f, in);
    fclose(f);
    return out;
}

static void check(void (*fn)(FILE *, const char *), const char *in,
                  const char *want)
{
    char *got = run(fn, in);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static void test_escape(void)
{
    const char *in = "a<b>&\"c\" 'd'\n\te\x01\\ caf\xC3\xA9 \xFF!";
    check(escape_xml, in, "a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos;\n\te"
                          "\\ caf\xC3\xA9 \xEF\xBF\xBD!");
    check(escape_dot, in, "a<b>&\\\"c\\\" 'd'\\n\te\\\\ caf\xC3\xA9 "
                          "\xEF\xBF\xBD!");
    check(escape_json, in, "a<b>&\\\"c\\\" 'd'\\n\\te\\u0001\\\\ caf\xC3\xA9 "
                           "\xEF\xBF\xBD!");
    check(escape_xml, NULL, "");
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("escape", NULL, NULL);
    if (!s || !CU_add_test(s, "xml, dot, json", test_escape))
        return -1;
    return 0;
}
