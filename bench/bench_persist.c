/* bench_persist.c - persistent objects inside runs (docs/store.md,
 * "Figures"), each figure against a baseline measured in the same run.
 *
 * usage: [mpirun -np K] bench_persist [-d DIR] [-n COMMITS] [-i BLOCKS]
 *                                     [-b READ_BLOCKS] [-r ROUNDS]
 * With one rank, tasks run on threads of the process; with K ranks, rank
 * 0 is the engine and the others are workers (tess_mpi_main).
 *
 * 1. Block commit latency inside a run: COMMITS tasks each write a block
 *    (tess_block(TESS_OUT)) and stamp its first element with the time
 *    (CLOCK_REALTIME) just before the kernel returns; a consumer thread of
 *    this process iterates over the object with its own store handles
 *    (tess_store_blocks, TESS_STORE_WAIT) and notes when each block
 *    appears. Latency = seen - stamp: the task's end travelling to the
 *    engine, the commit, and the consumer noticing it. 8 KiB blocks
 *    (values held by the engine: written by the store) and 1 MiB blocks
 *    (fragment files of the workers: hard-linked). Baseline: the same
 *    commit made by a program itself (tess_store_put), in the same store.
 * 2. The cost of iterating BLOCKS blocks (default 10^5) of a complete
 *    object in a run (tess_blocks_next: each block becomes a version of
 *    the run, its file linked into the run directory), without and with
 *    one task per block; baselines: the store's own iteration
 *    (tess_store_next) and a run submitting the same number of tasks on
 *    regions of an ordinary array (its value one fragment file).
 * 3. Read bandwidth of blocks by tasks: READ_BLOCKS blocks of 4 MiB, one
 *    task per block summing it (the worker reads the block's file where it
 *    is), against tasks reading the same rows from one plain HDF5 file
 *    (the kernel calls HDF5 itself: what a program without the store
 *    does); page cache hot and cold, interleaved, median over ROUNDS.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "bench/benchutil.h"
#include "tessera.h"

#define COLS 1024
#define MIB ((size_t)1 << 20)


static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_persist: %s: %s\n", what, msg);
    exit(1);
}



/* ---- kernels (registered on every rank) ------------------------------- */

/* stamp(OUT block): values, then the time in its first element */
static int k_stamp(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    int64_t n = tess_args_numel(a, 0);
    for (int64_t i = 1; i < n; i++)
        x[i] = (double)i;
    x[0] = wall();
    return 0;
}

static int k_noop(const tess_args_t *a)
{
    (void)a;
    return 0;
}

/* sum(IN x, OUT s[1]) */
static int k_sum(const tess_args_t *a)
{
    const double *x = tess_args_data(a, 0);
    double t = 0;
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        t += x[i];
    *(double *)tess_args_data(a, 1) = t;
    return 0;
}

/* h5sum(string path, int row0, int rows, OUT s[1]): the rows of /data of
 * a plain HDF5 file, read with HDF5 by the kernel, summed */
static int k_h5sum(const tess_args_t *a)
{
    int64_t r0 = tess_args_int(a, 1), rows = tess_args_int(a, 2);
    double *buf = malloc((size_t)rows * COLS * sizeof(double)), t = 0;
    hid_t f = H5Fopen(tess_args_string(a, 0), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f < 0 ? -1 : H5Dopen2(f, "/data", H5P_DEFAULT);
    hid_t fs = d < 0 ? -1 : H5Dget_space(d);
    hsize_t start[2] = {(hsize_t)r0, 0}, count[2] = {(hsize_t)rows, COLS};
    hid_t ms = H5Screate_simple(2, count, NULL);
    int ok = buf && fs >= 0 &&
             H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count,
                                 NULL) >= 0 &&
             H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) >= 0;
    for (int64_t i = 0; ok && i < rows * COLS; i++)
        t += buf[i];
    H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    free(buf);
    *(double *)tess_args_data(a, 3) = t;
    if (!ok)
        return tess_args_fail(a, "cannot read %s", tess_args_string(a, 0));
    return 0;
}

