/* bench_store.c - the store's costs against baselines measured in the same
 * run, on the same file system (docs/store.md, "Figures").
 *
 * usage: bench_store [-d DIR] [-r ROUNDS] [-n COMMITS] [-b LIST_BLOCKS]
 *
 * 1. Block commit latency (median, p99) of tess_store_put with 64 KiB
 *    and 1 MiB blocks, against writing the same bytes as a fragment file
 *    (h5frag_write: HDF5, fsync, rename) and as a raw file (write, fsync,
 *    rename); interleaved commit by commit.
 * 2. Read bandwidth of the blocks of a complete object (tess_store_read,
 *    block after block) against reading the same boxes from one plain
 *    HDF5 file holding the whole array (opened once, one hyperslab read
 *    per block: what a program using HDF5 directly does) and against one
 *    raw file per block read with one pread each (the floor of any
 *    file-per-block layout); page cache hot and cold, interleaved,
 *    median over ROUNDS.
 * 3. Listing/iterating an object of LIST_BLOCKS blocks (default 10^5):
 *    iterating the complete object (its index), iterating it while under
 *    construction (directory listing plus one header read per block),
 *    tess_store_info, and `ls`-like counting, against a plain readdir of
 *    the blocks directory (the least any file-per-block layout costs).
 *
 * The plain-HDF5 baseline calls HDF5 directly on purpose: it is the code
 * a user would write without Tessera.
 */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/h5frag.h"
#include "bench/benchutil.h"
#include "tessera.h"

#define MIB ((size_t)1 << 20)
#define COLS 1024


static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, msg);
    exit(1);
}



static void raw_write(const char *path, const void *buf, size_t n)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        die(tmp, strerror(errno));
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, (const char *)buf + off, n - off);
        if (w < 0)
            die(tmp, strerror(errno));
        off += (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
        die(path, strerror(errno));
}




static tess_store_obj_t *create(tess_store_t *st, const char *name,
                                int64_t rows, unsigned flags)
{
    tess_error_t err;
    int64_t shape[2] = {rows, COLS};
    tess_store_spec_t spec = {TESS_F64, 2, shape, 0, "bench_store", NULL,
                              NULL, flags};
    tess_store_obj_t *o = tess_store_create(st, name, &spec, &err);
    if (!o)
        die(name, err.text);
    return o;
}

/* ------------------------------------------------------------------ */
/* 1. Commit latency                                                   */
/* ------------------------------------------------------------------ */

static void bench_commit(tess_store_t *st, const char *dir, int n,
                         size_t bytes, const char *name)
{
    int64_t rows = (int64_t)(bytes / 8 / COLS);
    int64_t count[2] = {rows, COLS};
    double *buf = malloc(bytes);
    double *ts = malloc((size_t)n * sizeof(*ts));
    double *tf = malloc((size_t)n * sizeof(*tf));
    double *tr = malloc((size_t)n * sizeof(*tr));
    char path[PATH_MAX];
    tess_error_t err;

    for (size_t i = 0; i < bytes / 8; i++)
        buf[i] = (double)i;
    tess_store_obj_t *o = create(st, name, rows * n, 0);
    for (int k = 0; k < n; k++) {
        int64_t start[2] = {k * rows, 0};
        /* alternate the order, so drifts of a shared machine hit all */
        for (int j = 0; j < 3; j++) {
            int m = (j + k) % 3;
            double t = bench_now();
            if (m == 0) {
                if (tess_store_put(o, k, start, count, buf, &err) < 0)
                    die("put", err.text);
                ts[k] = bench_now() - t;
            } else if (m == 1) {
                h5frag_path(path, sizeof(path), dir, 7, (uint32_t)k);
                if (h5frag_write(path, TESS_F64, 2, start, count, buf, &err)
                    < 0)
                    die("h5frag_write", err.text);
                tf[k] = bench_now() - t;
            } else {
                snprintf(path, sizeof(path), "%s/raw%d.bin", dir, k);
                raw_write(path, buf, bytes);
                tr[k] = bench_now() - t;
            }
        }
    }
    double sm = bench_quantile(ts, n, 0.5), sp = bench_quantile(ts, n, 0.99);
    double fm = bench_quantile(tf, n, 0.5), fp = bench_quantile(tf, n, 0.99);
    double rm = bench_quantile(tr, n, 0.5), rp = bench_quantile(tr, n, 0.99);
    printf("commit %4zu KiB x %d: store %7.0f us median %7.0f us p99 | "
           "fragment %7.0f / %7.0f | raw %7.0f / %7.0f | store/fragment "
           "%.2f, store/raw %.2f (medians)\n", bytes >> 10, n, sm * 1e6,
           sp * 1e6, fm * 1e6, fp * 1e6, rm * 1e6, rp * 1e6, sm / fm,
           sm / rm);
    fflush(stdout);
    tess_store_obj_close(o);
    if (tess_store_delete(st, name, &err) < 0)
        die("delete", err.text);
    for (int k = 0; k < n; k++) {
        h5frag_path(path, sizeof(path), dir, 7, (uint32_t)k);
        unlink(path);
        snprintf(path, sizeof(path), "%s/raw%d.bin", dir, k);
        unlink(path);
    }
    free(buf);
    free(ts);
    free(tf);
    free(tr);
}

