/* test_proto - every record's encoder and decoder agree (round trips),
 * decoders refuse what is malformed without reading past a record. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "proto/proto.h"
#include "base/test/cunit_main.h"

/* The single record of b: its type and payload reader. */
static uint8_t only_record(const pbuf_t *b, preader_t *p)
{
    preader_t r;
    uint8_t type = 0;
    preader_init(&r, b->data, b->len);
    CU_ASSERT_EQUAL_FATAL(preader_record(&r, &type, p), 1);
    CU_ASSERT_EQUAL(preader_record(&r, &type, p) == 0, 1);
    preader_init(&r, b->data, b->len);
    preader_record(&r, &type, p);
    return type;
}

static void test_hello_config_kernel(void)
{
    pbuf_t b;
    preader_t p;
    pbuf_init(&b);
    proto_hello_t h = {.slots = 48, .memory_mb = 96000, .pid = 4242};
    strcpy(h.host, "n1.cluster");
    strcpy(h.arch, "mic");
    strcpy(h.node, "n1");
    strcpy(h.exe, "/opt/tessera/bin/tessera-worker-mic");
    proto_put_hello(&b, &h);
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_HELLO);
    proto_hello_t g;
    CU_ASSERT_EQUAL(proto_get_hello(&p, &g), 0);
    CU_ASSERT_EQUAL(g.bom, PROTO_BOM);
    CU_ASSERT_EQUAL(g.slots, 48);
    CU_ASSERT_EQUAL(g.memory_mb, 96000);
    CU_ASSERT_EQUAL(g.pid, 4242);
    CU_ASSERT_STRING_EQUAL(g.host, "n1.cluster");
    CU_ASSERT_STRING_EQUAL(g.arch, "mic");
    CU_ASSERT_STRING_EQUAL(g.exe, h.exe);

    pbuf_reset(&b);
    proto_config_t c = {.spin_us = 50, .flags = PROTO_CONFIG_NOSYNC};
    strcpy(c.run_dir, "/scratch/run.1");
    proto_put_config(&b, &c);
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_CONFIG);
    proto_config_t cg;
    CU_ASSERT_EQUAL(proto_get_config(&p, &cg), 0);
    CU_ASSERT_STRING_EQUAL(cg.run_dir, "/scratch/run.1");
    CU_ASSERT_EQUAL(cg.spin_us, 50);
    CU_ASSERT_EQUAL(cg.flags, PROTO_CONFIG_NOSYNC);

    pbuf_reset(&b);
    proto_put_kernel(&b, 7, "neurons_kernels:gather");
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_KERNEL);
    uint32_t idx, n;
    const char *name;
    CU_ASSERT_EQUAL(proto_get_kernel(&p, &idx, &name, &n), 0);
    CU_ASSERT_EQUAL(idx, 7);
    CU_ASSERT_EQUAL(n, strlen("neurons_kernels:gather"));
    CU_ASSERT_EQUAL(memcmp(name, "neurons_kernels:gather", n), 0);

    pbuf_reset(&b);
    proto_put_fatal(&b, "worker rank 3 on n2 cannot start: no threads");
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_FATAL);
    char why[128];
    CU_ASSERT_EQUAL(proto_get_fatal(&p, why, sizeof(why)), 0);
    CU_ASSERT_STRING_EQUAL(why, "worker rank 3 on n2 cannot start: no threads");

    pbuf_reset(&b);
    proto_bye_t y = {1, 2, 3, 4, 5, 6, 7}, yg;
    proto_put_bye(&b, &y);
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_BYE);
    CU_ASSERT_EQUAL(proto_get_bye(&p, &yg), 0);
    CU_ASSERT_EQUAL(memcmp(&y, &yg, sizeof(y)), 0);

    pbuf_reset(&b);
    pbuf_t pairs;
    pbuf_init(&pairs);
    proto_drop_pair(&pairs, 11, 2);
    proto_drop_pair(&pairs, 12, 9);
    proto_put_drops(&b, &pairs);
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_DROP);
    uint64_t id;
    uint32_t v;
    CU_ASSERT_EQUAL(proto_get_drop(&p, &id, &v), 1);
    CU_ASSERT(id == 11 && v == 2);
    CU_ASSERT_EQUAL(proto_get_drop(&p, &id, &v), 1);
    CU_ASSERT(id == 12 && v == 9);
    CU_ASSERT_EQUAL(proto_get_drop(&p, &id, &v), 0);
    pbuf_free(&pairs);

    pbuf_reset(&b);
    proto_put_wake(&b, 999000, 12000);
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_WAKE);
    uint32_t in_us = 0, spin_us = 0;
    CU_ASSERT_EQUAL(proto_get_wake(&p, &in_us, &spin_us), 0);
    CU_ASSERT(in_us == 999000 && spin_us == 12000);
    pbuf_free(&b);
}