static const tess_kernel_def_t kernels[] = {
    {"stamp", k_stamp}, {"noop", k_noop}, {"sum", k_sum},
    {"h5sum", k_h5sum}, {NULL, NULL}};

/* ---- the benchmark ----------------------------------------------------- */

struct opts {
    char dir[PATH_MAX / 2];
    int commits, read_blocks, rounds;
    long iter_blocks;
    tess_store_t *st;
};

struct watcher {
    tess_store_t *st;
    const char *name;
    int n;
    size_t elems;
    double *lat;  /* seen - stamp, per block */
    pthread_t th;
};

/* The consumer: its own handles, waiting for blocks in any order. */
static void *watch_blocks(void *arg)
{
    struct watcher *w = arg;
    tess_error_t err;
    tess_store_obj_t *o = tess_store_obj_open(w->st, w->name, 60, &err);
    tess_store_iter_t *it = o ? tess_store_blocks(o, TESS_STORE_WAIT, 60,
                                                  &err)
                              : NULL;
    double *buf = malloc(w->elems * sizeof(double));
    tess_store_block_t b;
    int k = 0;
    if (!it || !buf)
        die(w->name, err.text);
    while (k < w->n && tess_store_next(it, &b, &err) == 1) {
        double seen = wall();
        if (tess_store_read(o, b.id, buf, &err) < 0)
            die(w->name, err.text);
        if (b.id >= 0 && b.id < w->n)
            w->lat[b.id] = seen - buf[0];
        k++;
    }
    if (k < w->n)
        die(w->name, err.text);
    free(buf);
    tess_store_iter_destroy(it);
    tess_store_obj_close(o);
    return NULL;
}

static void commit_latency(tess_run_t *run, struct opts *o, size_t bytes,
                           const char *name)
{
    tess_error_t err;
    int64_t rows = (int64_t)(bytes / 8 / COLS) ? (int64_t)(bytes / 8 / COLS)
                                               : 1;
    int64_t cols = bytes / 8 < COLS ? (int64_t)(bytes / 8) : COLS;
    int64_t shape[2] = {rows * o->commits, cols};
    tess_store_spec_t spec = {TESS_F64, 2, shape, o->commits, "bench_persist",
                              NULL, NULL, 0};
    tess_data_t obj = tess_persist_create(run, o->st, name, &spec, &err);
    if (!obj)
        die(name, err.text);
    struct watcher w = {o->st, name, o->commits, (size_t)(rows * cols),
                        calloc((size_t)o->commits, sizeof(double)), 0};
    pthread_create(&w.th, NULL, watch_blocks, &w);
    /* one task at a time (the latency), then all at once (the rate) */
    int half = o->commits / 2;
    double t0 = 0;
    for (int b = 0; b < o->commits; b++) {
        tess_block_t blk;
        int64_t start[2] = {rows * b, 0}, count[2] = {rows, cols};
        if (b == half)
            t0 = bench_now();
        if (tess_block_new(run, obj, b, start, count, &blk, &err) < 0)
            die(name, err.text);
        TESS_SUBMIT(run, "stamp", 0, tess_block(TESS_OUT, &blk));
        if (b < half && tess_barrier(run, &err) < 0)
            die(name, err.text);
    }
    if (tess_persist_complete(run, obj, &err) < 0)
        die(name, err.text);
    double burst = bench_now() - t0;
    pthread_join(w.th, NULL);
    /* baseline: the program commits the same blocks itself */
    char base[200];
    snprintf(base, sizeof(base), "%s.put", name);
    tess_store_obj_t *p = tess_store_create(o->st, base, &spec, &err);
    double *buf = calloc((size_t)(rows * cols), sizeof(double));
    double *put = calloc((size_t)o->commits, sizeof(double));
    for (int b = 0; p && buf && b < o->commits; b++) {
        int64_t start[2] = {rows * b, 0}, count[2] = {rows, cols};
        double t1 = bench_now();
        if (tess_store_put(p, b, start, count, buf, &err) < 0)
            die(base, err.text);
        put[b] = bench_now() - t1;
    }
    tess_store_obj_close(p);
    printf("commit %-5s blocks in a run, one at a time: seen %.3f ms "
           "after the task's end (median), p99 %.3f ms; %d at once: %.0f "
           "blocks/s; tess_store_put by a program %.3f ms (median), p99 "
           "%.3f ms\n", bytes >= MIB ? "1 MiB" : "8 KiB",
           1e3 * bench_quantile(w.lat, half, 0.5),
           1e3 * bench_quantile(w.lat, half, 0.99), o->commits - half,
           (double)(o->commits - half) / burst,
           1e3 * bench_quantile(put, o->commits, 0.5),
           1e3 * bench_quantile(put, o->commits, 0.99));
    free(w.lat);
    free(buf);
    free(put);
}