/* ------------------------------------------------------------------ */
/* 2. Read bandwidth                                                   */
/* ------------------------------------------------------------------ */

/* The plain file: /data, NB*ROWS x COLS f64, contiguous. */
static void plain_write(const char *path, const double *buf, int64_t rows,
                        int nb)
{
    hsize_t dims[2] = {(hsize_t)(rows * nb), COLS};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(f, "/data", H5T_IEEE_F64LE, s, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    for (int b = 0; b < nb; b++) {
        hsize_t off[2] = {(hsize_t)(b * rows), 0}, cnt[2] = {(hsize_t)rows,
                                                             COLS};
        hid_t m = H5Screate_simple(2, cnt, NULL);
        H5Sselect_hyperslab(s, H5S_SELECT_SET, off, NULL, cnt, NULL);
        if (H5Dwrite(d, H5T_NATIVE_DOUBLE, m, s, H5P_DEFAULT, buf) < 0)
            die(path, "H5Dwrite");
        H5Sclose(m);
    }
    H5Dclose(d);
    H5Sclose(s);
    if (H5Fclose(f) < 0)
        die(path, "H5Fclose");
}

static double plain_read(const char *path, double *dst, int64_t rows, int nb)
{
    double t = bench_now();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/data", H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hsize_t cnt[2] = {(hsize_t)rows, COLS};
    hid_t m = H5Screate_simple(2, cnt, NULL);
    for (int b = 0; b < nb; b++) {
        hsize_t off[2] = {(hsize_t)(b * rows), 0};
        H5Sselect_hyperslab(s, H5S_SELECT_SET, off, NULL, cnt, NULL);
        if (H5Dread(d, H5T_NATIVE_DOUBLE, m, s, H5P_DEFAULT, dst) < 0)
            die(path, "H5Dread");
    }
    H5Sclose(m);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    return bench_now() - t;
}

/* The floor of any file-per-block layout: the same bytes as one raw file
 * per block, each opened and read with one pread. */
static double files_read(const char *dir, double *dst, size_t bytes, int nb)
{
    char path[PATH_MAX];
    double t = bench_now();
    for (int b = 0; b < nb; b++) {
        snprintf(path, sizeof(path), "%s/file%d.bin", dir, b);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || pread(fd, dst, bytes, 0) != (ssize_t)bytes)
            die(path, "read");
        close(fd);
    }
    return bench_now() - t;
}

static double store_read(tess_store_t *st, const char *name, double *dst)
{
    tess_error_t err;
    tess_store_block_t b;
    double t = bench_now();
    tess_store_obj_t *o = tess_store_obj_open(st, name, 0, &err);
    tess_store_iter_t *it = o ? tess_store_blocks(o, 0, 0, &err) : NULL;
    int rc;
    if (!it)
        die(name, err.text);
    while ((rc = tess_store_next(it, &b, &err)) == 1)
        if (tess_store_read(o, b.id, dst, &err) < 0)
            die(name, err.text);
    if (rc < 0)
        die(name, err.text);
    tess_store_iter_destroy(it);
    tess_store_obj_close(o);
    return bench_now() - t;
}

struct read_run {
    tess_store_t *st;
    const char *name, *plain, *dir;
    double *dst;
    size_t bytes;
    int64_t rows;
    int nb;
};

/* One round of the three reads, in an order that turns with @p r so that
 * drifts of a shared machine hit all alike: MiB/s into @p s, @p p, @p f. */