/* A task with every kind of parameter: int, double, string, a file read
 * and one written, an array read from three pieces (zero, inline, a
 * fragment) and written. */
static void put_sample_task(pbuf_t *b, const double *whole)
{
    proto_task_t t = {.cookie = 0xabcdef, .id = 99, .kernel = 3,
                      .nparams = 6, .flags = PROTO_TASK_ISOLATE,
                      .attempt = 2, .timeout_ms = 1500, .memory_mb = 64};
    size_t rec = proto_put_task_begin(b, &t);
    proto_param_t p = {.kind = TESS_P_INT, .i = -5};
    proto_put_param(b, &p);
    p = (proto_param_t){.kind = TESS_P_DOUBLE, .d = 0.25};
    proto_put_param(b, &p);
    p = (proto_param_t){.kind = TESS_P_STRING, .str = "hello, world"};
    proto_put_param(b, &p);
    p = (proto_param_t){.kind = TESS_P_DATA, .dir = TESS_INOUT, .data_id = 4,
                        .dkind = PROTO_DATA_FILE, .path_in = "/in/a.txt",
                        .path_out = "/run/files/d4.v2.a.txt"};
    proto_put_param(b, &p);
    /* array 6x4 read whole from three row pieces, written whole */
    p = (proto_param_t){.kind = TESS_P_DATA, .dir = TESS_INOUT, .data_id = 5,
                        .dkind = PROTO_DATA_ARRAY, .type = TESS_F64,
                        .rank = 2, .box = {0, 0, 6, 4}, .nsrc = 3,
                        .out_version = 8, .out_mode = PROTO_OUT_FRAG};
    proto_put_param(b, &p);
    int64_t wbox[4] = {2, 0, 2, 4}; /* the inline version holds rows 2..3 */
    proto_src_t s0 = {.version = 0, .piece = {0, 0, 2, 4}, .loc = PROTO_LOC_ZERO};
    proto_src_t s1 = {.version = 6, .piece = {2, 0, 2, 4}, .loc = PROTO_LOC_INLINE};
    proto_src_t s2 = {.version = 7, .piece = {4, 0, 2, 4}, .loc = PROTO_LOC_FRAG};
    proto_put_src(b, &p, &s0, NULL, NULL);
    proto_put_src(b, &p, &s1, whole, wbox);
    proto_put_src(b, &p, &s2, NULL, NULL);
    proto_put_out(b, &p);
    p = (proto_param_t){.kind = TESS_P_DATA, .dir = TESS_OUT, .data_id = 6,
                        .dkind = PROTO_DATA_ARRAY, .type = TESS_I32,
                        .rank = 1, .box = {10, 5}, .out_version = 1,
                        .out_mode = PROTO_OUT_INLINE};
    proto_put_param(b, &p);
    proto_put_out(b, &p);
    proto_put_task_end(b, rec);
}