static void iterate(tess_run_t *run, struct opts *o)
{
    tess_error_t err;
    long n = o->iter_blocks;
    int64_t shape[1] = {n};
    tess_store_spec_t spec = {TESS_F64, 1, shape, n, "bench_persist", NULL,
                              NULL, TESS_STORE_NOSYNC};
    tess_store_obj_t *p = tess_store_create(o->st, "Many", &spec, &err);
    if (!p)
        die("Many", err.text);
    for (long b = 0; b < n; b++) {
        int64_t start = b, count = 1;
        double v = (double)b;
        if (tess_store_put(p, b, &start, &count, &v, &err) < 0)
            die("Many", err.text);
    }
    if (tess_store_complete(p, &err) < 0)
        die("Many", err.text);
    tess_store_obj_close(p);

    /* the store's own iteration */
    tess_store_obj_t *c = tess_store_obj_open(o->st, "Many", 0, &err);
    tess_store_iter_t *it = tess_store_blocks(c, 0, 0, &err);
    tess_store_block_t sb;
    long k = 0;
    double t0 = bench_now();
    while (tess_store_next(it, &sb, &err) == 1)
        k++;
    double t_store = bench_now() - t0;
    tess_store_iter_destroy(it);
    tess_store_obj_close(c);

    /* in the run: every block met, no task */
    tess_data_t obj = tess_persist_open(run, o->st, "Many", 0, &err);
    if (!obj)
        die("Many", err.text);
    tess_blocks_t *bi = tess_blocks(run, obj, &err);
    tess_block_t b;
    long met = 0;
    t0 = bench_now();
    while (tess_blocks_next(bi, &b, &err) == 1)
        met++;
    double t_meet = bench_now() - t0;
    tess_blocks_destroy(bi);
    /* again: the blocks are known, one task per block */
    bi = tess_blocks(run, obj, &err);
    t0 = bench_now();
    while (tess_blocks_next(bi, &b, &err) == 1)
        TESS_SUBMIT(run, "noop", 0, tess_block(TESS_IN, &b));
    if (tess_barrier(run, &err) < 0)
        die("Many", err.text);
    double t_tasks = bench_now() - t0;
    tess_blocks_destroy(bi);
    /* baseline: as many tasks on regions of an ordinary array, whose
     * value is in one fragment file (its initial value) */
    double *init = malloc((size_t)n * sizeof(double));
    for (long i = 0; init && i < n; i++)
        init[i] = (double)i;
    tess_data_t arr = tess_array(run, "plain", TESS_F64, 1, shape, init,
                                 &err);
    free(init);
    t0 = bench_now();
    for (long i = 0; i < n; i++)
        TESS_SUBMIT(run, "noop", 0, tess_rows(TESS_IN, arr, i, i + 1));
    if (tess_barrier(run, &err) < 0)
        die("plain", err.text);
    double t_plain = bench_now() - t0;
    tess_delete(run, arr);
    if (k != n || met != n)
        die("Many", "wrong block count");
    printf("iterate %ld blocks: store %.3f s (%.2f us/block); in a run, "
           "meeting them %.3f s (%.2f us/block); one task per block %.3f s "
           "(%.2f us/block) vs tasks on an ordinary array %.3f s (%.2f "
           "us/task)\n", n, t_store, 1e6 * t_store / (double)n, t_meet,
           1e6 * t_meet / (double)n, t_tasks, 1e6 * t_tasks / (double)n,
           t_plain, 1e6 * t_plain / (double)n);
}



