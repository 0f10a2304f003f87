/*
 * faults - failure policies and time-outs through the C API, with the
 * kernels of the test_kernels module (tests/t1305-policies.t). Run it
 * alone (threads, each kernel in an executor process) or under mpirun
 * (rank 0 the engine, workers of one slot each).
 *
 *   faults RUN_DIR crash MODE POLICY [TIMEOUT]
 *       x = zeros(4); three calls "step" = crash(x, MODE, 1) with POLICY
 *       (fail, retry, cancel, ignore) and a time-out of TIMEOUT seconds
 *       (0: none): the second one crashes the way MODE says. Prints
 *       "x: V V V V" or "x: error: WHY". Then, once that is known, an
 *       independent call "later" = nap(y, 0) on y = zeros(4): prints
 *       "y: ..." the same way (it runs unless the policy stops the run).
 *   faults RUN_DIR retry MARKER
 *       "flaky" = flaky(x, MARKER) with retry (2 retries): its first run
 *       fails (creating MARKER), the next succeeds. Prints "x: ...".
 *
 *   faults RUN_DIR undefined
 *       x = 4 elements without an initial value (TESS_UNDEFINED); "fill"
 *       writes x[0:2], then "bump" = nap(x, 0) reads all of x: the unwritten
 *       x[2:4] is an error naming the array and region, not zeros.
 *   faults --silent
 *       A rank that joins the MPI job and never says a word (an MPMD
 *       worker that hangs at start): the engine must give up on it.
 *
 * Exit status as tess_mpi_main(): 1 if the run failed, else 0.
 */
#include "config.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera.h"

static void show(tess_run_t *run, const char *name, tess_data_t d)
{
    tess_error_t err;
    double v[4];
    if (tess_wait_on(run, d, v, &err) < 0)
        printf("%s: error: %s\n", name, err.text);
    else
        printf("%s: %g %g %g %g\n", name, v[0], v[1], v[2], v[3]);
    fflush(stdout);
}

static int policy_of(const char *s, tess_on_failure_t *p)
{
    static const struct {
        const char *name;
        tess_on_failure_t p;
    } t[] = {{"fail", TESS_ON_FAILURE_FAIL},
             {"retry", TESS_ON_FAILURE_RETRY},
             {"cancel", TESS_ON_FAILURE_CANCEL_SUCCESSORS},
             {"ignore", TESS_ON_FAILURE_IGNORE}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i].name) == 0) {
            *p = t[i].p;
            return 0;
        }
    return -1;
}

static int submit(tess_run_t *run, const char *kernel,
                  const tess_task_opts_t *o, int n, const tess_param_t *p)
{
    tess_error_t err;
    if (!tess_submit2(run, kernel, o, n, p, &err)) {
        fprintf(stderr, "faults: %s\n", err.text);
        return -1;
    }
    return 0;
}

static int crash_mode(tess_run_t *run, int mode, const char *policy,
                      double timeout)
{
    tess_error_t err;
    int64_t shape[1] = {4};
    tess_data_t x = tess_array(run, "x", TESS_F64, 1, shape, NULL, &err);
    tess_data_t y = tess_array(run, "y", TESS_F64, 1, shape, NULL, &err);
    tess_task_opts_t o = {.name = "step", .timeout = timeout, .retries = 1};
    if (!x || !y || policy_of(policy, &o.on_failure) < 0) {
        fprintf(stderr, "faults: bad policy '%s' or no arrays\n", policy);
        return 2;
    }
    for (int i = 0; i < 3; i++) {
        tess_param_t p[3] = {tess_inout(x), tess_int(mode), tess_int(1)};
        if (submit(run, "test_kernels:crash", &o, 3, p) < 0)
            return 2;
    }
    show(run, "x", x);
    tess_task_opts_t later = {.name = "later"};
    tess_param_t p[2] = {tess_inout(y), tess_int(0)};
    if (submit(run, "test_kernels:nap", &later, 2, p) < 0)
        return 2;
    show(run, "y", y);
    return 0;
}

static int retry_mode(tess_run_t *run, const char *marker)
{
    tess_error_t err;
    int64_t shape[1] = {4};
    tess_data_t x = tess_array(run, "x", TESS_F64, 1, shape, NULL, &err);
    tess_task_opts_t o = {.name = "flaky", .on_failure = TESS_ON_FAILURE_RETRY,
                          .retries = 2};
    tess_param_t p[2] = {tess_inout(x), tess_string(marker)};
    if (!x || submit(run, "test_kernels:flaky", &o, 2, p) < 0)
        return 2;
    show(run, "x", x);
    return 0;
}

static int undefined_mode(tess_run_t *run)
{
    tess_error_t err;
    int64_t shape[1] = {4}, start[1] = {0}, count[1] = {2};
    tess_data_t x = tess_array(run, "x", TESS_F64, 1, shape, TESS_UNDEFINED,
                               &err);
    tess_task_opts_t f = {.name = "fill"}, b = {.name = "bump"};
    tess_param_t p1[2] = {tess_region(TESS_OUT, x, 1, start, count),
                          tess_double(1.5)};
    tess_param_t p2[2] = {tess_inout(x), tess_int(0)};
    if (!x || submit(run, "test_kernels:fill", &f, 2, p1) < 0 ||
        submit(run, "test_kernels:nap", &b, 2, p2) < 0)
        return 2;
    show(run, "x", x);
    return 0;
}

static int app(tess_run_t *run, int argc, char **argv, void *arg)
{
    (void)arg;
    const char *mode = argc > 2 ? argv[2] : "";
    if (strcmp(mode, "crash") == 0 && argc > 4)
        return crash_mode(run, atoi(argv[3]), argv[4],
                          argc > 5 ? atof(argv[5]) : 0);
    if (strcmp(mode, "retry") == 0 && argc > 3)
        return retry_mode(run, argv[3]);
    if (strcmp(mode, "undefined") == 0)
        return undefined_mode(run);
    fprintf(stderr, "usage: faults RUN_DIR crash MODE POLICY [TIMEOUT] | "
            "faults RUN_DIR retry MARKER\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const tess_kernel_def_t none[] = {{NULL, NULL}};
    if (argc > 1 && strcmp(argv[1], "--silent") == 0) {
        MPI_Init(&argc, &argv);
        sleep(600); /* until the job is ended */
        MPI_Finalize();
        return 0;
    }
    tess_config_t cfg;
    tess_config_init(&cfg);
    cfg.nthreads = 1;                         /* workers of one slot */
    cfg.isolation = TESS_ISOLATION_PROCESS;   /* on threads too */
    cfg.run_dir = argc > 1 ? argv[1] : NULL;
    return tess_mpi_main(&argc, &argv, none, &cfg, app, NULL);
}
