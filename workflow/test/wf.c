/*
 * test_wf - unit tests of the workflow front end: expressions, loading,
 * checks and the expansion stream (captured by a recording sink).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "base/test/cunit_main.h"
#include "workflow/wf_private.h"

#ifndef WF_TEST_SRCDIR
#define WF_TEST_SRCDIR "."
#endif

static char schema_dir[4096];

/* ---------- expressions ---------- */

static int resolve(void *ctx, const char *name, size_t len, uint32_t *slot,
                   uint8_t *cls, wf_exprerr_t *e)
{
    static const char *names[] = {"a", "b", "big", "i"};
    (void)ctx;
    for (uint32_t k = 0; k < 4; k++)
        if (strlen(names[k]) == len && memcmp(names[k], name, len) == 0) {
            *slot = k;
            *cls = k == 3 ? WF_CLS_LOOP : WF_CLS_CONST;
            return 0;
        }
    snprintf(e->msg, sizeof(e->msg), "undefined name '%.*s'", (int)len, name);
    return -1;
}

static int64_t env[4] = {7, -3, INT64_MAX, 5};

/* Compile and evaluate @p text; returns 0 and *v, or -1 with *pos/msg. */
static int calc(const char *text, int64_t *v, size_t *pos, char *msg)
{
    wf_codevec_t code = {0};
    wf_expr_t x;
    wf_exprerr_t e;
    size_t n;
    int rc = wf_expr_compile(text, strlen(text), 0, 1, resolve, NULL, &code,
                             &x, &n, &e);
    if (rc == 0)
        rc = wf_expr_eval(code.v, &x, env, v, &e);
    if (rc < 0) {
        if (pos)
            *pos = e.pos;
        if (msg)
            snprintf(msg, 256, "%s", e.msg);
    }
    free(code.v);
    return rc;
}

static int64_t val(const char *text)
{
    int64_t v = 0;
    char msg[256] = "";
    if (calc(text, &v, NULL, msg) < 0)
        fprintf(stderr, "'%s': %s\n", text, msg);
    return v;
}

static void test_expr_values(void)
{
    CU_ASSERT_EQUAL(val("1 + 2 * 3"), 7);
    CU_ASSERT_EQUAL(val("(1 + 2) * 3"), 9);
    CU_ASSERT_EQUAL(val("10 - 4 - 3"), 3);          /* left associative */
    CU_ASSERT_EQUAL(val("100 / 10 / 5"), 2);
    CU_ASSERT_EQUAL(val("-7 / 2"), -3);             /* C: toward zero */
    CU_ASSERT_EQUAL(val("-7 % 2"), -1);
    CU_ASSERT_EQUAL(val("a * b"), -21);
    CU_ASSERT_EQUAL(val("--a"), 7);
    CU_ASSERT_EQUAL(val("-a + +b"), -10);
    CU_ASSERT_EQUAL(val("min(a, b)"), -3);
    CU_ASSERT_EQUAL(val("max(a, min(b, 100))"), 7);
    CU_ASSERT_EQUAL(val("max(1, 2) * min(3, 4) % 5"), 1);
    CU_ASSERT_EQUAL(val("9223372036854775807"), INT64_MAX);
    CU_ASSERT_EQUAL(val("-9223372036854775807 - 1"), INT64_MIN);
    CU_ASSERT_EQUAL(val("big - a + a"), INT64_MAX);
    CU_ASSERT_EQUAL(val(" \t(\n(a) )"), 7);
    /* the neurons fragment bounds: 45 pairs in 4 fragments */
    CU_ASSERT_EQUAL(val("3 * (45 / 4) + min(3, 45 % 4)"), 34);
}

static void expect_err(const char *text, size_t want_pos, const char *want)
{
    int64_t v;
    size_t pos = 999;
    char msg[256] = "";
    CU_ASSERT_EQUAL(calc(text, &v, &pos, msg), -1);
    CU_ASSERT_EQUAL(pos, want_pos);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
    if (pos != want_pos || !strstr(msg, want))
        fprintf(stderr, "'%s': pos %zu msg '%s'\n", text, pos, msg);
}

