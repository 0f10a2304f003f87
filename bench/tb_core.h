/*
 * tb_core.h - the task graphs and the kernel of the METG benchmark, shared
 * by every implementation (Tessera, plain MPI, StarPU, and Dask through
 * ctypes), so they all run the same graph and the same object code.
 *
 * The graphs follow Task Bench (Slaughter et al., SC'20): `steps` rows of
 * at most `width` points; point p of step s depends on points of step s-1
 * given by the pattern; every task reads its predecessors' 16-byte outputs
 * and writes 16 bytes, {step, point}, which its successors check (a task
 * that ran before its inputs were written, or on an old version, fails).
 * The kernel is compute-bound and keeps its state in registers (a stack
 * array runs slower on a pthread than on a process's main thread on these
 * VMs, see platform-facts).
 */
#ifndef TESS_BENCH_TB_CORE_H
#define TESS_BENCH_TB_CORE_H

#include <stdint.h>

/* Dependence patterns (the names Task Bench uses). */
enum {
    TB_TRIVIAL = 0, /* no dependences */
    TB_STENCIL = 1, /* stencil_1d: p-1, p, p+1 */
    TB_FFT = 2,     /* fft: p - 2^k, p, p + 2^k, k cycling over log2(width) */
    TB_TREE = 3,    /* tree: width doubles each step, p depends on p/2 */
    TB_NEAREST = 4, /* nearest: the TB_RADIX points around p */
    TB_NPATTERNS
};

#define TB_RADIX 5    /* radix of the nearest pattern */
#define TB_MAX_DEPS 8 /* most dependences a task has (nearest: TB_RADIX) */
#define TB_BYTES 16   /* bytes each task writes (and each dependence moves) */

/* One task's output: what its successors check. */
typedef struct tb_out {
    int64_t step, point;
} tb_out_t;

typedef struct tb_graph {
    int pattern;
    int64_t width, steps;
    int64_t iters; /* kernel iterations per task */
} tb_graph_t;

/* Pattern by name ("stencil_1d", ...): its number, -1 if unknown. */
int tb_pattern_parse(const char *name);
/* Name of a pattern, "?" if out of range. Static string. */
const char *tb_pattern_name(int pattern);

/* Number of points of step @p step (0 if out of range); they are 0..n-1. */
int64_t tb_width_at(const tb_graph_t *g, int64_t step);
/* Points of step - 1 that point @p point of @p step reads, ascending, into
 * deps[TB_MAX_DEPS]; returns how many (0 for step 0). */
int tb_deps(const tb_graph_t *g, int64_t step, int64_t point, int64_t *deps);
/* Total number of tasks of the graph. */
int64_t tb_tasks(const tb_graph_t *g);

/* The compute kernel: @p iters iterations of register-only multiply-add
 * chains; returns their value so the work cannot be elided. */
double tb_compute(int64_t iters);

/* Run task (step, point): check that in[k] (n of them, TB_BYTES each) are
 * the outputs of the task's dependences in order, run the kernel, write
 * {step, point} to @p out. Returns 0, or -1 if an input is wrong. */
int tb_task(const tb_graph_t *g, int64_t step, int64_t point,
            const void *const *in, int n, void *out);

/* tb_task for callers that pass the inputs as one buffer of n * TB_BYTES
 * bytes (Dask through ctypes). */
int tb_task_flat(int pattern, int64_t width, int64_t iters, int64_t step,
                 int64_t point, const void *in, int n, void *out);

/* Current time of CLOCK_REALTIME in nanoseconds (comparable across the
 * processes of one machine). */
int64_t tb_now_ns(void);

/* CLOCK_MONOTONIC in seconds (wall times measured inside a program). */
double tb_seconds(void);

/* A task body of @p us microseconds: sleeping (nanosleep, the core is
 * free) if @p sleep, else busy (it keeps its core). */
void tb_busy_or_sleep(int sleep, int64_t us);

#endif
