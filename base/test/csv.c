/* test_csv: RFC 4180 records (quotes, commas and line breaks in fields,
 * CRLF, torn last records) and UTF-8 validity. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/utf8.h"

#include "base/test/cunit_main.h"

/* Read every record of @p text; the fields of record i joined by '|' go
 * into out[i]. Returns the number of records; *torn as csv_torn(). */
static int read_all(const char *text, char out[][128], int max, bool *torn,
                    size_t *lines)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    csv_reader_t *r = csv_reader_create(f);
    char **fields;
    size_t nf;
    int n = 0;
    while (n < max && csv_next(r, &fields, &nf) == 1) {
        out[n][0] = '\0';
        for (size_t i = 0; i < nf; i++) {
            if (i)
                strcat(out[n], "|");
            strcat(out[n], fields[i]);
        }
        if (lines)
            lines[n] = csv_line(r);
        n++;
    }
    *torn = csv_torn(r);
    csv_reader_destroy(r);
    fclose(f);
    return n;
}

static void test_plain_and_quoted(void)
{
    char out[8][128];
    size_t lines[8];
    bool torn;
    int n = read_all("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n"
                     "2,\"two\nlines\",\r\n\n3,,\"\"\n",
                     out, 8, &torn, lines);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_STRING_EQUAL(out[0], "a|b|c");
    CU_ASSERT_STRING_EQUAL(out[1], "1|x, y|say \"hi\"");
    CU_ASSERT_STRING_EQUAL(out[2], "2|two\nlines|");
    CU_ASSERT_STRING_EQUAL(out[3], "3||");
    CU_ASSERT_EQUAL(lines[0], 1);
    CU_ASSERT_EQUAL(lines[2], 3);
    CU_ASSERT_EQUAL(lines[3], 6); /* after the quoted line break and a blank */
    CU_ASSERT_FALSE(torn);
}

static void test_torn(void)
{
    char out[4][128];
    bool torn;
    /* a run killed in the middle of a row */
    CU_ASSERT_EQUAL(read_all("h1,h2\n1,ok\n2,fai", out, 4, &torn, NULL), 2);
    CU_ASSERT_TRUE(torn);
    CU_ASSERT_STRING_EQUAL(out[1], "1|ok");
    /* ... inside a quoted message, even after a complete-looking line */
    CU_ASSERT_EQUAL(read_all("h\n1,\"first line\nsecond\n", out, 4, &torn,
                             NULL), 1);
    CU_ASSERT_TRUE(torn);
    /* a CR without its LF is no line end */
    CU_ASSERT_EQUAL(read_all("h\n1,ok\r", out, 4, &torn, NULL), 1);
    CU_ASSERT_TRUE(torn);
    CU_ASSERT_EQUAL(read_all("h\n1,ok\r\n", out, 4, &torn, NULL), 2);
    CU_ASSERT_FALSE(torn);
    CU_ASSERT_EQUAL(read_all("", out, 4, &torn, NULL), 0);
    CU_ASSERT_FALSE(torn);
}

static void test_lenient(void)
{
    char out[4][128];
    bool torn;
    /* a bare CR inside a field, text after a closing quote */
    CU_ASSERT_EQUAL(read_all("a\rb,\"q\"x\n", out, 4, &torn, NULL), 1);
    CU_ASSERT_STRING_EQUAL(out[0], "a\rb|qx");
}

static void test_long_record(void)
{
    size_t n = 100000;
    char *text = malloc(3 * n + 2);
    for (size_t i = 0; i < n; i++)
        memcpy(text + 3 * i, "ab,", 3);
    strcpy(text + 3 * n, "\n");
    FILE *f = fmemopen(text, strlen(text), "r");
    csv_reader_t *r = csv_reader_create(f);
    char **fields;
    size_t nf;
    CU_ASSERT_EQUAL(csv_next(r, &fields, &nf), 1);
    CU_ASSERT_EQUAL(nf, n + 1);
    CU_ASSERT_STRING_EQUAL(fields[n - 1], "ab");
    CU_ASSERT_STRING_EQUAL(fields[n], "");
    CU_ASSERT_EQUAL(csv_next(r, &fields, &nf), 0);
    csv_reader_destroy(r);
    fclose(f);
    free(text);
}

static void test_write_roundtrip(void)
{
    const char *values[] = {"plain", "with, comma", "with \"quotes\"",
                            "two\nlines", "cr\r", "", NULL};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (int i = 0; values[i]; i++) {
        if (i)
            fputc(',', f);
        CU_ASSERT_EQUAL(csv_write_field(f, values[i]), 0);
    }
    fputc(',', f);
    CU_ASSERT_EQUAL(csv_write_field(f, NULL), 0);
    fputc('\n', f);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(text, "plain,\"with, comma\",\"with \"\"quotes\"\"\","
                                 "\"two\nlines\",\"cr\r\",,\n");
    f = fmemopen(text, len, "r");
    csv_reader_t *r = csv_reader_create(f);
    char **fields;
    size_t nf;
    CU_ASSERT_EQUAL(csv_next(r, &fields, &nf), 1);
    CU_ASSERT_EQUAL(nf, 7);
    for (int i = 0; values[i]; i++)
        CU_ASSERT_STRING_EQUAL(fields[i], values[i]);
    csv_reader_destroy(r);
    fclose(f);
    free(text);
}

static void test_utf8(void)
{
    CU_ASSERT_EQUAL(utf8_seq_len("a"), 1);
    CU_ASSERT_EQUAL(utf8_seq_len("\xC3\xA9"), 2);         /* é */
    CU_ASSERT_EQUAL(utf8_seq_len("\xE2\x82\xAC"), 3);     /* € */
    CU_ASSERT_EQUAL(utf8_seq_len("\xF0\x9F\x98\x80"), 4); /* emoji */
    CU_ASSERT_EQUAL(utf8_seq_len("\xC0\xAF"), 0);         /* overlong */
    CU_ASSERT_EQUAL(utf8_seq_len("\xED\xA0\x80"), 0);     /* surrogate */
    CU_ASSERT_EQUAL(utf8_seq_len("\xF4\x90\x80\x80"), 0); /* > U+10FFFF */
    CU_ASSERT_EQUAL(utf8_seq_len("\xE2\x82"), 0);         /* cut by NUL */
    CU_ASSERT_EQUAL(utf8_seq_len("\x80"), 0);
    char *s = utf8_sanitize("ok \xC3\xA9 \xFF\xE2\x82");
    CU_ASSERT_STRING_EQUAL(s, "ok \xC3\xA9 " UTF8_REPLACEMENT UTF8_REPLACEMENT
                              UTF8_REPLACEMENT);
    free(s);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("csv", NULL, NULL);
    if (!s || !CU_add_test(s, "plain and quoted", test_plain_and_quoted) ||
        !CU_add_test(s, "torn last record", test_torn) ||
        !CU_add_test(s, "lenient", test_lenient) ||
        !CU_add_test(s, "long record", test_long_record) ||
        !CU_add_test(s, "write, read back", test_write_roundtrip) ||
        !CU_add_test(s, "utf8", test_utf8))
        return -1;
    return 0;
}