static void test_expr_errors(void)
{
    expect_err("1 / 0", 2, "division by zero");
    expect_err("a % (i - 5)", 2, "modulo by zero");       /* at run time */
    expect_err("big + 1", 4, "integer overflow");
    expect_err("big * 2", 4, "integer overflow");
    expect_err("0 - big - 2", 8, "integer overflow");
    expect_err("-(-9223372036854775807 - 1)", 0, "integer overflow");
    expect_err("99999999999999999999", 0, "integer literal too large");
    expect_err("a +", 3, "expression ends where a value is expected");
    expect_err("a * * b", 4, "unexpected '*' where a value is expected");
    expect_err("(a + b", 6, "expected ')'");
    expect_err("min(a)", 5, "expected ','");
    expect_err("max a", 4, "expected '('");
    expect_err("nope + 1", 0, "undefined name 'nope'");
    expect_err("a b", 2, "unexpected 'b' in expression");
    expect_err("1.5", 1, "bad number");
    expect_err("", 0, "expression ends");
    char deep[300];
    memset(deep, '(', 100);
    deep[100] = '1';
    memset(deep + 101, ')', 100);
    deep[201] = '\0';
    expect_err(deep, 64, "nested too deeply");
}

static void test_expr_fold_and_list(void)
{
    wf_codevec_t code = {0};
    wf_expr_t x[4];
    wf_exprerr_t e;
    size_t n;
    /* constants fold to one instruction; names stay loads */
    CU_ASSERT_EQUAL(wf_expr_compile("2 * (3 + 4) - 1", 15, 0, 1, resolve,
                                    NULL, &code, x, &n, &e), 0);
    CU_ASSERT_EQUAL(x[0].ncode, 1);
    CU_ASSERT_EQUAL(code.v[x[0].code].arg, 13);
    /* lists: min(a, b) keeps its comma; the class is the highest */
    const char *list = "min(a, b), i * 2, 3";
    CU_ASSERT_EQUAL(wf_expr_compile(list, strlen(list), ',', 4, resolve, NULL,
                                    &code, x, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(x[0].cls, WF_CLS_CONST);
    CU_ASSERT_EQUAL(x[1].cls, WF_CLS_LOOP);
    int64_t v;
    CU_ASSERT_EQUAL(wf_expr_eval(code.v, &x[1], env, &v, &e), 0);
    CU_ASSERT_EQUAL(v, 10);
    /* rows "a : b" */
    CU_ASSERT_EQUAL(wf_expr_compile("a : a + 2", 9, ':', 2, resolve, NULL,
                                    &code, x, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(wf_expr_compile("1, 2, 3", 7, ',', 2, resolve, NULL,
                                    &code, x, &n, &e), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "too many entries"));
    free(code.v);
}

static void test_ident(void)
{
    CU_ASSERT_TRUE(wf_is_ident("num_frags", 9));
    CU_ASSERT_TRUE(wf_is_ident("_x1", 3));
    CU_ASSERT_FALSE(wf_is_ident("1x", 2));
    CU_ASSERT_FALSE(wf_is_ident("min", 3));
    CU_ASSERT_FALSE(wf_is_ident("a-b", 3));
    CU_ASSERT_FALSE(wf_is_ident("", 0));
}

/* ---------- loading and expansion ---------- */

#define NS "https://tessera.dev/schemas/workflow/1"

/* A recording sink: one line of text per event. */
typedef struct rec {
    char buf[1 << 16];
    size_t len;
    uint64_t next;
    int fail_at; /* task seq that fails, 0: none */
    int deletes;
} rec_t;

static void add(rec_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add(rec_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (r->len < sizeof(r->buf))
        r->len += (size_t)vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len,
                                    fmt, ap);
    va_end(ap);
}

static int r_array(void *ctx, const wf_array_decl_t *d, tess_data_t *out,
                   tess_error_t *err)
{
    rec_t *r = ctx;
    (void)err;
    *out = ++r->next;
    add(r, "A %s", d->name);
    for (int k = 0; k < d->rank; k++)
        add(r, "%c%" PRId64, k ? 'x' : ' ', d->shape[k]);
    add(r, "%s;", d->local ? " L" : "");
    return 0;
}

static int r_file(void *ctx, const wf_file_decl_t *d, tess_data_t *out,
                  tess_error_t *err)
{
    rec_t *r = ctx;
    (void)err;
    *out = ++r->next;
    add(r, "F %s;", d->path);
    return 0;
}

static int r_task(void *ctx, const wf_task_call_t *c, tess_error_t *err)
{
    rec_t *r = ctx;
    if ((int)c->seq == r->fail_at)
        return tess_errprintf(err, "sink says no");
    add(r, "T %s", c->task);
    for (int i = 0; i < c->nparams; i++) {
        const tess_param_t *p = &c->params[i];
        if (p->kind == TESS_P_DATA) {
            add(r, " %d:%" PRIu64, (int)p->dir, p->data);
            for (int k = 0; k < p->rank; k++)
                add(r, "%c%" PRId64 "+%" PRId64, k ? ',' : '[', p->start[k],
                    p->count[k]);
            if (p->rank)
                add(r, "]");
        } else if (p->kind == TESS_P_INT) {
            add(r, " %" PRId64, p->value.i);
        } else if (p->kind == TESS_P_DOUBLE) {
            add(r, " %g", p->value.d);
        } else {
            add(r, " '%s'", p->value.s);
        }
    }
    if (c->arch)
        add(r, " @%s", c->arch);
    if (c->cpus != 1)
        add(r, " c%d", c->cpus);
    for (int i = 0; i < c->nimpls; i++)
        add(r, " I%s=%s", c->impls[i].arch, c->impls[i].kernel);
    add(r, "%s;", c->flags & TESS_PRIORITY ? " P" : "");
    return 0;
}

static int r_barrier(void *ctx, tess_error_t *err)
{
    (void)err;
    add(ctx, "B;");
    return 0;
}

static int r_wait(void *ctx, tess_data_t d, const char *name, int is_file,
                  tess_error_t *err)
{
    (void)err;
    add(ctx, "W %s %" PRIu64 "%s;", name, d, is_file ? " file" : "");
    return 0;
}

static int r_delete(void *ctx, tess_data_t d, tess_error_t *err)
{
    rec_t *r = ctx;
    (void)err;
    r->deletes++;
    add(r, "D %" PRIu64 ";", d);
    return 0;
}

static const wf_sink_ops_t rec_ops = {
    .declare_array = r_array, .declare_file = r_file, .task = r_task,
    .barrier = r_barrier, .wait = r_wait, .delete_data = r_delete};

/* Expand @p wf into a fresh recording (caller frees); the expansion must
 * succeed. */
static rec_t *record(wf_t *wf)
{
    tess_error_t err = {{0}};
    rec_t *r = calloc(1, sizeof(*r));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(wf_expand(wf, &rec_ops, r, &err), 0);
    return r;
}

/* The recording of @p r is @p want (both printed if not). */
static void assert_recorded(const rec_t *r, const char *want)
{
    CU_ASSERT_STRING_EQUAL(r->buf, want);
    if (strcmp(r->buf, want) != 0)
        fprintf(stderr, "\ngot:  %s\nwant: %s\n", r->buf, want);
}

static wf_t *load(const char *xml, const wf_param_override_t *ov, size_t n,
                  tess_error_t *err)
{
    wf_load_opts_t o = {.schema_dir = schema_dir};
    return wf_load2("t.xml", xml, strlen(xml), ov, n, &o, err);
}

static const char *WF1 =
    "<?xml version='1.0'?>\n"
    "<workflow xmlns='" NS "' name='w1'>\n"
    "  <param name='n' type='int' default='3'/>\n"
    "  <param name='f' type='float' default='2.5'/>\n"
    "  <param name='tag' type='string' default='run{n}'/>\n"
    "  <data>\n"
    "    <let name='m' value='n * 2'/>\n"
    "    <array name='acc' type='f64' shape='m, 4' init='zero'/>\n"
    "    <file name='log' path='log.txt'/>\n"
    "  </data>\n"
    "  <task name='k' kernel='lib:k' priority='true'>\n"
    "    <param name='x' type='array' dir='inout' elem='f64' rank='2'/>\n"
    "    <param name='tmp' type='array' dir='out'/>\n"
    "    <param name='i' type='int'/>\n"
    "    <param name='d' type='float'/>\n"
    "    <param name='s' type='string'/>\n"
    "    <param name='o' type='file' dir='out'/>\n"
    "  </task>\n"
    "  <task name='r' kernel='lib:r'>\n"
    "    <param name='in' type='file' dir='in'/>\n"
    "    <param name='out' type='file' dir='inout'/>\n"
    "  </task>\n"
    "  <results><result data='acc' dataset='sums'/></results>\n"
    "  <body>\n"
    "    <foreach var='i' from='n - 1' to='-1' step='-1'>\n"
    "      <array name='tmp' type='u8' shape='i + 1'/>\n"
    "      <call task='k'>\n"
    "        <arg data='acc' rows='2 * i : 2 * i + 2'/>\n"
    "        <arg data='tmp'/>\n"
    "        <arg value='i * 10'/>\n"
    "        <arg value='f'/>\n"
    "        <arg string='{tag}-{i}-{f}'/>\n"
    "        <arg path='part_{i % 2}.txt'/>\n"
    "      </call>\n"
    "    </foreach>\n"
    "    <foreach var='j' from='0' to='0'><barrier/></foreach>\n"
    "    <call task='r'><arg path='part_0.txt'/><arg data='log'/></call>\n"
    "    <wait data='acc'/>\n"
    "    <barrier/>\n"
    "  </body>\n"
    "</workflow>\n";

static void test_expand_stream(void)
{
    tess_error_t err = {{0}};
    wf_t *wf = load(WF1, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
    rec_t *r = record(wf);
    const char *want =
        "A acc 6x4;F log.txt;"
        "A tmp 3 L;F part_0.txt;T k 3:1[4+2,0+4] 2:3 20 2.5 'run3-2-2.5' 2:4 P;D 3;"
        "A tmp 2 L;F part_1.txt;T k 3:1[2+2,0+4] 2:5 10 2.5 'run3-1-2.5' 2:6 P;D 5;"
        "A tmp 1 L;T k 3:1[0+2,0+4] 2:7 0 2.5 'run3-0-2.5' 2:4 P;D 7;"
        "T r 1:4 3:2;W acc 1;B;";
    assert_recorded(r, want);
    /* accessors */
    CU_ASSERT_STRING_EQUAL(wf_name(wf), "w1");
    CU_ASSERT_EQUAL(wf_param_count(wf), 3);
    const char *name, *type, *value;
    CU_ASSERT_EQUAL(wf_param_get(wf, 2, &name, &type, &value), 0);
    CU_ASSERT_STRING_EQUAL(name, "tag");
    CU_ASSERT_STRING_EQUAL(type, "string");
    CU_ASSERT_STRING_EQUAL(value, "run3");
    CU_ASSERT_EQUAL(wf_param_get(wf, 3, &name, &type, &value), -1);
    CU_ASSERT_EQUAL(errno, ERANGE);
    CU_ASSERT_EQUAL(wf_result_count(wf), 1);
    CU_ASSERT_EQUAL(wf_result_get(wf, 0, &name, &value), 0);
    CU_ASSERT_STRING_EQUAL(name, "acc");
    CU_ASSERT_STRING_EQUAL(value, "sums");
    CU_ASSERT_EQUAL(wf_result_data(wf, 0), 1);
    CU_ASSERT_EQUAL(wf_kernel_lib_count(wf), 1);

    /* a second expansion gives the same stream (the wf is not consumed) */
    memset(r, 0, sizeof(*r));
    CU_ASSERT_EQUAL(wf_expand(wf, &rec_ops, r, &err), 0);
    CU_ASSERT_STRING_EQUAL(r->buf, want);

    /* a sink error stops the expansion with the call's place */
    memset(r, 0, sizeof(*r));
    r->fail_at = 2;
    CU_ASSERT_EQUAL(wf_expand(wf, &rec_ops, r, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.text, "t.xml:27:7: sink says no (in iteration i=1)");
    free(r);
    ASSERT_DESTROY_KEEPS_ERRNO(wf_destroy, wf);
}

static void test_overrides(void)
{
    tess_error_t err = {{0}};
    wf_param_override_t ov[] = {{"n", "1"}, {"tag", "x{y}"}, {"f", "-1e3"}};
    wf_t *wf = load(WF1, ov, 3, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
    rec_t *r = record(wf);
    /* string overrides are literal, not templates */
    CU_ASSERT_PTR_NOT_NULL(strstr(r->buf, "'x{y}-0--1000'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->buf, "A acc 2x4;"));
    free(r);
    wf_destroy(wf);

    wf_param_override_t bad[] = {{"n", "0"}};
    wf = load(WF1, bad, 1, &err);
    CU_ASSERT_PTR_NULL(wf);
    CU_ASSERT_STRING_EQUAL(err.text, "t.xml:8:41: dimension 0 of 'acc' is 0: "
                                     "extents must be >= 1");
    CU_ASSERT_EQUAL(errno, EINVAL);

    /* an override outside the declared range names the parameter */
    static const char ranged[] =
        "<workflow xmlns='" NS "' name='w'><param name='k' type='int' "
        "default='4' min='1' max='8'/><body/></workflow>";
    wf_param_override_t lo[] = {{"k", "-1"}}, hi[] = {{"k", "9"}},
                        ok[] = {{"k", "8"}};
    CU_ASSERT_PTR_NULL(load(ranged, lo, 1, &err));
    CU_ASSERT_STRING_EQUAL(err.text, "--param k: -1 is below its minimum 1");
    CU_ASSERT_PTR_NULL(load(ranged, hi, 1, &err));
    CU_ASSERT_STRING_EQUAL(err.text, "--param k: 9 is above its maximum 8");
    wf = load(ranged, ok, 1, &err);
    CU_ASSERT_PTR_NOT_NULL(wf);
    wf_destroy(wf);

    char arg[] = "n=7";
    wf_param_override_t o;
    CU_ASSERT_EQUAL(wf_param_override_parse(arg, &o, &err), 0);
    CU_ASSERT_STRING_EQUAL(o.name, "n");
    CU_ASSERT_STRING_EQUAL(o.value, "7");
    char bad2[] = "9x=1";
    CU_ASSERT_EQUAL(wf_param_override_parse(bad2, &o, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.text, "--param 9x: not a parameter name");
}

static void test_limits_and_dry_run(void)
{
    tess_error_t err = {{0}};
    const char *xml =
        "<workflow xmlns='" NS "' name='w'>\n"
        "  <param name='n' type='int' default='1000000'/>\n"
        "  <task name='t' kernel='l:t'><param name='i' type='int'/></task>\n"
        "  <body><foreach var='i' from='0' to='n'>"
        "<call task='t'><arg value='i'/></call></foreach></body>\n"
        "</workflow>\n";
    wf_t *wf = load(xml, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_EXPAND, &err), 0);
    CU_ASSERT_EQUAL(wf_set_expand_limit(wf, 100), 0);
    CU_ASSERT_EQUAL(wf_expand(wf, NULL, NULL, &err), -1);
    CU_ASSERT_EQUAL(errno, E2BIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "exceeds the limit of 100 steps"));
    wf_destroy(wf);
    wf_destroy(NULL);
}

/* <constraints> and <implementation>: what calls carry, and the check
 * against the workers of wf_set_resources(). */
static void test_constraints(void)
{
    tess_error_t err = {{0}};
    const char *xml =
        "<workflow xmlns='" NS "' name='w'>\n"
        "  <param name='c' type='int' default='2'/>\n"
        "  <task name='t' kernel='l:t'>\n"
        "    <param name='w' type='int'/>\n"
        "    <implementation arch='mic' kernel='l:t_mic'/>\n"
        "    <implementation arch='gpu' kernel='g:t'/>\n"
        "    <constraints cpus='c * w'/>\n"
        "  </task>\n"
        "  <task name='m' kernel='l:m'>\n"
        "    <constraints arch='mic' cpus='c'/>\n"
        "  </task>\n"
        "  <task name='plain' kernel='l:p'/>\n"
        "  <body><foreach var='i' from='1' to='3'>"
        "<call task='t'><arg value='i'/></call></foreach>"
        "<call task='m'/><call task='plain'/></body>\n"
        "</workflow>\n";
    wf_t *wf = load(xml, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
    CU_ASSERT_EQUAL(wf_kernel_lib_count(wf), 2);
    rec_t *r = record(wf);
    assert_recorded(r, "T t 1 c2 Imic=l:t_mic Igpu=g:t;"
                       "T t 2 c4 Imic=l:t_mic Igpu=g:t;"
                       "T m @mic c2;T plain;");

    /* unknown workers: nothing to check */
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_RESOURCES | WF_CHECK_EXPAND,
                                &err), 0);
    CU_ASSERT_EQUAL(wf_set_resources(wf, "default,mic", 4), 0);
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_ALL & ~WF_CHECK_KERNELS, &err), 0);
    /* the architecture constraint holds even where implementations exist */
    CU_ASSERT_EQUAL(wf_set_resources(wf, "default,gpu", 0), 0);
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_RESOURCES, &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "t.xml:9:3: task 'm' needs architecture "
                                     "'mic' but the workers have: "
                                     "default,gpu");
    /* cpus known before the expansion: at the task */
    CU_ASSERT_EQUAL(wf_set_resources(wf, NULL, 1), 0);
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_RESOURCES, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.text, "t.xml:9:3: task 'm' needs 2 cpus but "
                                     "workers have at most 1");
    /* cpus over call arguments: at the call, in the dry run */
    CU_ASSERT_EQUAL(wf_set_resources(wf, NULL, 3), 0);
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_RESOURCES, &err), 0);
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_RESOURCES | WF_CHECK_EXPAND,
                                &err), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "t.xml:13:42: task 't' needs 4 cpus but "
                                     "workers have at most 3 (in iteration "
                                     "i=2)");
    /* ... and only when asked */
    CU_ASSERT_EQUAL(wf_validate(wf, WF_CHECK_EXPAND, &err), 0);
    CU_ASSERT_EQUAL(wf_set_resources(wf, NULL, -1), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    free(r);
    wf_destroy(wf);

    static const struct {
        const char *body, *want;
    } bad[] = {
        {"<task name='t' kernel='l:t'><constraints cpus='0'/></task>",
         "t.xml:2:48: cpus must be between 1 and 1048576 (it is 0)"},
        {"<task name='t' kernel='l:t'><constraints cpus='nope'/></task>",
         "t.xml:2:48: undefined name 'nope'"},
        {"<task name='t' kernel='l:t'><param name='s' type='string'/>"
         "<constraints cpus='s'/></task>",
         "cpus may use the task's int parameters, and 's' is a string "
         "parameter"},
        {"<task name='t' kernel='l:t'><implementation arch='a' kernel='l:a'/>"
         "<implementation arch='a' kernel='l:b'/></task>",
         "t.xml:2:90: task 't' has two implementations for architecture 'a' "
         "(the first at line 2, column 29)"},
        {"<task name='t' kernel='l:t'><implementation arch='a' kernel='l:a'/>"
         "<constraints arch='b'/></task>",
         "t.xml:2:29: the implementation of 't' for architecture 'a' can "
         "never run: the task is constrained to architecture 'b'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[1024];
        snprintf(doc, sizeof(doc), "<workflow xmlns='" NS "' name='w'>\n"
                 "%s<body/></workflow>\n", bad[i].body);
        wf = load(doc, NULL, 0, &err);
        CU_ASSERT_PTR_NULL(wf);
        CU_ASSERT_EQUAL(errno, EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.text, bad[i].want));
        if (!strstr(err.text, bad[i].want))
            fprintf(stderr, "\ncase %zu: %s\n", i, err.text);
        wf_destroy(wf);
    }
}

