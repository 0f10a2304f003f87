/* test_sandbox - kernels in executor processes: results and outputs cross
 * the process boundary; a segfault, abort(), exit(), a time-out or a
 * runaway allocation fails the call with the cause and the last stderr
 * lines, the executor is replaced, and no process is left behind. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernels/args.h"
#include "kernels/kreg.h"
#include "kernels/sandbox.h"
#include "base/test/cunit_main.h"

/* ---- kernels --------------------------------------------------------------- */

/* out[i] = in[i] * 2 + k: reads an IN buffer, writes an OUT buffer. */
static int k_twice(const tess_args_t *a)
{
    const double *in = tess_args_data(a, 0);
    double *out = tess_args_data(a, 1);
    int64_t k = tess_args_int(a, 2);
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        out[i] = in[i] * 2 + (double)k;
    return 0;
}

static int k_fail(const tess_args_t *a)
{
    return tess_args_fail(a, "bad value %d", 42);
}

static int k_fail_quiet(const tess_args_t *a)
{
    (void)a;
    fprintf(stderr, "about to fail quietly\n");
    return 7;
}

static int k_segv(const tess_args_t *a)
{
    (void)a;
    fprintf(stderr, "line one\nline two before the crash\n");
    /* a wild (not null) pointer: a real fault, which the undefined-
     * behaviour sanitizer's null check cannot intercept */
    volatile uintptr_t wild = 16; /* opaque to the compiler */
            volatile int *p = (volatile int *)wild;
    return *p;
}

static int k_abort(const tess_args_t *a)
{
    (void)a;
    abort();
}

static int k_exit3(const tess_args_t *a)
{
    (void)a;
    exit(3);
}

static int k_exit0(const tess_args_t *a)
{
    (void)a;
    _exit(0);
}

static int k_loop(const tess_args_t *a)
{
    (void)a;
    for (;;)
        pause();
    return 0;
}

static int k_hog(const tess_args_t *a)
{
    /* allocate and touch until the allocator says no */
    size_t step = (size_t)16 << 20;
    for (int i = 0; i < 100000; i++) {
        char *p = malloc(step);
        if (!p)
            return tess_args_fail(a, "out of memory after %d MiB", i * 16);
        memset(p, 1, step);
    }
    return 0;
}

static int k_pid(const tess_args_t *a)
{
    int64_t *out = tess_args_data(a, 0);
    out[0] = getpid();
    return 0;
}

/* ---- helpers ------------------------------------------------------------------ */

static kreg_t *kernels;
static sandbox_t *sb;

static int setup(void)
{
    static const struct {
        const char *n;
        tess_kernel_f f;
    } defs[] = {{"twice", k_twice}, {"fail", k_fail},
                {"fail_quiet", k_fail_quiet}, {"segv", k_segv},
                {"abort", k_abort}, {"exit3", k_exit3}, {"exit0", k_exit0},
                {"loop", k_loop}, {"hog", k_hog}, {"pid", k_pid}};
    kernels = kreg_create();
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        kreg_register(kernels, defs[i].n, defs[i].f);
    tess_error_t err;
    sandbox_config_t c = {.nslots = 2, .kernels = kernels, .processes = 1,
                          .spin_ns = 20000};
    sb = sandbox_create(&c, &err);
    if (!sb)
        return -1;
    char dir[] = "/tmp/tess-sandbox.XXXXXX";
    if (!mkdtemp(dir) || sandbox_set_log(sb, dir, "t.") < 0)
        return -1;
    return 0;
}

static int teardown(void)
{
    sandbox_destroy(sb);
    kreg_destroy(kernels);
    return 0;
}

static int alive(pid_t pid)
{
    char path[64], st = 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%*d %*s %c", &st);
    fclose(f);
    return n == 1 && st != 'Z' && st != 'X';
}

/* A call of `kernel` on slot with one int64 output and one int input. */
struct call1 {
    struct tess_arg a[3];
    struct tess_args args;
    char *msg;
    int64_t *out;
};