static void test_task_roundtrip(void)
{
    double whole[8];
    for (int i = 0; i < 8; i++)
        whole[i] = i + 0.5;
    pbuf_t b;
    preader_t p;
    pbuf_init(&b);
    put_sample_task(&b, whole);
    CU_ASSERT_EQUAL(b.err, 0);
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_TASK);
    proto_task_t t;
    CU_ASSERT_EQUAL(proto_peek_task(&p, &t), 0);
    CU_ASSERT_EQUAL(t.nparams, 6);
    proto_param_t pp[6];
    CU_ASSERT_EQUAL_FATAL(proto_get_task(&p, &t, pp, 6), 0);
    CU_ASSERT_EQUAL(t.cookie, 0xabcdef);
    CU_ASSERT_EQUAL(t.id, 99);
    CU_ASSERT_EQUAL(t.kernel, 3);
    CU_ASSERT_EQUAL(t.flags, PROTO_TASK_ISOLATE);
    CU_ASSERT_EQUAL(t.attempt, 2);
    CU_ASSERT_EQUAL(t.timeout_ms, 1500);
    CU_ASSERT_EQUAL(t.memory_mb, 64);
    CU_ASSERT_EQUAL(pp[0].i, -5);
    CU_ASSERT_EQUAL(pp[1].d, 0.25);
    CU_ASSERT_EQUAL(pp[2].str_len, 12);
    CU_ASSERT_EQUAL(memcmp(pp[2].str, "hello, world", 12), 0);
    CU_ASSERT_EQUAL(pp[3].dkind, PROTO_DATA_FILE);
    CU_ASSERT_EQUAL(pp[3].path_in_len, strlen("/in/a.txt"));
    CU_ASSERT_EQUAL(memcmp(pp[3].path_out, "/run/files/d4.v2.a.txt",
                           pp[3].path_out_len), 0);
    CU_ASSERT_EQUAL(pp[4].nsrc, 3);
    CU_ASSERT_EQUAL(pp[4].out_version, 8);
    CU_ASSERT_EQUAL(pp[4].out_mode, PROTO_OUT_FRAG);
    proto_src_t s;
    CU_ASSERT_EQUAL(proto_get_src(&pp[4], &s), 0);
    CU_ASSERT(s.version == 0 && s.loc == PROTO_LOC_ZERO && s.piece[2] == 2);
    CU_ASSERT_EQUAL(proto_get_src(&pp[4], &s), 0);
    CU_ASSERT(s.version == 6 && s.loc == PROTO_LOC_INLINE);
    CU_ASSERT_EQUAL(memcmp(s.bytes, whole, 8 * sizeof(double)), 0);
    CU_ASSERT_EQUAL(proto_get_src(&pp[4], &s), 0);
    CU_ASSERT(s.version == 7 && s.loc == PROTO_LOC_FRAG && s.piece[0] == 4);
    CU_ASSERT_EQUAL(pp[5].dir, TESS_OUT);
    CU_ASSERT_EQUAL(pp[5].box[0], 10);
    CU_ASSERT_EQUAL(pp[5].out_mode, PROTO_OUT_INLINE);
    /* too many parameters for the caller's room */
    preader_t p2;
    only_record(&b, &p2);
    errno = 0;
    CU_ASSERT_EQUAL(proto_get_task(&p2, &t, pp, 2), -1);
    CU_ASSERT_EQUAL(errno, E2BIG);
    pbuf_free(&b);
}

static void test_task_corrupt(void)
{
    double whole[8] = {0};
    pbuf_t b;
    pbuf_init(&b);
    put_sample_task(&b, whole);
    proto_param_t pp[6];
    proto_task_t t;
    /* every truncation of the record is refused, never read past */
    for (size_t cut = 0; cut + 5 < b.len; cut++) {
        preader_t p;
        preader_init(&p, b.data + 5, cut);
        CU_ASSERT_EQUAL(proto_get_task(&p, &t, pp, 6), -1);
    }
    /* a piece outside its parameter's box is refused */
    pbuf_t c;
    pbuf_init(&c);
    proto_task_t tt = {.nparams = 1};
    size_t rec = proto_put_task_begin(&c, &tt);
    proto_param_t p = {.kind = TESS_P_DATA, .dir = TESS_IN, .data_id = 1,
                       .dkind = PROTO_DATA_ARRAY, .type = TESS_U8, .rank = 1,
                       .box = {0, 10}, .nsrc = 1};
    proto_put_param(&c, &p);
    proto_src_t s = {.piece = {5, 10}, .loc = PROTO_LOC_FRAG};
    proto_put_src(&c, &p, &s, NULL, NULL);
    proto_put_task_end(&c, rec);
    preader_t r;
    only_record(&c, &r);
    CU_ASSERT_EQUAL(proto_get_task(&r, &t, pp, 6), -1);
    CU_ASSERT_EQUAL(errno, EPROTO);
    pbuf_free(&c);
    pbuf_free(&b);
}

