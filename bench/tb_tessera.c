/*
 * tb_tessera - the benchmark programs for Tessera, through the public API
 * only (tessera.h), so engine rework does not break them.
 *
 *   tb_tessera --threads N [OPTIONS]       tess_run_create, N threads
 *   mpirun -np K tb_tessera [OPTIONS]      tess_mpi_main: rank 0 the engine,
 *                                          K-1 workers of --slots slots
 * OPTIONS: --slots N (MPI workers' slots, default 1), --inline-max BYTES,
 *          --run-dir DIR
 *
 * A server: it reads commands on standard input (rank 0) and answers each
 * with one line starting "tb ok" or "tb error", so the driver (bench.py)
 * can interleave it with other runtimes without paying start-up per
 * measurement. Times are measured inside, from the first submission to
 * the end of tess_barrier().
 *
 *   graph PATTERN WIDTH STEPS ITERS   a Task Bench graph (tb_core.h)
 *       -> tb ok WALL_S TASKS
 *   noop N                  N independent tasks with an empty kernel, each
 *                           reading one shared 8-byte value
 *       -> tb ok WALL_S TASKS_PER_S
 *   chain N spin|sleep US FORCE   N tasks, each reading its predecessor's
 *                           output, each spinning or sleeping US us; FORCE
 *                           1 alternates them between the workers of
 *                           architecture "a" and "b" (TESS_ARCH)
 *       -> tb ok N GAP_NS:CROSS ...   (start of task k - end of task k-1,
 *                           CROSS 1 if they ran on different processes or
 *                           threads; both times are taken in the kernels)
 *   frag BYTES FORCE        one task writes BYTES, another (on the other
 *                           worker with FORCE) reads them
 *       -> tb ok WALL_S TRANSFER_S   (consumer start - producer end)
 *   xfer STEPS BYTES        stencil_1d of width 2 whose tasks write BYTES
 *       -> tb ok WALL_S TASKS T0_NS T1_NS   (T0/T1: CLOCK_REALTIME)
 *   quit
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/tb_core.h"
#include "tessera.h"

/* ---- kernels ---- */

/* tb(OUT row, IN row..., step, point, iters, pattern, width) */
static int k_tb(const tess_args_t *a)
{
    int n = tess_args_count(a), nin = n - 6;
    int64_t step = tess_args_int(a, n - 5), point = tess_args_int(a, n - 4);
    tb_graph_t g = {(int)tess_args_int(a, n - 2), tess_args_int(a, n - 1),
                    step + 1, tess_args_int(a, n - 3)};
    const void *in[TB_MAX_DEPS];
    if (nin < 0 || nin > TB_MAX_DEPS)
        return tess_args_fail(a, "tb: %d parameters", n);
    for (int i = 0; i < nin; i++)
        in[i] = tess_args_data(a, 1 + i);
    if (tb_task(&g, step, point, in, nin, tess_args_data(a, 0)) < 0)
        return tess_args_fail(a, "tb: task (%" PRId64 ", %" PRId64
                                 ") read a wrong input", step, point);
    return 0;
}

static int k_noop(const tess_args_t *a)
{
    (void)a;
    return 0;
}

/* chain(OUT row [4], [IN previous row], kind, us): the row gets the start
 * and end times and who ran it. */
static int k_chain(const tess_args_t *a)
{
    int n = tess_args_count(a);
    int64_t *out = tess_args_data(a, 0);
    int64_t kind = tess_args_int(a, n - 2), us = tess_args_int(a, n - 1);
    out[0] = tb_now_ns();
    tb_busy_or_sleep(kind == 1, us);
    out[2] = (int64_t)getpid();
    out[3] = (int64_t)syscall(SYS_gettid);
    out[1] = tb_now_ns();
    return 0;
}

/* produce(OUT P): P[i] = i, then P[0] = the time the kernel ends */
static int k_produce(const tess_args_t *a)
{
    int64_t *p = tess_args_data(a, 0), n = tess_args_numel(a, 0);
    for (int64_t i = 1; i < n; i++)
        p[i] = i;
    p[0] = tb_now_ns();
    return 0;
}

/* consume(IN P, OUT R[4]): R = {start time, producer's end, sum ok} */
static int k_consume(const tess_args_t *a)
{
    int64_t start = tb_now_ns();
    const int64_t *p = tess_args_data(a, 0);
    int64_t n = tess_args_numel(a, 0), sum = 0;
    int64_t *r = tess_args_data(a, 1);
    for (int64_t i = 1; i < n; i++)
        sum += p[i];
    r[0] = start;
    r[1] = p[0];
    r[2] = sum == n * (n - 1) / 2;
    r[3] = 0;
    return 0;
}

