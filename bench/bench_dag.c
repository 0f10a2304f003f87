/*
 * bench_dag - cost of dependence analysis and of the engine per task.
 *
 * Two patterns of W * STEPS tasks:
 *   stencil  a 1-D stencil: an array of W blocks, STEPS steps; task (s, i)
 *            reads blocks i-1..i+1 of step s's array and writes block i of
 *            step s+1's (two arrays, alternating): Task Bench's stencil_1d.
 *   neurons  the neurons analysis, W * STEPS / 2 fragments: per fragment f
 *            a task reads the whole input and writes two new arrays (its
 *            fragment), then a task reads them and writes row f of the two
 *            result arrays; the fragments are deleted after their reader
 *            is submitted (as the workflow front end does).
 *
 *   bench_dag analysis W STEPS [stencil|neurons]
 *                            analysis only: submit, then retire tasks as
 *                            they become ready, on one thread (no kernels)
 *   bench_dag threads W STEPS T
 *                            the whole engine (stencil) with T executor
 *                            threads and an empty kernel
 *
 * Prints one line of key=value pairs (bench.py reads them): tasks/s, ns
 * per task, peak task records alive, engine bytes per live task record at
 * the peak (in flight), engine bytes still held once every task is done
 * (retained) and the process's peak RSS.
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

/* Submit one task of the neurons pattern: fragment f's compute task
 * (@p gather 0) or its gather (1). */
static int neurons_submit(dag_t *dag, dag_data_t *in, dag_data_t *res[2],
                          dag_data_t *frag[2], int64_t f, int gather)
{
    tess_param_t p[4];
    int np;
    if (!gather) {
        p[0] = tess_in(in->id);
        p[1] = tess_out(frag[0]->id);
        p[2] = tess_out(frag[1]->id);
        np = 3;
    } else {
        p[0] = tess_in(frag[0]->id);
        p[1] = tess_in(frag[1]->id);
        p[2] = tess_rows(TESS_OUT, res[0]->id, f, f + 1);
        p[3] = tess_rows(TESS_OUT, res[1]->id, f, f + 1);
        np = 4;
    }
    return dag_submit(dag, 0, "k", 0, np, p, NULL) ? 0 : -1;
}

static int bench_analysis(int64_t w, int64_t steps, const char *pattern)
{
    int neurons = strcmp(pattern, "neurons") == 0;
    dag_t *dag = dag_create(NULL);
    int64_t shape[1] = {w * 4};
    dag_data_t *a = dag_array(dag, "A", TESS_F64, 1, shape, NULL, NULL);
    dag_data_t *b = dag_array(dag, "B", TESS_F64, 1, shape, NULL, NULL);
    int64_t nfrags = w * steps / 2, in_shape[2] = {100, 500};
    int64_t res_shape[3] = {nfrags, 401, 2}, frag_shape[3] = {1, 401, 2};
    dag_data_t *in = NULL, *res[2] = {NULL, NULL},
               *frag[2] = {NULL, NULL};
    if (neurons) {
        in = dag_array(dag, "spikes", TESS_U8, 2, in_shape, NULL, NULL);
        res[0] = dag_array(dag, "cc_original", TESS_F64, 2, res_shape, NULL,
                           NULL);
        res[1] = dag_array(dag, "cc_surrs", TESS_F64, 3, res_shape, NULL,
                           NULL);
    }
    tess_param_t p[2];
    /* A window of tasks in flight, like a run with max_in_flight: retire
     * the oldest ready tasks when the window is full. */
    const uint64_t window = 1u << 16;
    uint64_t inflight = 0, n = 0, total = (uint64_t)(w * steps);
    double t0 = now();
    for (uint64_t k = 0; k < total; k++) {
        if (neurons) {
            int64_t f = (int64_t)(k / 2);
            if (k % 2 == 0) {
                frag[0] = dag_array(dag, "fo", TESS_F64, 2, frag_shape, NULL,
                                    NULL);
                frag[1] = dag_array(dag, "fs", TESS_F64, 3, frag_shape, NULL,
                                    NULL);
            }
            if (!frag[0] || !frag[1] ||
                neurons_submit(dag, in, res, frag, f, (int)(k % 2)) < 0)
                return 1;
            if (k % 2 == 1) {
                dag_delete(dag, frag[0]);
                dag_delete(dag, frag[1]);
            }
        } else {
            int64_t s = (int64_t)k / w, i = (int64_t)k % w;
            dag_data_t *src = (s & 1) ? b : a, *dst = (s & 1) ? a : b;
            stencil_params(p, src->id, dst->id, i, w, 4);
            if (!dag_submit(dag, 0, "k", 0, 2, p, NULL))
                return 1;
        }
        n++;
        inflight++;
        while (inflight >= window) {
            dag_task_t *t = dag_pop_ready(dag);
            dag_complete(dag, t, 1);
            inflight--;
        }
    }
    dag_task_t *t;
    while ((t = dag_pop_ready(dag)) != NULL)
        dag_complete(dag, t, 1);
    double dt = now() - t0;
    dag_stats_t st;
    dag_get_stats(dag, &st);
    /* st.bytes now: what the engine holds once every task is done (pool
     * memory is kept for reuse, so this is an upper bound) */
    printf("analysis %s: tasks=%llu edges=%llu seconds=%.3f tasks_per_s=%.0f "
           "ns_per_task=%.0f peak_live_tasks=%llu engine_bytes=%zu "
           "bytes_per_live_task=%.0f live_versions=%llu "
           "retained_bytes_per_task=%.1f peak_rss_kib=%ld\n",
           pattern, (unsigned long long)n, (unsigned long long)st.edges, dt,
           n / dt, 1e9 * dt / n, (unsigned long long)st.peak_live_tasks,
           st.bytes, (double)st.bytes / (double)st.peak_live_tasks,
           (unsigned long long)st.live_versions, (double)st.bytes / (double)n,
           peak_rss_kb());
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
    printf("threads stencil: threads=%d tasks=%llu seconds=%.3f "
           "tasks_per_s=%.0f us_per_task=%.2f peak_live_tasks=%llu "
           "peak_rss_kib=%ld\n",
           threads, (unsigned long long)st.completed, dt, st.completed / dt,
           1e6 * dt / (double)st.completed,
           (unsigned long long)st.peak_live_tasks, peak_rss_kb());
    tess_run_destroy(run, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_dag analysis W STEPS [stencil|neurons]"
                        " | threads W STEPS T\n");
        return 2;
    }
    int64_t w = atoll(argv[2]), steps = atoll(argv[3]);
    if (strcmp(argv[1], "analysis") == 0)
        return bench_analysis(w, steps, argc > 4 ? argv[4] : "stencil");
    if (strcmp(argv[1], "threads") == 0)
        return bench_threads(w, steps, argc > 4 ? atoi(argv[4]) : 2);
    fprintf(stderr, "bench_dag: unknown mode '%s'\n", argv[1]);
    return 2;
}