static void test_bad_documents(void)
{
    static const struct {
        const char *xml, *want;
    } cases[] = {
        {"<workflow xmlns='" NS "' name='w'><body><barrier/></body>",
         "t.xml:1:"},
        {"<!DOCTYPE x [<!ENTITY a 'b'>]><workflow xmlns='" NS "' name='w'>"
         "<body/></workflow>",
         "t.xml:1:1: DOCTYPE declarations are not allowed"},
        {"<workflow xmlns='" NS "' name='w'>\n  <body>\n    <let name='x' "
         "value='1 / (2 - 2)'/></body></workflow>",
         "t.xml:3:28: division by zero"},
        {"<workflow xmlns='" NS "' name='w'>\n<body>\n<foreach var='i' "
         "from='0' to='3'>\n <foreach var='i' from='0' to='3'/></foreach>"
         "</body></workflow>",
         "t.xml:4:16: 'i' is already defined (as loop variable at line 3, "
         "column 15)"},
        /* declared ranges of parameters */
        {"<workflow xmlns='" NS "' name='w'>\n<param name='n' type='int' "
         "default='0' min='1'/><body/></workflow>",
         "t.xml:2:37: 0 is below its minimum 1"},
        {"<workflow xmlns='" NS "' name='w'>\n<param name='f' type='float' "
         "default='2.5' min='0' max='1'/><body/></workflow>",
         "2.5 is above its maximum 1"},
        {"<workflow xmlns='" NS "' name='w'>\n<param name='n' type='int' "
         "default='3' min='1.5'/><body/></workflow>",
         "'1.5' is not an integer"},
        {"<workflow xmlns='" NS "' name='w'>\n<param name='s' type='string' "
         "default='a' max='3'/><body/></workflow>",
         "max= applies to int and float parameters only"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tess_error_t err = {{0}};
        wf_t *wf = load(cases[i].xml, NULL, 0, &err);
        CU_ASSERT_PTR_NULL(wf);
        CU_ASSERT_EQUAL(errno, EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.text, cases[i].want));
        if (!strstr(err.text, cases[i].want))
            fprintf(stderr, "\ncase %zu: %s\n", i, err.text);
        wf_destroy(wf);
    }
    /* the size bound */
    tess_error_t err;
    wf_load_opts_t o = {.schema_dir = schema_dir, .max_bytes = 10};
    CU_ASSERT_PTR_NULL(wf_load2("t.xml", "<workflow/>", 11, NULL, 0, &o, &err));
    CU_ASSERT_EQUAL(errno, EFBIG);
    CU_ASSERT_STRING_EQUAL(err.text, "t.xml: file too large (11 bytes): "
                                     "workflow files are limited to 10 bytes");
    /* no schema */
    o = (wf_load_opts_t){.schema_dir = "/nonexistent"};
    CU_ASSERT_PTR_NULL(wf_load2("t.xml", WF1, strlen(WF1), NULL, 0, &o, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "cannot load the workflow schema"));
}