static void read_round(const struct read_run *x, int r, double mib,
                       double *s, double *p, double *f)
{
    for (int k = 0; k < 3; k++) {
        int m = (k + r) % 3;
        if (m == 0)
            *s = mib / store_read(x->st, x->name, x->dst);
        else if (m == 1)
            *p = mib / plain_read(x->plain, x->dst, x->rows, x->nb);
        else
            *f = mib / files_read(x->dir, x->dst, x->bytes, x->nb);
    }
}

static void bench_read(tess_store_t *st, const char *dir, size_t bytes,
                       int nb, int rounds)
{
    int64_t rows = (int64_t)(bytes / 8 / COLS);
    int64_t count[2] = {rows, COLS};
    double *buf = malloc(bytes), *dst = malloc(bytes);
    double hs[100], hp[100], cs[100], cp[100], hf[100], cf[100];
    char plain[PATH_MAX], name[64];
    tess_error_t err;

    snprintf(name, sizeof(name), "Read%zu", bytes >> 10);
    for (size_t i = 0; i < bytes / 8; i++)
        buf[i] = (double)i * 0.25;
    tess_store_obj_t *o = create(st, name, rows * nb, 0);
    for (int b = 0; b < nb; b++) {
        int64_t start[2] = {b * rows, 0};
        if (tess_store_put(o, b, start, count, buf, &err) < 0)
            die("put", err.text);
    }
    if (tess_store_complete(o, &err) < 0)
        die("complete", err.text);
    tess_store_obj_close(o);
    snprintf(plain, sizeof(plain), "%s/plain.h5", dir);
    plain_write(plain, buf, rows, nb);
    for (int b = 0; b < nb; b++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/file%d.bin", dir, b);
        raw_write(path, buf, bytes);
    }

    double mib = (double)(bytes * (size_t)nb) / (double)MIB;
    struct read_run rr = {st, name, plain, dir, dst, bytes, rows, nb};
    for (int r = 0; r < rounds; r++) {
        store_read(st, name, dst); /* warm-up: both in the page cache */
        plain_read(plain, dst, rows, nb);
        files_read(dir, dst, bytes, nb);
        read_round(&rr, r, mib, &hs[r], &hp[r], &hf[r]);
        if (memcmp(dst, buf, bytes) != 0)
            die("read", "data differ");
        nftw(dir, bench_drop_one, 16, FTW_PHYS); /* the store, plain, files */
        read_round(&rr, r, mib, &cs[r], &cp[r], &cf[r]);
    }
    double a = bench_quantile(hs, rounds, 0.5), b = bench_quantile(hp, rounds, 0.5);
    double c = bench_quantile(cs, rounds, 0.5), d = bench_quantile(cp, rounds, 0.5);
    double e = bench_quantile(hf, rounds, 0.5), f = bench_quantile(cf, rounds, 0.5);
    printf("read %4zu KiB blocks x %d (%.0f MiB), MiB/s: hot store %5.0f, "
           "plain HDF5 %5.0f, raw files %5.0f, store/plain %.2f, store/files "
           "%.2f | cold store %5.0f, plain %5.0f, files %5.0f, store/plain "
           "%.2f, store/files %.2f\n", bytes >> 10, nb, mib, a, b, e, a / b,
           a / e, c, d, f, c / d, c / f);
    fflush(stdout);
    unlink(plain);
    for (int k = 0; k < nb; k++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/file%d.bin", dir, k);
        unlink(path);
    }
    if (tess_store_delete(st, name, &err) < 0)
        die("delete", err.text);
    free(buf);
    free(dst);
}

/* ------------------------------------------------------------------ */
/* 3. Listing many blocks                                              */
/* ------------------------------------------------------------------ */

static double count_dir(const char *path, long *n)
{
    double t = bench_now();
    DIR *d = opendir(path);
    struct dirent *de;
    *n = 0;
    if (!d)
        die(path, strerror(errno));
    while ((de = readdir(d)))
        *n += de->d_name[0] != '.';
    closedir(d);
    return bench_now() - t;
}

static double iterate(tess_store_obj_t *o, long *n)
{
    tess_error_t err;
    tess_store_block_t b;
    double t = bench_now();
    tess_store_iter_t *it = tess_store_blocks(o, 0, 0, &err);
    int rc;
    *n = 0;
    if (!it)
        die("iterate", err.text);
    while ((rc = tess_store_next(it, &b, &err)) == 1)
        (*n)++;
    if (rc < 0)
        die("iterate", err.text);
    tess_store_iter_destroy(it);
    return bench_now() - t;
}

