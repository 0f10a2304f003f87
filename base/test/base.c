/* test_base: the element-type table, name lists and the error helper. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "base/hash.h"
#include "base/namelist.h"
#include "base/sha256.h"
#include "base/types.h"
#include "tessera.h"

#include "base/test/cunit_main.h"

static void test_types(void)
{
    CU_ASSERT_EQUAL(tess_type_size(TESS_U8), 1);
    CU_ASSERT_EQUAL(tess_type_size(TESS_I32), 4);
    CU_ASSERT_EQUAL(tess_type_size(TESS_I64), 8);
    CU_ASSERT_EQUAL(tess_type_size(TESS_F32), 4);
    CU_ASSERT_EQUAL(tess_type_size(TESS_F64), 8);
    CU_ASSERT_EQUAL(tess_type_size((tess_type_t)0), 0);
    CU_ASSERT_EQUAL(tess_type_size((tess_type_t)6), 0);
    CU_ASSERT_EQUAL(tess_type_size((tess_type_t)-1), 0);
    CU_ASSERT_STRING_EQUAL(tess_type_name(TESS_F64), "f64");
    CU_ASSERT_STRING_EQUAL(tess_type_name((tess_type_t)99), "?");
    /* parse is the inverse of name, for every type */
    for (int t = TESS_U8; t <= TESS_F64; t++)
        CU_ASSERT_EQUAL(types_parse(tess_type_name((tess_type_t)t)), t);
    CU_ASSERT_EQUAL(types_parse("f128"), 0);
    CU_ASSERT_EQUAL(types_parse(""), 0);
    CU_ASSERT_EQUAL(types_parse(NULL), 0);
    CU_ASSERT_EQUAL(types_parse("?"), 0);
}

static void test_namelist_contains(void)
{
    CU_ASSERT_TRUE(namelist_contains("default,mic", "mic"));
    CU_ASSERT_TRUE(namelist_contains("default,mic", "default"));
    CU_ASSERT_TRUE(namelist_contains(" default , mic ", "mic"));
    CU_ASSERT_TRUE(namelist_contains("a,,b", "b"));
    CU_ASSERT_FALSE(namelist_contains("default,mic", "mi"));
    CU_ASSERT_FALSE(namelist_contains("default,mic", "mic2"));
    CU_ASSERT_FALSE(namelist_contains("default,mic", ""));
    CU_ASSERT_FALSE(namelist_contains("", "a"));
    CU_ASSERT_FALSE(namelist_contains(NULL, "a"));
    CU_ASSERT_FALSE(namelist_contains("Mic", "mic"));
}

static void test_namelist_add_first(void)
{
    char buf[16] = "";
    char first[8];
    CU_ASSERT_EQUAL(namelist_add(buf, sizeof(buf), "default"), 0);
    CU_ASSERT_EQUAL(namelist_add(buf, sizeof(buf), "mic"), 0);
    CU_ASSERT_EQUAL(namelist_add(buf, sizeof(buf), "default"), 0);
    CU_ASSERT_STRING_EQUAL(buf, "default,mic");
    /* "default,mic,knl" + NUL = 16 bytes fits; one more does not */
    CU_ASSERT_EQUAL(namelist_add(buf, sizeof(buf), "knl"), 0);
    CU_ASSERT_STRING_EQUAL(buf, "default,mic,knl");
    errno = 0;
    CU_ASSERT_EQUAL(namelist_add(buf, sizeof(buf), "x"), -1);
    CU_ASSERT_EQUAL(errno, ENOSPC);
    CU_ASSERT_STRING_EQUAL(buf, "default,mic,knl");
    CU_ASSERT_STRING_EQUAL(namelist_first(" mic , x", first, sizeof(first)), "mic");
    CU_ASSERT_STRING_EQUAL(namelist_first("", first, sizeof(first)), "");
    CU_ASSERT_STRING_EQUAL(namelist_first(NULL, first, sizeof(first)), "");
    CU_ASSERT_STRING_EQUAL(namelist_first("abcdefghijk", first, sizeof(first)),
                           "abcdefg");
}

static void test_errprintf(void)
{
    tess_error_t err;
    errno = EACCES;
    CU_ASSERT_EQUAL(tess_errprintf(&err, "%s:%d: %s", "f.xml", 3, "bad"), -1);
    CU_ASSERT_STRING_EQUAL(err.text, "f.xml:3: bad");
    CU_ASSERT_EQUAL(errno, EACCES); /* the caller's errno survives */
    CU_ASSERT_EQUAL(tess_errprintf(NULL, "ignored"), -1);
    char longer[2 * sizeof(err.text)];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    tess_errprintf(&err, "%s", longer);
    CU_ASSERT_EQUAL(strlen(err.text), sizeof(err.text) - 1);
}

static void test_sha256(void)
{
    /* FIPS 180-4 examples */
    static const struct {
        const char *in;
        const char *out;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        sha256_t s;
        sha256_init(&s);
        sha256_update(&s, v[i].in, strlen(v[i].in));
        sha256_final_hex(&s, hex);
        CU_ASSERT_STRING_EQUAL(hex, v[i].out);
    }
    /* a million 'a', fed in uneven pieces */
    sha256_t s;
    sha256_init(&s);
    char a[1000];
    memset(a, 'a', sizeof(a));
    for (int k = 0, n = 0; n < 1000000; k++) {
        int m = 1 + (k * 37) % 999;
        if (n + m > 1000000)
            m = 1000000 - n;
        sha256_update(&s, a, (size_t)m);
        n += m;
    }
    sha256_final_hex(&s, hex);
    CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    errno = 0;
    CU_ASSERT_EQUAL(sha256_file("/nonexistent/file", hex), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
}

/* The content hash sees every byte and the length, not the alignment. */
static void test_hash64(void)
{
    unsigned char a[80], b[88];
    for (int i = 0; i < 80; i++)
        a[i] = (unsigned char)(i * 7 + 1);
    uint64_t h = hash64(HASH64_SEED, a, 80);
    for (int off = 1; off < 8; off++) {
        memcpy(b + off, a, 80);
        CU_ASSERT_EQUAL(hash64(HASH64_SEED, b + off, 80), h);
    }
    for (int i = 0; i < 80; i++) {
        a[i] ^= 1;
        CU_ASSERT_NOT_EQUAL(hash64(HASH64_SEED, a, 80), h);
        a[i] ^= 1;
    }
    /* trailing zeros are part of the content */
    memset(b, 0, sizeof(b));
    CU_ASSERT_NOT_EQUAL(hash64(HASH64_SEED, b, 3), hash64(HASH64_SEED, b, 4));
    CU_ASSERT_NOT_EQUAL(hash64(HASH64_SEED, b, 8), hash64(HASH64_SEED, b, 16));
    CU_ASSERT_NOT_EQUAL(hash64(HASH64_SEED, b, 0), hash64(HASH64_SEED, b, 1));
}

static const cunit_test_t tests[] = {
    {"type table: sizes, names, parse", test_types},
    {"name lists: membership", test_namelist_contains},
    {"name lists: add and first", test_namelist_add_first},
    {"error helper", test_errprintf},
    {"SHA-256 test vectors", test_sha256},
    {"content hash: bytes and length, not alignment", test_hash64},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("base", NULL, NULL, tests);
}