static void read_bandwidth(tess_run_t *run, struct opts *o)
{
    tess_error_t err;
    int nb = o->read_blocks;
    int64_t rows = (int64_t)(4 * MIB / 8 / COLS);
    int64_t shape[2] = {rows * nb, COLS};
    double *buf = malloc(4 * MIB);
    char plain[PATH_MAX];
    if (!buf)
        die("read", "out of memory");
    for (size_t i = 0; i < 4 * MIB / 8; i++)
        buf[i] = (double)(i % 1000);
    tess_store_spec_t spec = {TESS_F64, 2, shape, nb, "bench_persist", NULL,
                              NULL, 0};
    tess_store_obj_t *p = tess_store_create(o->st, "Read", &spec, &err);
    snprintf(plain, sizeof(plain), "%s/plain.h5", o->dir);
    hid_t f = H5Fcreate(plain, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {(hsize_t)(rows * nb), COLS};
    hid_t fs = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(f, "/data", H5T_IEEE_F64LE, fs, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    for (int b = 0; p && b < nb; b++) {
        int64_t start[2] = {rows * b, 0}, count[2] = {rows, COLS};
        hsize_t hs[2] = {(hsize_t)(rows * b), 0};
        hsize_t hc[2] = {(hsize_t)rows, COLS};
        hid_t ms = H5Screate_simple(2, hc, NULL);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, hs, NULL, hc, NULL);
        if (tess_store_put(p, b, start, count, buf, &err) < 0 ||
            H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) < 0)
            die("Read", err.text);
        H5Sclose(ms);
    }
    H5Dclose(d);
    H5Sclose(fs);
    H5Fclose(f);
    if (!p || tess_store_complete(p, &err) < 0)
        die("Read", err.text);
    tess_store_obj_close(p);
    free(buf);

    tess_data_t obj = tess_persist_open(run, o->st, "Read", 0, &err);
    if (!obj)
        die("Read", err.text);
    tess_block_t *blk = calloc((size_t)nb, sizeof(*blk));
    tess_blocks_t *it = tess_blocks(run, obj, &err);
    for (int b = 0; b < nb; b++)
        if (tess_blocks_next(it, &blk[b], &err) != 1)
            die("Read", err.text);
    tess_blocks_destroy(it);
    int64_t nbs = nb;
    tess_data_t sums = tess_array(run, "sums", TESS_F64, 1, &nbs, NULL, &err);
    double mib = 4.0 * nb;
    double *v[4];
    for (int k = 0; k < 4; k++)
        v[k] = calloc((size_t)o->rounds, sizeof(double));
    for (int r = 0; r < o->rounds; r++) {
        for (int cold = 0; cold <= 1; cold++) {
            if (cold) {
                nftw(o->dir, bench_drop_one, 16, FTW_PHYS);
            }
            double t0 = bench_now();
            for (int b = 0; b < nb; b++)
                TESS_SUBMIT(run, "sum", 0, tess_block(TESS_IN, &blk[b]),
                            tess_rows(TESS_OUT, sums, b, b + 1));
            if (tess_barrier(run, &err) < 0)
                die("Read", err.text);
            v[cold][r] = mib / (bench_now() - t0);
            if (cold)
                nftw(o->dir, bench_drop_one, 16, FTW_PHYS);
            t0 = bench_now();
            for (int b = 0; b < nb; b++)
                TESS_SUBMIT(run, "h5sum", 0, tess_string(plain),
                            tess_int(rows * b), tess_int(rows),
                            tess_rows(TESS_OUT, sums, b, b + 1));
            if (tess_barrier(run, &err) < 0)
                die("plain", err.text);
            v[2 + cold][r] = mib / (bench_now() - t0);
        }
    }
    for (int cold = 0; cold <= 1; cold++) {
        double s = bench_quantile(v[cold], o->rounds, 0.5);
        double h = bench_quantile(v[2 + cold], o->rounds, 0.5);
        printf("read %d blocks of 4 MiB by tasks, %s: blocks %.0f MiB/s, "
               "rows of a plain HDF5 file %.0f MiB/s (%.2fx)\n", nb,
               cold ? "cold" : "hot", s, h, s / h);
    }
    for (int k = 0; k < 4; k++)
        free(v[k]);
    free(blk);
}