/* xfer(OUT row, IN row, IN row, step, point): rows of BYTES; element 0
 * holds the step that wrote it, element 1 the point */
static int k_xfer(const tess_args_t *a)
{
    int n = tess_args_count(a);
    int64_t step = tess_args_int(a, n - 2), point = tess_args_int(a, n - 1);
    for (int i = 1; i < n - 2; i++) {
        const int64_t *in = tess_args_data(a, i);
        if (in[0] != step - 1)
            return tess_args_fail(a, "xfer: step %" PRId64 " read step %" PRId64,
                                  step, in[0]);
    }
    int64_t *out = tess_args_data(a, 0), m = tess_args_numel(a, 0);
    memset(out, 0, (size_t)m * sizeof(*out));
    out[0] = step;
    out[1] = point;
    return 0;
}

static const tess_kernel_def_t kernels[] = {
    {"tb", k_tb},           {"tb_noop", k_noop},       {"tb_chain", k_chain},
    {"tb_produce", k_produce}, {"tb_consume", k_consume}, {"tb_xfer", k_xfer},
    {NULL, NULL}};

/* ---- commands ---- */

static int fail(tess_run_t *run, const tess_error_t *err)
{
    const char *m = err && err->text[0] ? err->text : tess_run_error(run);
    printf("tb error %s\n", m && *m ? m : "unknown");
    return -1;
}

static int cmd_graph(tess_run_t *run, const char *args)
{
    char name[32];
    tb_graph_t g;
    tess_error_t err = {""};
    if (sscanf(args, "%31s %" SCNd64 " %" SCNd64 " %" SCNd64, name, &g.width,
               &g.steps, &g.iters) != 4 ||
        (g.pattern = tb_pattern_parse(name)) < 0 || g.width < 1 ||
        g.steps < 1) {
        printf("tb error usage: graph PATTERN WIDTH STEPS ITERS\n");
        return 0;
    }
    int64_t shape[2] = {g.width, 2};
    tess_data_t arr[2];
    arr[0] = tess_array(run, "tbA", TESS_I64, 2, shape, NULL, &err);
    arr[1] = tess_array(run, "tbB", TESS_I64, 2, shape, NULL, &err);
    if (!arr[0] || !arr[1])
        return fail(run, &err);
    tess_param_t p[1 + TB_MAX_DEPS + 5];
    int64_t deps[TB_MAX_DEPS];
    double t0 = tb_seconds();
    for (int64_t s = 0; s < g.steps; s++) {
        tess_data_t dst = arr[s % 2], src = arr[(s + 1) % 2];
        for (int64_t pt = 0; pt < tb_width_at(&g, s); pt++) {
            int nd = tb_deps(&g, s, pt, deps), np = 0;
            p[np++] = tess_rows(TESS_OUT, dst, pt, pt + 1);
            for (int i = 0; i < nd; i++)
                p[np++] = tess_rows(TESS_IN, src, deps[i], deps[i] + 1);
            p[np++] = tess_int(s);
            p[np++] = tess_int(pt);
            p[np++] = tess_int(g.iters);
            p[np++] = tess_int(g.pattern);
            p[np++] = tess_int(g.width);
            if (!tess_submit(run, "tb", 0, np, p, &err))
                return fail(run, &err);
        }
    }
    if (tess_barrier(run, &err) < 0)
        return fail(run, &err);
    double wall = tb_seconds() - t0;
    /* the last step's outputs name it: every dependence was honoured */
    int64_t *last = calloc((size_t)g.width * 2, sizeof(int64_t));
    if (!last || tess_wait_on(run, arr[(g.steps - 1) % 2], last, &err) < 0) {
        free(last);
        return fail(run, &err);
    }
    for (int64_t pt = 0; pt < tb_width_at(&g, g.steps - 1); pt++)
        if (last[2 * pt] != g.steps - 1 || last[2 * pt + 1] != pt) {
            free(last);
            printf("tb error point %" PRId64 " of the last step is wrong\n", pt);
            return -1;
        }
    free(last);
    tess_delete(run, arr[0]);
    tess_delete(run, arr[1]);
    printf("tb ok %.9f %" PRId64 "\n", wall, tb_tasks(&g));
    return 0;
}

