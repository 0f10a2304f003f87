/* test_pbuf - record buffers: records round-trip, readers
 * never run past the end, corrupt buffers are detected. */
#include "config.h"

#include <string.h>

#include "proto/proto.h"
#include "base/test/cunit_main.h"

static void test_roundtrip(void)
{
    pbuf_t b;
    pbuf_init(&b);
    size_t r1 = pbuf_begin_record(&b, PROTO_TASK);
    pbuf_u64(&b, 0x1122334455667788ULL);
    pbuf_u32(&b, 7);
    pbuf_u16(&b, 65535);
    pbuf_u8(&b, 3);
    pbuf_f64(&b, -2.5);
    pbuf_str(&b, "neurons_kernels:gather");
    int64_t box[4] = {1, -2, 3000000000LL, 0};
    pbuf_i64s(&b, box, 4);
    pbuf_end_record(&b, r1);
    size_t r2 = pbuf_begin_record(&b, PROTO_SHUTDOWN);
    pbuf_end_record(&b, r2);
    CU_ASSERT_EQUAL(b.err, 0);

    preader_t r, p;
    uint8_t type;
    preader_init(&r, b.data, b.len);
    CU_ASSERT_EQUAL(preader_record(&r, &type, &p), 1);
    CU_ASSERT_EQUAL(type, PROTO_TASK);
    CU_ASSERT_EQUAL(preader_u64(&p), 0x1122334455667788ULL);
    CU_ASSERT_EQUAL(preader_u32(&p), 7);
    CU_ASSERT_EQUAL(preader_u16(&p), 65535);
    CU_ASSERT_EQUAL(preader_u8(&p), 3);
    CU_ASSERT_EQUAL(preader_f64(&p), -2.5);
    char s[64];
    preader_str(&p, s, sizeof(s));
    CU_ASSERT_STRING_EQUAL(s, "neurons_kernels:gather");
    int64_t got[4];
    preader_i64s(&p, got, 4);
    CU_ASSERT_EQUAL(memcmp(got, box, sizeof(box)), 0);
    CU_ASSERT_EQUAL(p.off, p.len); /* the record is exactly consumed */
    CU_ASSERT_EQUAL(p.err, 0);
    CU_ASSERT_EQUAL(preader_record(&r, &type, &p), 1);
    CU_ASSERT_EQUAL(type, PROTO_SHUTDOWN);
    CU_ASSERT_EQUAL(p.len, 0);
    CU_ASSERT_EQUAL(preader_record(&r, &type, &p), 0); /* end */
    pbuf_free(&b);
}

static void test_reader_bounds(void)
{
    uint8_t small[3] = {1, 2, 3};
    preader_t r;
    preader_init(&r, small, sizeof(small));
    CU_ASSERT_EQUAL(preader_u16(&r), (uint16_t)(1 | 2 << 8));
    CU_ASSERT_EQUAL(preader_u32(&r), 0); /* only 1 byte left */
    CU_ASSERT_EQUAL(r.err, 1);
    CU_ASSERT_EQUAL(preader_u8(&r), 0); /* sticky */
    CU_ASSERT_PTR_NULL(preader_bytes(&r, 1));

    /* a string whose length runs past the end */
    pbuf_t b;
    pbuf_init(&b);
    pbuf_u32(&b, 1000);
    pbuf_bytes(&b, "abc", 3);
    preader_init(&r, b.data, b.len);
    char s[16] = "x";
    preader_str(&r, s, sizeof(s));
    CU_ASSERT_EQUAL(r.err, 1);
    CU_ASSERT_STRING_EQUAL(s, "");
    pbuf_free(&b);

    /* truncation to the caller's buffer */
    pbuf_init(&b);
    pbuf_str(&b, "a-rather-long-kernel-name");
    preader_init(&r, b.data, b.len);
    preader_str(&r, s, 8);
    CU_ASSERT_STRING_EQUAL(s, "a-rathe");
    CU_ASSERT_EQUAL(r.err, 0);
    pbuf_free(&b);
}

static void test_corrupt_record(void)
{
    pbuf_t b;
    pbuf_init(&b);
    size_t rec = pbuf_begin_record(&b, PROTO_DONE);
    pbuf_u64(&b, 42);
    pbuf_end_record(&b, rec);
    /* claim a longer payload than the buffer holds */
    uint32_t bogus = 100;
    memcpy(b.data + 1, &bogus, sizeof(bogus));
    preader_t r, p;
    uint8_t type;
    preader_init(&r, b.data, b.len);
    CU_ASSERT_EQUAL(preader_record(&r, &type, &p), -1);
    /* a cut message: the record header alone */
    preader_init(&r, b.data, 3);
    CU_ASSERT_EQUAL(preader_record(&r, &type, &p), -1);
    pbuf_free(&b);
}

static void test_batching(void)
{
    pbuf_t b;
    pbuf_init(&b);
    for (uint32_t i = 0; i < 10000; i++) {
        size_t rec = pbuf_begin_record(&b, PROTO_DONE);
        pbuf_u32(&b, i);
        pbuf_str(&b, i % 2 ? "" : "failed");
        pbuf_end_record(&b, rec);
    }
    preader_t r, p;
    uint8_t type;
    uint32_t n = 0;
    preader_init(&r, b.data, b.len);
    while (preader_record(&r, &type, &p) > 0) {
        CU_ASSERT_EQUAL_FATAL(preader_u32(&p), n);
        uint32_t sl;
        preader_strref(&p, &sl);
        CU_ASSERT_EQUAL(sl, n % 2 ? 0u : 6u);
        n++;
    }
    CU_ASSERT_EQUAL(n, 10000);
    pbuf_reset(&b);
    CU_ASSERT_EQUAL(b.len, 0);
    pbuf_free(&b);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("proto", NULL, NULL);
    if (!s)
        return -1;
    CU_add_test(s, "records round-trip", test_roundtrip);
    CU_add_test(s, "readers stop at the end", test_reader_bounds);
    CU_add_test(s, "corrupt records detected", test_corrupt_record);
    CU_add_test(s, "many records in one message", test_batching);
    return 0;
}