static int app(tess_run_t *run, int argc, char **argv, void *arg)
{
    (void)argc;
    (void)argv;
    struct opts *o = arg;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    printf("# bench_persist: %s, workers: %s\n", o->dir,
           tess_run_archs(run)[0] ? tess_run_archs(run) : "threads");
    if (o->commits > 0) {
        commit_latency(run, o, 8 << 10, "Lat8k");
        commit_latency(run, o, MIB, "Lat1M");
    }
    if (o->iter_blocks > 0)
        iterate(run, o);
    if (o->read_blocks > 0)
        read_bandwidth(run, o);
    return 0;
}


int main(int argc, char **argv)
{
    static struct opts o = {.commits = 200, .read_blocks = 64, .rounds = 5,
                            .iter_blocks = 100000};
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char sdir[PATH_MAX], rdir[PATH_MAX];
    tess_error_t err;
    int opt;
    while ((opt = getopt(argc, argv, "d:n:i:b:r:")) != -1) {
        if (opt == 'd')
            base = optarg;
        else if (opt == 'n')
            o.commits = atoi(optarg);
        else if (opt == 'i')
            o.iter_blocks = atol(optarg);
        else if (opt == 'b')
            o.read_blocks = atoi(optarg);
        else if (opt == 'r')
            o.rounds = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else {
            fprintf(stderr, "usage: [mpirun -np K] bench_persist [-d DIR] "
                            "[-n COMMITS] [-i BLOCKS] [-b READ_BLOCKS] "
                            "[-r ROUNDS]\n");
            return 2;
        }
    }
    /* only rank 0 uses it (workers learn the run directory from it) */
    snprintf(o.dir, sizeof(o.dir), "%s/bench_persist.%ld", base,
             (long)getpid());
    snprintf(sdir, sizeof(sdir), "%s/store", o.dir);
    snprintf(rdir, sizeof(rdir), "%s/run", o.dir);
    tess_config_t cfg;
    tess_config_init(&cfg);
    cfg.run_dir = rdir;
    cfg.isolation = TESS_ISOLATION_NONE;
    cfg.nthreads = 2;
    int rank0 = !getenv("OMPI_COMM_WORLD_RANK") ||
                strcmp(getenv("OMPI_COMM_WORLD_RANK"), "0") == 0;
    if (rank0) {
        if (mkdir(o.dir, 0777) < 0 && errno != EEXIST)
            die(o.dir, strerror(errno));
        if (!(o.st = tess_store_open(sdir, TESS_STORE_CREATE, &err)))
            die(sdir, err.text);
    }
    int rc = tess_mpi_main(&argc, &argv, kernels, &cfg, app, &o);
    if (rank0) {
        tess_store_close(o.st);
        nftw(o.dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    return rc;
}