/* Sibling loops may reuse names; locals are deleted per iteration. */
static void test_scopes(void)
{
    tess_error_t err = {{0}};
    const char *xml =
        "<workflow xmlns='" NS "' name='w'>\n"
        "  <task name='t' kernel='l:t'><param name='x' type='array' "
        "dir='out'/></task>\n"
        "  <body>\n"
        "    <foreach var='i' from='0' to='2'>\n"
        "      <let name='k' value='i + 1'/>\n"
        "      <array name='a' type='i32' shape='k'/>\n"
        "      <foreach var='j' from='0' to='k'>\n"
        "        <array name='b' type='i64' shape='j + 1, k'/>\n"
        "        <call task='t'><arg data='b'/></call>\n"
        "      </foreach>\n"
        "      <call task='t'><arg data='a'/></call>\n"
        "    </foreach>\n"
        "    <foreach var='i' from='5' to='6'>\n"
        "      <let name='k' value='i'/>\n"
        "      <array name='a' type='u8' shape='k'/>\n"
        "    </foreach>\n"
        "  </body>\n"
        "</workflow>\n";
    wf_t *wf = load(xml, NULL, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
    rec_t *r = record(wf);
    assert_recorded(r, "A a 1 L;A b 1x1 L;T t 2:2;D 2;T t 2:1;D 1;"
                       "A a 2 L;A b 1x2 L;T t 2:4;D 4;A b 2x2 L;T t 2:5;D 5;"
                       "T t 2:3;D 3;A a 5 L;D 6;");
    free(r);
    wf_destroy(wf);
}

/* The schema of the source tree (TOP_SRCDIR under make check). */
static int suite_init(void)
{
    const char *src = getenv("TOP_SRCDIR");
    snprintf(schema_dir, sizeof(schema_dir), "%s/schemas",
             src && *src ? src : WF_TEST_SRCDIR);
    return 0;
}

static const cunit_test_t tests[] = {
    {"expression values", test_expr_values},
    {"expression errors", test_expr_errors},
    {"folding and lists", test_expr_fold_and_list},
    {"identifiers", test_ident},
    {"expansion stream", test_expand_stream},
    {"parameter overrides", test_overrides},
    {"limits and dry run", test_limits_and_dry_run},
    {"constraints and implementations", test_constraints},
    {"bad documents", test_bad_documents},
    {"scopes and locals", test_scopes},
    {NULL, NULL},
};

static int register_tests(void)
{
    return cunit_add_suite("wf", suite_init, NULL, tests);
}