static sandbox_result_t call_simple(int slot, const char *kernel,
                                    uint32_t timeout_ms, int64_t memory_mb)
{
    uint8_t *at = sandbox_reserve(sb, slot, 4096, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    char *msg = (char *)at;
    msg[0] = '\0';
    int64_t *box = (int64_t *)(void *)(at + 512);
    box[0] = 0;
    box[1] = 1;
    int64_t *out = (int64_t *)(void *)(at + 1024);
    out[0] = -1;
    struct tess_arg a[2];
    memset(a, 0, sizeof(a));
    a[0].kind = TESS_P_DATA;
    a[0].dir = TESS_OUT;
    a[0].type = TESS_I64;
    a[0].rank = 1;
    a[0].start = box;
    a[0].count = box + 1;
    a[0].buf = out;
    a[1].kind = TESS_P_INT;
    a[1].value.i = 5;
    struct tess_args args = {.kernel = kernel, .task_id = 9, .n = 2, .a = a,
                             .msg = msg, .msglen = 512};
    uint32_t k;
    tess_error_t err;
    tess_kernel_f fn = kreg_resolve(kernels, kernel, &k, &err) == 0
                           ? kreg_fn(kernels, k)
                           : NULL;
    sandbox_call_t c = {.kernel = kernel, .fn = fn,
                        .args = &args, .isolate = 1, .timeout_ms = timeout_ms,
                        .memory_mb = memory_mb};
    sandbox_result_t r;
    CU_ASSERT_EQUAL(sandbox_run(sb, slot, &c, &r), 0);
    return r;
}

static const char *slot_msg(int slot)
{
    return (const char *)sandbox_reserve(sb, slot, 4096, 2);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_outputs_cross(void)
{
    /* IN buffer -> kernel in another process -> OUT buffer, both in the
     * arena; a bigger arena (remap on both sides) still works */
    for (size_t n = 4; n <= (size_t)1 << 20; n *= 64) {
        size_t bytes = n * sizeof(double);
        uint8_t *at = sandbox_reserve(sb, 0, 512 + 64 + 2 * bytes, 3);
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        char *msg = (char *)at;
        msg[0] = '\0';
        int64_t *box = (int64_t *)(void *)(at + 512);
        box[0] = 0;
        box[1] = (int64_t)n;
        double *in = (double *)(void *)(at + 576);
        double *out = in + n;
        for (size_t i = 0; i < n; i++) {
            in[i] = (double)i;
            out[i] = -1;
        }
        struct tess_arg a[3];
        memset(a, 0, sizeof(a));
        for (int i = 0; i < 2; i++) {
            a[i].kind = TESS_P_DATA;
            a[i].dir = i ? TESS_OUT : TESS_IN;
            a[i].type = TESS_F64;
            a[i].rank = 1;
            a[i].start = box;
            a[i].count = box + 1;
        }
        a[0].buf = in;
        a[1].buf = out;
        a[2].kind = TESS_P_INT;
        a[2].value.i = 3;
        struct tess_args args = {.kernel = "twice", .task_id = 1, .n = 3,
                                 .a = a, .msg = msg, .msglen = 512};
        sandbox_call_t c = {.kernel = "twice", .args = &args, .isolate = 1};
        sandbox_result_t r;
        CU_ASSERT_EQUAL(sandbox_run(sb, 0, &c, &r), 0);
        CU_ASSERT_EQUAL(r.state, SANDBOX_OK);
        int bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += out[i] != 2.0 * (double)i + 3;
        CU_ASSERT_EQUAL(bad, 0);
    }
    /* the kernel ran in another process, which stays for the next task */
    sandbox_result_t r = call_simple(1, "pid", 0, 0);
    CU_ASSERT_EQUAL(r.state, SANDBOX_OK);
    int64_t pid1 = ((int64_t *)(void *)((uint8_t *)sandbox_reserve(sb, 1, 4096, 2) + 1024))[0];
    CU_ASSERT_NOT_EQUAL(pid1, getpid());
    CU_ASSERT_EQUAL(pid1, sandbox_executor_pid(sb, 1));
    r = call_simple(1, "pid", 0, 0);
    int64_t pid2 = ((int64_t *)(void *)((uint8_t *)sandbox_reserve(sb, 1, 4096, 2) + 1024))[0];
    CU_ASSERT_EQUAL(pid1, pid2);
}

static void test_failure_message(void)
{
    sandbox_result_t r = call_simple(0, "fail", 0, 0);
    CU_ASSERT_EQUAL(r.state, SANDBOX_FAILED);
    CU_ASSERT_EQUAL(r.code, -1);
    CU_ASSERT_STRING_EQUAL(slot_msg(0), "bad value 42");
    r = call_simple(0, "fail_quiet", 0, 0);
    CU_ASSERT_EQUAL(r.state, SANDBOX_FAILED);
    CU_ASSERT_EQUAL(r.code, 7);
    CU_ASSERT_PTR_NOT_NULL(strstr(slot_msg(0), "kernel returned 7"));
    CU_ASSERT_PTR_NOT_NULL(strstr(slot_msg(0), "about to fail quietly"));
}

static void test_crashes(void)
{
    static const struct {
        const char *kernel;
        int32_t code;
        const char *text;
    } cases[] = {
        {"segv", SIGSEGV, "killed by signal 11 (Segmentation fault)"},
        {"abort", SIGABRT, "killed by signal 6 (Aborted)"},
        {"exit3", -3, "the kernel called exit(3)"},
        {"exit0", 0, "the kernel called exit(0)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pid_t before = sandbox_executor_pid(sb, 0);
        sandbox_result_t r = call_simple(0, cases[i].kernel, 0, 0);
        CU_ASSERT_EQUAL(r.state, SANDBOX_CRASHED);
        CU_ASSERT_EQUAL(r.code, cases[i].code);
        const char *m = slot_msg(0);
        if (!strstr(m, cases[i].text))
            fprintf(stderr, "\n%s: message '%s'\n", cases[i].kernel, m);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, cases[i].text));
        /* the dead executor is gone, not a zombie */
        if (before > 0)
            CU_ASSERT_FALSE(alive(before));
        CU_ASSERT_EQUAL(sandbox_executor_pid(sb, 0), 0);
        /* and the slot works again with a new one */
        r = call_simple(0, "pid", 0, 0);
        CU_ASSERT_EQUAL(r.state, SANDBOX_OK);
    }
    /* the segfault's message quotes the kernel's last stderr lines */
    call_simple(0, "segv", 0, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(slot_msg(0), "line two before the crash"));
    CU_ASSERT_EQUAL(sandbox_crashes(sb) >= 5, 1);
}

static void test_timeout(void)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t before;
    call_simple(1, "pid", 0, 0);
    before = sandbox_executor_pid(sb, 1);
    sandbox_result_t r = call_simple(1, "loop", 300, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    CU_ASSERT_EQUAL(r.state, SANDBOX_TIMEOUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(slot_msg(1), "timed out after 0.3 s"));
    CU_ASSERT(s >= 0.3 && s < 5);
    CU_ASSERT_FALSE(alive(before));
    r = call_simple(1, "pid", 0, 0);
    CU_ASSERT_EQUAL(r.state, SANDBOX_OK);
}

static void test_memory_limit(void)
{
    /* 64 MiB allowed: the allocator refuses soon, the kernel reports it,
     * instead of eating the machine */
    sandbox_result_t r = call_simple(0, "hog", 0, 64);
    CU_ASSERT(r.state == SANDBOX_FAILED || r.state == SANDBOX_CRASHED);
    if (r.state == SANDBOX_FAILED)
        CU_ASSERT_PTR_NOT_NULL(strstr(slot_msg(0), "out of memory after"));
    /* the next task has its own (default: no) limit */
    r = call_simple(0, "pid", 0, 0);
    CU_ASSERT_EQUAL(r.state, SANDBOX_OK);
}

static void test_unknown_kernel(void)
{
    sandbox_result_t r = call_simple(1, "no_such_kernel", 0, 0);
    CU_ASSERT_EQUAL(r.state, SANDBOX_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(slot_msg(1), "no_such_kernel"));
}

static void test_inproc(void)
{
    tess_error_t err;
    sandbox_config_t c = {.nslots = 1, .kernels = kernels, .processes = 0};
    sandbox_t *s = sandbox_create(&c, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sandbox_isolates(s), 0);
    CU_ASSERT_EQUAL(sandbox_zygote_pid(s), 0);
    int64_t out = 0, box[2] = {0, 1};
    char msg[64] = "";
    struct tess_arg a[1];
    memset(a, 0, sizeof(a));
    a[0].kind = TESS_P_DATA;
    a[0].dir = TESS_OUT;
    a[0].type = TESS_I64;
    a[0].rank = 1;
    a[0].start = box;
    a[0].count = box + 1;
    a[0].buf = &out;
    struct tess_args args = {.kernel = "pid", .n = 1, .a = a, .msg = msg,
                             .msglen = sizeof(msg)};
    sandbox_call_t call = {.kernel = "pid", .fn = k_pid, .args = &args,
                           .isolate = 1};
    sandbox_result_t r;
    CU_ASSERT_EQUAL(sandbox_run(s, 0, &call, &r), 0);
    CU_ASSERT_EQUAL(r.state, SANDBOX_OK);
    CU_ASSERT_EQUAL(out, getpid()); /* ran here: no processes */
    sandbox_destroy(s);
}

static void test_no_process_left(void)
{
    tess_error_t err;
    sandbox_config_t c = {.nslots = 2, .kernels = kernels, .processes = 1};
    sandbox_t *s = sandbox_create(&c, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    sandbox_t *keep = sb;
    sb = s;
    call_simple(0, "pid", 0, 0);
    call_simple(1, "pid", 0, 0);
    pid_t z = sandbox_zygote_pid(s), e0 = sandbox_executor_pid(s, 0),
          e1 = sandbox_executor_pid(s, 1);
    CU_ASSERT(z > 0 && e0 > 0 && e1 > 0);
    CU_ASSERT(alive(z) && alive(e0) && alive(e1));
    sandbox_destroy(s);
    sb = keep;
    /* executors exit on EOF, the zygote is reaped by destroy */
    for (int i = 0; i < 200 && (alive(e0) || alive(e1)); i++)
        usleep(10000);
    CU_ASSERT_FALSE(alive(z));
    CU_ASSERT_FALSE(alive(e0));
    CU_ASSERT_FALSE(alive(e1));
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("sandbox", setup, teardown);
    if (!s)
        return -1;
    CU_add_test(s, "outputs cross the process boundary", test_outputs_cross);
    CU_add_test(s, "failure messages", test_failure_message);
    CU_add_test(s, "segfault, abort, exit: the task fails, the slot lives",
                test_crashes);
    CU_add_test(s, "time-out kills the executor", test_timeout);
    CU_add_test(s, "memory limit", test_memory_limit);
    CU_add_test(s, "unknown kernel", test_unknown_kernel);
    CU_add_test(s, "in-process mode", test_inproc);
    CU_add_test(s, "no process left behind", test_no_process_left);
    return 0;
}