static int cmd_noop(tess_run_t *run, const char *args)
{
    int64_t n = 0, one[1] = {1};
    tess_error_t err = {""};
    if (sscanf(args, "%" SCNd64, &n) != 1 || n < 1) {
        printf("tb error usage: noop N\n");
        return 0;
    }
    tess_data_t x = tess_array(run, "tbx", TESS_F64, 1, one, NULL, &err);
    if (!x)
        return fail(run, &err);
    tess_param_t p = tess_in(x);
    double t0 = tb_seconds();
    for (int64_t i = 0; i < n; i++)
        if (!tess_submit(run, "tb_noop", 0, 1, &p, &err))
            return fail(run, &err);
    if (tess_barrier(run, &err) < 0)
        return fail(run, &err);
    double wall = tb_seconds() - t0;
    tess_delete(run, x);
    printf("tb ok %.9f %.1f\n", wall, (double)n / wall);
    return 0;
}

/* Submit @p kernel with @p np params, on architecture @p arch if set. */
static int submit_on(tess_run_t *run, const char *kernel, const char *arch,
                     int np, const tess_param_t *p, tess_error_t *err)
{
    tess_task_opts_t o = {.arch = arch};
    return tess_submit2(run, kernel, &o, np, p, err) ? 0 : -1;
}

static int cmd_chain(tess_run_t *run, const char *args)
{
    int64_t n = 0, us = 0;
    int force = 0;
    char kind[16];
    tess_error_t err = {""};
    if (sscanf(args, "%" SCNd64 " %15s %" SCNd64 " %d", &n, kind, &us,
               &force) != 4 || n < 2) {
        printf("tb error usage: chain N spin|sleep US FORCE\n");
        return 0;
    }
    int64_t shape[2] = {n, 4};
    tess_data_t t = tess_array(run, "tbT", TESS_I64, 2, shape, NULL, &err);
    if (!t)
        return fail(run, &err);
    for (int64_t k = 0; k < n; k++) {
        tess_param_t p[4];
        int np = 0;
        p[np++] = tess_rows(TESS_OUT, t, k, k + 1);
        if (k > 0)
            p[np++] = tess_rows(TESS_IN, t, k - 1, k);
        p[np++] = tess_int(strcmp(kind, "sleep") == 0);
        p[np++] = tess_int(us);
        if (submit_on(run, "tb_chain", force ? (k % 2 ? "b" : "a") : NULL, np,
                      p, &err) < 0)
            return fail(run, &err);
    }
    int64_t *v = malloc((size_t)n * 4 * sizeof(int64_t));
    if (!v || tess_wait_on(run, t, v, &err) < 0) {
        free(v);
        return fail(run, &err);
    }
    printf("tb ok %" PRId64, n - 1);
    for (int64_t k = 1; k < n; k++) {
        const int64_t *a = v + 4 * (k - 1), *b = v + 4 * k;
        printf(" %" PRId64 ":%d", b[0] - a[1], a[2] != b[2] || a[3] != b[3]);
    }
    printf("\n");
    free(v);
    tess_delete(run, t);
    return 0;
}

static int cmd_frag(tess_run_t *run, const char *args)
{
    int64_t bytes = 0, four[1] = {4};
    int force = 0;
    tess_error_t err = {""};
    if (sscanf(args, "%" SCNd64 " %d", &bytes, &force) != 2 || bytes < 64) {
        printf("tb error usage: frag BYTES FORCE\n");
        return 0;
    }
    int64_t shape[1] = {bytes / 8};
    tess_data_t pd = tess_array(run, "tbP", TESS_I64, 1, shape, NULL, &err);
    tess_data_t rd = tess_array(run, "tbR", TESS_I64, 1, four, NULL, &err);
    if (!pd || !rd)
        return fail(run, &err);
    tess_param_t p[2] = {tess_out(pd)};
    double t0 = tb_seconds();
    if (submit_on(run, "tb_produce", force ? "a" : NULL, 1, p, &err) < 0)
        return fail(run, &err);
    p[0] = tess_in(pd);
    p[1] = tess_out(rd);
    if (submit_on(run, "tb_consume", force ? "b" : NULL, 2, p, &err) < 0)
        return fail(run, &err);
    int64_t r[4];
    if (tess_wait_on(run, rd, r, &err) < 0)
        return fail(run, &err);
    double wall = tb_seconds() - t0;
    tess_delete(run, pd);
    tess_delete(run, rd);
    if (!r[2]) {
        printf("tb error the consumer read wrong data\n");
        return -1;
    }
    printf("tb ok %.9f %.9f\n", wall, 1e-9 * (double)(r[0] - r[1]));
    return 0;
}

