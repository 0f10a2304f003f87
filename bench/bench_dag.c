/*
 * bench_dag - cost of dependence analysis and of the engine per task.
 *
 * A 1-D stencil: an array of W blocks, S steps; task (s, i) reads blocks
 * i-1..i+1 of step s's array and writes block i of step s+1's (two arrays,
 * alternating), the dependence pattern of Task Bench's stencil_1d.
 *
 *   bench_dag analysis W S   analysis only: submit, then retire tasks as
 *                            they become ready, on one thread (no kernels)
 *   bench_dag threads W S T  the whole engine with T executor threads and
 *                            an empty kernel
 *
 * Prints tasks/s, ns per task, peak task records alive, engine bytes per
 * live task record and the process's peak RSS.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/dag.h"
#include "tessera.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void stencil_params(tess_param_t *p, tess_data_t src, tess_data_t dst,
                           int64_t i, int64_t w, int64_t bs)
{
    int64_t lo = i > 0 ? i - 1 : 0, hi = i + 1 < w ? i + 2 : w;
    p[0] = tess_rows(TESS_IN, src, lo * bs, hi * bs);
    p[1] = tess_rows(TESS_OUT, dst, i * bs, (i + 1) * bs);
}

static int bench_analysis(int64_t w, int64_t steps)
{
    dag_t *dag = dag_create(NULL);
    int64_t shape[1] = {w * 4};
    dag_data_t *a = dag_array(dag, "A", TESS_F64, 1, shape, NULL, NULL);
    dag_data_t *b = dag_array(dag, "B", TESS_F64, 1, shape, NULL, NULL);
    tess_param_t p[2];
    /* A window of tasks in flight, like a run with max_in_flight: retire
     * the oldest ready tasks when the window is full. */
    const uint64_t window = 1u << 16;
    uint64_t inflight = 0, n = 0;
    double t0 = now();
    for (int64_t s = 0; s < steps; s++) {
        dag_data_t *src = (s & 1) ? b : a, *dst = (s & 1) ? a : b;
        for (int64_t i = 0; i < w; i++) {
            stencil_params(p, src->id, dst->id, i, w, 4);
            if (!dag_submit(dag, 0, "k", 0, 2, p, NULL))
                return 1;
            n++;
            inflight++;
            while (inflight >= window) {
                dag_task_t *t = dag_pop_ready(dag);
                dag_complete(dag, t, 1);
                inflight--;
            }
        }
    }
    dag_task_t *t;
    while ((t = dag_pop_ready(dag)) != NULL)
        dag_complete(dag, t, 1);
    double dt = now() - t0;
    dag_stats_t st;
    dag_get_stats(dag, &st);
    printf("analysis: %llu tasks, %llu edges in %.3f s: %.0f tasks/s, "
           "%.0f ns/task; peak live tasks %llu, engine bytes %zu "
           "(%.0f B per live task at peak), peak RSS %ld KiB\n",
           (unsigned long long)n, (unsigned long long)st.edges, dt, n / dt,
           1e9 * dt / n, (unsigned long long)st.peak_live_tasks, st.bytes,
           (double)st.bytes / (double)st.peak_live_tasks, peak_rss_kb());
    dag_destroy(dag);
    return 0;
}

static int k_empty(const tess_args_t *a)
{
    (void)a;
    return 0;
}

static int bench_threads(int64_t w, int64_t steps, int threads)
{
    tess_config_t cfg;
    tess_error_t err;
    tess_config_init(&cfg);
    cfg.nthreads = threads;
    tess_run_t *run = tess_run_create(&cfg, &err);
    if (!run) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    tess_register_kernel(run, "empty", k_empty);
    int64_t shape[1] = {w * 4};
    tess_data_t a = tess_array(run, "A", TESS_F64, 1, shape, NULL, &err);
    tess_data_t b = tess_array(run, "B", TESS_F64, 1, shape, NULL, &err);
    tess_param_t p[2];
    double t0 = now();
    for (int64_t s = 0; s < steps; s++)
        for (int64_t i = 0; i < w; i++) {
            stencil_params(p, (s & 1) ? b : a, (s & 1) ? a : b, i, w, 4);
            tess_submit(run, "empty", 0, 2, p, NULL);
        }
    tess_barrier(run, &err);
    double dt = now() - t0;
    tess_stats_t st;
    tess_run_stats(run, &st);
    printf("threads(%d): %llu tasks in %.3f s: %.0f tasks/s, %.2f us/task; "
           "peak live tasks %llu, peak RSS %ld KiB\n",
           threads, (unsigned long long)st.completed, dt, st.completed / dt,
           1e6 * dt / (double)st.completed,
           (unsigned long long)st.peak_live_tasks, peak_rss_kb());
    tess_run_destroy(run, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_dag analysis W STEPS | threads W STEPS T\n");
        return 2;
    }
    int64_t w = atoll(argv[2]), steps = atoll(argv[3]);
    if (strcmp(argv[1], "analysis") == 0)
        return bench_analysis(w, steps);
    if (strcmp(argv[1], "threads") == 0)
        return bench_threads(w, steps, argc > 4 ? atoi(argv[4]) : 2);
    fprintf(stderr, "bench_dag: unknown mode '%s'\n", argv[1]);
    return 2;
}
