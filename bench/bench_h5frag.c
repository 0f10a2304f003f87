/* bench_h5frag.c - bandwidth of fragment files (h5frag_write/h5frag_read)
 * against raw files holding the same bytes on the same file system.
 *
 * usage: bench_h5frag [-d DIR] [-r ROUNDS] [SIZE...]
 *        SIZE in MiB, or KiB with a k suffix (default: 1 16 64)
 *
 * Both sides follow the same protocol, so the ratio is the HDF5 overhead:
 *   write: temporary file, write(), fsync(), close(), rename() into place
 *          (h5frag_write does exactly this around HDF5);
 *   read hot:  the file is in the page cache (a fragment read back on the
 *          node that wrote it);
 *   read cold: the file's pages are dropped first (posix_fadvise
 *          DONTNEED after fsync), so the read comes from the device.
 * The nosync columns (raw, and h5frag_write2 with H5FRAG_NOSYNC) show what
 * the fsync costs. Every figure is the median over
 * ROUNDS rounds of N files each (N chosen to move ~256 MiB per round).
 * The target (PRODUCT.md): fragment exchange >= 80% of raw bandwidth.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/h5frag.h"

#define MIB ((size_t)1 << 20)
#define COLS 1024 /* fragments are ROWS x 1024 float64 */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void raw_write(const char *path, const void *buf, size_t n, int sync)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        die(tmp);
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, (const char *)buf + off, n - off);
        if (w < 0)
            die("write");
        off += (size_t)w;
    }
    if ((sync && fsync(fd) < 0) || close(fd) < 0 || rename(tmp, path) < 0)
        die("fsync/close/rename");
}

static void raw_read(const char *path, void *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(path);
    for (size_t off = 0; off < n;) {
        ssize_t r = read(fd, (char *)buf + off, n - off);
        if (r <= 0)
            die("read");
        off += (size_t)r;
    }
    close(fd);
}

/* Drop the page cache of @p path (clean pages: the files were fsync'ed). */
static void drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(path);
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum {
    RAW_W, H5_W, RAW_W_NOSYNC, H5_W_NOSYNC, RAW_HOT, H5_HOT, RAW_COLD,
    H5_COLD, NM
};
static const char *names[NM] = {
    "write raw", "write h5frag", "w raw nosync", "w h5frag nosync",
    "read hot raw", "read hot h5frag", "read cold raw", "read cold h5frag"};

/* The state of one size: its buffers, box and the files' directory. */
struct run {
    const char *dir;
    size_t bytes;
    int64_t start[2], count[2];
    double *buf, *dst;   /* h5frag's source and destination */
    char *rbuf, *rdst;   /* raw's: the same bytes, skewed (see SKEW) */
};

/* Copies between the page cache and a user buffer run at half speed on
 * common x86 CPUs when both sit at the same offset within their pages (4K
 * aliasing). HDF5 puts the data at file offset 2048, so with a malloc'd
 * buffer h5frag never hits that case while raw I/O at file offset 0 would:
 * raw buffers are placed 2 KiB off, so both sides get the fast copy. */
#define SKEW 2048

static char *file_of(char *path, const struct run *r, int m, int i)
{
    if (m == H5_W || m == H5_HOT || m == H5_COLD)
        h5frag_path(path, PATH_MAX, r->dir, 1, (uint32_t)i);
    else if (m == H5_W_NOSYNC)
        h5frag_path(path, PATH_MAX, r->dir, 2, (uint32_t)i);
    else
        snprintf(path, PATH_MAX, "%s/%s%d.bin", r->dir,
                 m == RAW_W_NOSYNC ? "nosync" : "raw", i);
    return path;
}

/* Run method @p m on file @p i; returns the seconds it took. */
static double run_one(const struct run *r, int m, int i)
{
    char path[PATH_MAX];
    tess_error_t err;
    int rc = 0;

    file_of(path, r, m, i);
    double t = now();
    switch (m) {
    case RAW_W: raw_write(path, r->rbuf, r->bytes, 1); break;
    case RAW_W_NOSYNC: raw_write(path, r->rbuf, r->bytes, 0); break;
    case RAW_HOT:
    case RAW_COLD: raw_read(path, r->rdst, r->bytes); break;
    case H5_W:
        rc = h5frag_write(path, TESS_F64, 2, r->start, r->count, r->buf, &err);
        break;
    case H5_W_NOSYNC:
        rc = h5frag_write2(path, TESS_F64, 2, r->start, r->count, r->buf,
                           H5FRAG_NOSYNC, &err);
        break;
    case H5_HOT:
    case H5_COLD:
        rc = h5frag_read(path, TESS_F64, 2, r->start, r->count, r->dst,
                         r->count, r->start, &err);
        break;
    }
    t = now() - t;
    if (rc < 0) {
        fprintf(stderr, "bench_h5frag: %s\n", err.text);
        exit(1);
    }
    return t;
}

/* Methods @p a and @p b over all files, interleaved file by file (the order
 * alternating) so that drifts of a shared machine hit both alike. Stores
 * MiB/s of round @p round. */
static void pair(const struct run *r, int nfiles, int a, int b,
                 double rate[][100], int round)
{
    double ta = 0, tb = 0;
    for (int i = 0; i < nfiles; i++) {
        if ((i + round) % 2) {
            ta += run_one(r, a, i);
            tb += run_one(r, b, i);
        } else {
            tb += run_one(r, b, i);
            ta += run_one(r, a, i);
        }
    }
    double mib = (double)(r->bytes * (size_t)nfiles) / (double)MIB;
    rate[a][round] = mib / ta;
    rate[b][round] = mib / tb;
}