static void bench_list(tess_store_t *st, long nblocks)
{
    tess_error_t err;
    tess_store_info_t info;
    double v = 1.0, t;
    int64_t count[2] = {1, 1};
    char blocks[PATH_MAX];
    long n1, n2, n3;

    tess_store_obj_t *o = create(st, "Many", nblocks, TESS_STORE_NOSYNC);
    t = bench_now();
    for (long b = 0; b < nblocks; b++) {
        int64_t start[2] = {b, 0};
        if (tess_store_put(o, b, start, count, &v, &err) < 0)
            die("put", err.text);
    }
    double tput = bench_now() - t;
    tess_store_info(o, &info, &err);
    snprintf(blocks, sizeof(blocks), "%s/.objects/%s/blocks",
             tess_store_dir(st), info.id);
    /* a second handle: the consumer's view, without the producer's cache */
    tess_store_obj_t *c = tess_store_obj_open(st, "Many", 0, &err);
    double tdir = count_dir(blocks, &n1);
    double tbuild = iterate(c, &n2);
    t = bench_now();
    tess_store_info(c, &info, &err);
    double tinfo_b = bench_now() - t;
    t = bench_now();
    if (tess_store_complete(o, &err) < 0)
        die("complete", err.text);
    double tcomplete = bench_now() - t;
    tess_store_obj_close(c);
    c = tess_store_obj_open(st, "Many", 0, &err);
    double tdir2 = count_dir(blocks, &n1);
    double tindex = iterate(c, &n3);
    t = bench_now();
    tess_store_info(c, &info, &err);
    double tinfo_c = bench_now() - t;
    if (n2 != nblocks || n3 != nblocks || n1 != nblocks)
        die("list", "wrong block count");
    double dir = tdir < tdir2 ? tdir : tdir2;
    printf("list %ld blocks: readdir %.3f s (%.2f us/block) | iterate "
           "complete %.3f s (%.2f us/block, %.2fx readdir) | iterate under "
           "construction %.3f s (%.1f us/block, %.1fx readdir) | info "
           "building %.3f s, complete %.6f s | commit %.1f us/block "
           "(nosync) | complete %.3f s\n", nblocks, dir, dir * 1e6 / nblocks,
           tindex, tindex * 1e6 / nblocks, tindex / dir, tbuild,
           tbuild * 1e6 / nblocks, tbuild / dir, tinfo_b, tinfo_c,
           tput * 1e6 / nblocks, tcomplete);
    fflush(stdout);
    tess_store_obj_close(c);
    tess_store_obj_close(o);
    t = bench_now();
    if (tess_store_delete(st, "Many", &err) < 0)
        die("delete", err.text);
    printf("delete %ld blocks: %.3f s\n", nblocks, bench_now() - t);
}

int main(int argc, char **argv)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    int rounds = 5, commits = 200, opt;
    long list_blocks = 100000;
    char dir[PATH_MAX / 2], sdir[PATH_MAX];
    tess_error_t err;

    while ((opt = getopt(argc, argv, "d:r:n:b:")) != -1) {
        if (opt == 'd')
            base = optarg;
        else if (opt == 'r')
            rounds = atoi(optarg);
        else if (opt == 'n')
            commits = atoi(optarg);
        else if (opt == 'b')
            list_blocks = atol(optarg);
        else {
            fprintf(stderr, "usage: bench_store [-d DIR] [-r ROUNDS] "
                            "[-n COMMITS] [-b LIST_BLOCKS]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 100)
        rounds = 5;
    if (commits < 1)
        commits = 200;
    snprintf(dir, sizeof(dir), "%s/bench_store.XXXXXX", base);
    if (!mkdtemp(dir))
        die(dir, strerror(errno));
    snprintf(sdir, sizeof(sdir), "%s/store", dir);
    tess_store_t *st = tess_store_open(sdir, TESS_STORE_CREATE, &err);
    if (!st)
        die(sdir, err.text);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    printf("# bench_store: dir %s, %d rounds, %d commits\n", dir, rounds,
           commits);
    bench_commit(st, dir, commits, 64 << 10, "Commit64k");
    bench_commit(st, dir, commits / 4 > 10 ? commits / 4 : 10, MIB,
                 "Commit1M");
    bench_read(st, dir, 64 << 10, 256, rounds);
    bench_read(st, dir, MIB, 64, rounds);
    if (list_blocks > 0)
        bench_list(st, list_blocks);
    tess_store_close(st);
    nftw(dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