static int cmd_xfer(tess_run_t *run, const char *args)
{
    int64_t steps = 0, bytes = 0;
    tess_error_t err = {""};
    if (sscanf(args, "%" SCNd64 " %" SCNd64, &steps, &bytes) != 2 ||
        steps < 1 || bytes < 16) {
        printf("tb error usage: xfer STEPS BYTES\n");
        return 0;
    }
    int64_t shape[2] = {2, bytes / 8};
    tess_data_t arr[2];
    arr[0] = tess_array(run, "tbX0", TESS_I64, 2, shape, NULL, &err);
    arr[1] = tess_array(run, "tbX1", TESS_I64, 2, shape, NULL, &err);
    if (!arr[0] || !arr[1])
        return fail(run, &err);
    int64_t t0ns = tb_now_ns();
    double t0 = tb_seconds();
    for (int64_t s = 0; s < steps; s++)
        for (int64_t pt = 0; pt < 2; pt++) {
            tess_param_t p[5];
            int np = 0;
            p[np++] = tess_rows(TESS_OUT, arr[s % 2], pt, pt + 1);
            if (s > 0) {
                p[np++] = tess_rows(TESS_IN, arr[(s + 1) % 2], 0, 1);
                p[np++] = tess_rows(TESS_IN, arr[(s + 1) % 2], 1, 2);
            }
            p[np++] = tess_int(s);
            p[np++] = tess_int(pt);
            if (!tess_submit(run, "tb_xfer", 0, np, p, &err))
                return fail(run, &err);
        }
    if (tess_barrier(run, &err) < 0)
        return fail(run, &err);
    double wall = tb_seconds() - t0;
    tess_delete(run, arr[0]);
    tess_delete(run, arr[1]);
    /* the versions die with the data: wait for their fragments to go too,
     * so the next command's window holds only its own operations */
    tess_barrier(run, &err);
    printf("tb ok %.9f %" PRId64 " %" PRId64 " %" PRId64 "\n", wall, 2 * steps,
           t0ns, tb_now_ns());
    return 0;
}

static int serve(tess_run_t *run, int argc, char **argv, void *arg)
{
    (void)argc;
    (void)argv;
    (void)arg;
    char line[512];
    int rc = 0;
    printf("tb ready\n");
    fflush(stdout);
    while (rc == 0 && fgets(line, sizeof(line), stdin)) {
        char cmd[16] = "";
        int off = 0;
        if (sscanf(line, "%15s %n", cmd, &off) < 1)
            continue;
        const char *args = line + off;
        if (strcmp(cmd, "quit") == 0)
            break;
        else if (strcmp(cmd, "graph") == 0)
            rc = cmd_graph(run, args);
        else if (strcmp(cmd, "noop") == 0)
            rc = cmd_noop(run, args);
        else if (strcmp(cmd, "chain") == 0)
            rc = cmd_chain(run, args);
        else if (strcmp(cmd, "frag") == 0)
            rc = cmd_frag(run, args);
        else if (strcmp(cmd, "xfer") == 0)
            rc = cmd_xfer(run, args);
        else
            printf("tb error unknown command '%s'\n", cmd);
        fflush(stdout);
    }
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    tess_config_t cfg;
    int threads = 0;
    tess_config_init(&cfg);
    cfg.nthreads = 1; /* MPI: slots per worker */
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--slots") == 0)
            cfg.nthreads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--inline-max") == 0)
            cfg.inline_max = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--run-dir") == 0)
            cfg.run_dir = argv[++i];
    }
    if (threads <= 0)
        return tess_mpi_main(&argc, &argv, kernels, &cfg, serve, NULL);

    tess_error_t err;
    cfg.nthreads = threads;
    tess_run_t *run = tess_run_create(&cfg, &err);
    if (!run) {
        fprintf(stderr, "tb_tessera: %s\n", err.text);
        return 2;
    }
    for (const tess_kernel_def_t *d = kernels; d->name; d++)
        tess_register_kernel(run, d->name, d->fn);
    int rc = serve(run, argc, argv, NULL);
    if (tess_run_destroy(run, &err) < 0) {
        fprintf(stderr, "tb_tessera: %s\n", err.text);
        rc = 1;
    }
    return rc;
}