static void test_done_roundtrip(void)
{
    pbuf_t b;
    preader_t p;
    pbuf_init(&b);
    int32_t vals[3] = {1, 2, 3};
    proto_outval_t outs[2] = {{.param = 1, .mode = PROTO_OUT_INLINE,
                               .bytes = vals, .len = sizeof(vals)},
                              {.param = 4, .mode = PROTO_OUT_FRAG}};
    proto_done_t d = {.cookie = 77, .state = PROTO_ST_OK, .msg = "",
                      .start_ns = 1000, .end_ns = 2000, .slot = 3,
                      .bytes_in = 10, .bytes_out = 20, .cache_hits = 1,
                      .nouts = 2};
    proto_put_done(&b, &d, outs);
    CU_ASSERT_EQUAL(only_record(&b, &p), PROTO_DONE);
    proto_done_t g;
    CU_ASSERT_EQUAL_FATAL(proto_get_done(&p, &g), 0);
    CU_ASSERT(g.cookie == 77 && g.state == PROTO_ST_OK && g.slot == 3);
    CU_ASSERT(g.start_ns == 1000 && g.end_ns == 2000 && g.nouts == 2);
    CU_ASSERT(g.bytes_in == 10 && g.bytes_out == 20 && g.cache_hits == 1);
    proto_outval_t o;
    CU_ASSERT_EQUAL(proto_get_outval(&g, &o), 0);
    CU_ASSERT(o.param == 1 && o.mode == PROTO_OUT_INLINE && o.len == 12);
    CU_ASSERT_EQUAL(memcmp(o.bytes, vals, sizeof(vals)), 0);
    CU_ASSERT_EQUAL(proto_get_outval(&g, &o), 0);
    CU_ASSERT(o.param == 4 && o.mode == PROTO_OUT_FRAG);

    /* a crash: no outputs travel, whatever nouts says */
    pbuf_reset(&b);
    d.state = PROTO_ST_CRASHED;
    d.code = 11;
    d.msg = "killed by signal 11";
    proto_put_done(&b, &d, outs);
    only_record(&b, &p);
    CU_ASSERT_EQUAL(proto_get_done(&p, &g), 0);
    CU_ASSERT(g.state == PROTO_ST_CRASHED && g.code == 11 && g.nouts == 0);
    CU_ASSERT_EQUAL(g.msg_len, strlen("killed by signal 11"));
    char text[64];
    CU_ASSERT_STRING_EQUAL(proto_state_text(PROTO_ST_CRASHED, -3, text,
                                            sizeof(text)),
                           "the kernel called exit(3)");
    CU_ASSERT_STRING_EQUAL(proto_state_text(PROTO_ST_FAILED, 2, text,
                                            sizeof(text)),
                           "kernel returned 2");
    /* truncated completions are refused */
    pbuf_reset(&b);
    d.state = PROTO_ST_OK;
    proto_put_done(&b, &d, outs);
    for (size_t cut = 0; cut + 5 < b.len; cut++) {
        preader_t t;
        preader_init(&t, b.data + 5, cut);
        CU_ASSERT_EQUAL(proto_get_done(&t, &g), -1);
    }
    pbuf_free(&b);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("proto", NULL, NULL);
    if (!s)
        return -1;
    CU_add_test(s, "HELLO, CONFIG, KERNEL, FATAL, BYE, DROP",
                test_hello_config_kernel);
    CU_add_test(s, "TASK round trip", test_task_roundtrip);
    CU_add_test(s, "TASK truncated or malformed", test_task_corrupt);
    CU_add_test(s, "DONE round trip", test_done_roundtrip);
    return 0;
}
