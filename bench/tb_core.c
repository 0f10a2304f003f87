/* tb_core.c - Task Bench graphs and kernel (see tb_core.h). */
#include "config.h"

#include <string.h>
#include <time.h>

#include "bench/tb_core.h"

static const char *const tb_names[TB_NPATTERNS] = {
    "trivial", "stencil_1d", "fft", "tree", "nearest"};

int tb_pattern_parse(const char *name)
{
    for (int i = 0; i < TB_NPATTERNS; i++)
        if (strcmp(name, tb_names[i]) == 0)
            return i;
    return -1;
}

const char *tb_pattern_name(int pattern)
{
    return pattern >= 0 && pattern < TB_NPATTERNS ? tb_names[pattern] : "?";
}

int64_t tb_width_at(const tb_graph_t *g, int64_t step)
{
    if (step < 0 || step >= g->steps)
        return 0;
    if (g->pattern == TB_TREE && step < 62 && ((int64_t)1 << step) < g->width)
        return (int64_t)1 << step;
    return g->width;
}

/* ceil(log2(width)), at least 1: the number of FFT butterfly distances. */
static int fft_sets(int64_t width)
{
    int n = 0;
    while (((int64_t)1 << n) < width)
        n++;
    return n ? n : 1;
}

/* Points lo..hi clipped to the previous step's points. */
static int dep_range(int64_t lo, int64_t hi, int64_t prev, int64_t *deps)
{
    int n = 0;
    if (lo < 0)
        lo = 0;
    for (int64_t p = lo; p <= hi && p < prev && n < TB_MAX_DEPS; p++)
        deps[n++] = p;
    return n;
}

int tb_deps(const tb_graph_t *g, int64_t step, int64_t point, int64_t *deps)
{
    int64_t prev = tb_width_at(g, step - 1);
    if (step <= 0 || point >= tb_width_at(g, step))
        return 0;
    switch (g->pattern) {
    case TB_STENCIL:
        return dep_range(point - 1, point + 1, prev, deps);
    case TB_NEAREST:
        return dep_range(point - TB_RADIX / 2, point + (TB_RADIX - 1) / 2,
                         prev, deps);
    case TB_TREE:
        deps[0] = point / 2;
        return 1;
    case TB_FFT: {
        /* Task Bench's butterfly: the distance cycles through 2^k */
        int sets = fft_sets(g->width);
        int64_t d = (int64_t)1 << ((step + sets - 1) % sets);
        int n = 0;
        if (point - d >= 0)
            deps[n++] = point - d;
        deps[n++] = point;
        if (point + d < prev)
            deps[n++] = point + d;
        return n;
    }
    default:
        return 0;
    }
}

int64_t tb_tasks(const tb_graph_t *g)
{
    int64_t n = 0;
    for (int64_t s = 0; s < g->steps; s++)
        n += tb_width_at(g, s);
    return n;
}

/* Four independent multiply-add chains in registers: the loop's speed is
 * the latency of one multiply and one add, on any thread. noinline: every
 * implementation calls the same code. */
__attribute__((noinline)) double tb_compute(int64_t iters)
{
    double a = 1.0, b = 1.5, c = 2.0, d = 2.5;
    const double m = 0.9999999, k = 1e-7;
    for (int64_t i = 0; i < iters; i++) {
        a = a * m + k;
        b = b * m + k;
        c = c * m + k;
        d = d * m + k;
    }
    return a + b + c + d;
}

int tb_task(const tb_graph_t *g, int64_t step, int64_t point,
            const void *const *in, int n, void *out)
{
    int64_t deps[TB_MAX_DEPS];
    int nd = tb_deps(g, step, point, deps);
    if (nd != n)
        return -1;
    for (int i = 0; i < n; i++) {
        tb_out_t v;
        memcpy(&v, in[i], sizeof(v));
        if (v.step != step - 1 || v.point != deps[i])
            return -1;
    }
    double r = tb_compute(g->iters);
    /* r is never negative: the test keeps the kernel's result alive */
    tb_out_t o = {step, r < 0 ? -1 : point};
    memcpy(out, &o, sizeof(o));
    return 0;
}

int tb_task_flat(int pattern, int64_t width, int64_t iters, int64_t step,
                 int64_t point, const void *in, int n, void *out)
{
    tb_graph_t g = {pattern, width, step + 1, iters};
    const void *ptr[TB_MAX_DEPS];
    if (n < 0 || n > TB_MAX_DEPS)
        return -1;
    for (int i = 0; i < n; i++)
        ptr[i] = (const char *)in + (size_t)i * TB_BYTES;
    return tb_task(&g, step, point, ptr, n, out);
}

int64_t tb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double tb_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tb_busy_or_sleep(int sleep, int64_t us)
{
    if (sleep) {
        struct timespec ts = {(time_t)(us / 1000000),
                              (long)(us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        return;
    }
    int64_t end = tb_now_ns() + us * 1000;
    while (tb_now_ns() < end)
        ;
}