int main(int argc, char **argv)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[PATH_MAX / 2], path[PATH_MAX];
    int rounds = 5, opt;
    size_t sizes[16];
    int nsizes = 0;

    while ((opt = getopt(argc, argv, "d:r:")) != -1) {
        if (opt == 'd')
            base = optarg;
        else if (opt == 'r')
            rounds = atoi(optarg);
        else {
            fprintf(stderr, "usage: bench_h5frag [-d DIR] [-r ROUNDS] "
                            "[SIZE_MIB...]\n");
            return 2;
        }
    }
    for (; optind < argc && nsizes < 16; optind++) {
        char *end;
        size_t n = (size_t)strtoul(argv[optind], &end, 10);
        sizes[nsizes++] = *end == 'k' || *end == 'K' ? n << 10 : n * MIB;
    }
    if (!nsizes) {
        sizes[0] = MIB;
        sizes[1] = 16 * MIB;
        sizes[2] = 64 * MIB;
        nsizes = 3;
    }
    if (rounds < 1 || rounds > 100)
        rounds = 5;
    snprintf(dir, sizeof(dir), "%s/bench_h5frag.XXXXXX", base);
    if (!mkdtemp(dir))
        die(dir);

    printf("# bench_h5frag: dir %s, %d rounds, median MiB/s\n", dir, rounds);
    printf("%-9s %5s", "size", "files");
    for (int m = 0; m < NM; m++)
        printf(" %16s", names[m]);
    printf(" %9s %9s %9s %12s %12s\n", "w h5/raw", "hot", "cold",
           "h5 w us/op", "h5 r us/op");

    for (int s = 0; s < nsizes; s++) {
        size_t bytes = sizes[s];
        int64_t cols = bytes / 8 < COLS ? (int64_t)(bytes / 8) : COLS;
        int64_t count[2] = {cols ? (int64_t)(bytes / 8) / cols : 0, cols};
        size_t per_round = (256 * MIB) / bytes;
        int nfiles = per_round > 64 ? 64 : (int)per_round;
        if (nfiles < 3)
            nfiles = 3;
        double *buf = malloc(bytes), *dst = malloc(bytes);
        char *rbase = malloc(2 * (bytes + 2 * SKEW));
        double rate[NM][100];
        if (!buf || !dst || !rbase || count[0] == 0
            || bytes % (8 * (size_t)cols)) {
            fprintf(stderr, "bench_h5frag: bad size %zu bytes\n", bytes);
            return 2;
        }
        for (size_t i = 0; i < bytes / 8; i++)
            buf[i] = (double)i * 0.5;

        /* page offsets: malloc'd buffers sit at ~16, raw ones at ~16+SKEW */
        char *rbuf = rbase + SKEW;
        char *rdst = rbase + bytes + 3 * SKEW;
        memcpy(rbuf, buf, bytes);
        struct run run = {dir,  bytes, {0, 0}, {count[0], count[1]},
                          buf,  dst,   rbuf,   rdst};
        for (int r = 0; r < rounds; r++) {
            char p1[PATH_MAX], p2[PATH_MAX];
            pair(&run, nfiles, RAW_W, H5_W, rate, r);
            pair(&run, nfiles, RAW_W_NOSYNC, H5_W_NOSYNC, rate, r);
            pair(&run, nfiles, RAW_HOT, H5_HOT, rate, r); /* warm-up */
            pair(&run, nfiles, RAW_HOT, H5_HOT, rate, r);
            if (memcmp(buf, dst, bytes) != 0 || memcmp(buf, rdst, bytes) != 0) {
                fprintf(stderr, "bench_h5frag: data read back differs\n");
                return 1;
            }
            for (int i = 0; i < nfiles; i++) {
                drop_cache(file_of(p1, &run, RAW_COLD, i));
                drop_cache(file_of(p2, &run, H5_COLD, i));
            }
            pair(&run, nfiles, RAW_COLD, H5_COLD, rate, r);
        }

        double med[NM];
        if (bytes >= MIB)
            printf("%5zu MiB %5d", bytes / MIB, nfiles);
        else
            printf("%5zu KiB %5d", bytes >> 10, nfiles);
        for (int m = 0; m < NM; m++) {
            med[m] = median(rate[m], rounds);
            printf(" %16.0f", med[m]);
        }
        double mib = (double)bytes / (double)MIB;
        printf(" %8.0f%% %8.0f%% %8.0f%% %12.0f %12.0f\n",
               100 * med[H5_W] / med[RAW_W], 100 * med[H5_HOT] / med[RAW_HOT],
               100 * med[H5_COLD] / med[RAW_COLD], 1e6 * mib / med[H5_W],
               1e6 * mib / med[H5_HOT]);
        fflush(stdout);

        for (int i = 0; i < nfiles; i++) {
            unlink(file_of(path, &run, RAW_W, i));
            unlink(file_of(path, &run, RAW_W_NOSYNC, i));
            h5frag_remove(file_of(path, &run, H5_W, i));
            h5frag_remove(file_of(path, &run, H5_W_NOSYNC, i));
        }
        free(buf);
        free(dst);
        free(rbase);
    }
    snprintf(path, sizeof(path), "%s/frags/d1", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/frags/d2", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/frags", dir);
    rmdir(path);
    rmdir(dir);
    return 0;
}
