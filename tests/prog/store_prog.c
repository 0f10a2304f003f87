/* store_prog - producers, consumers and racers of store objects for the
 * t4xxx tests, through the installed API (libtessera's tess_store_*).
 *
 *   store_prog produce DIR NAME NBLOCKS ROWS COLS [--delay-ms N]
 *                      [--seed K] [--no-complete] [--no-sync]
 *       create NAME (f64, NBLOCKS*ROWS x COLS, params "seed=K") and commit
 *       its blocks of ROWS rows one by one, pausing N ms before each;
 *       prints "committed ID" after each commit; completes the object
 *       unless --no-complete; --no-sync: TESS_STORE_NOSYNC.
 *   store_prog consume DIR NAME [--timeout S]
 *       wait for NAME to exist, then for each block until the object is
 *       complete; read and check every block; prints the CPU time used
 *       ("cpu_ms N": waiting must not busy-wait).
 *   store_prog read DIR NAME [--delay-ms N]
 *       read and check the blocks committed now, pausing N ms per block.
 *   store_prog create DIR NAME
 *       create NAME (no blocks) and exit.
 *   store_prog race DIR ROUNDS NPROC
 *       ROUNDS times: NPROC processes create one name at the same instant;
 *       check that exactly one wins and the others get EEXIST; prints
 *       the children's pids ("pid N") for the leftover check.
 *
 * Element (r, c) of an object made with seed K is K*1e7 + r*COLS + c, so
 * a block of another object, or of another place, never passes the check.
 * Exit status: 0 ok, 1 an error (message on stderr), 2 bad input (as the
 * store reports it: EINVAL, EEXIST, ENOENT), 3 wrong data read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tessera.h"

static int status_of(int e)
{
    return e == EINVAL || e == EEXIST || e == ENOENT ? 2 : 1;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static double expect(long seed, int64_t row, int64_t col, int64_t cols)
{
    return (double)seed * 1e7 + (double)(row * cols + col);
}

static tess_store_t *open_store(const char *dir)
{
    tess_error_t err = {""};
    tess_store_t *st = tess_store_open(dir, TESS_STORE_CREATE, &err);
    if (!st)
        fprintf(stderr, "store_prog: %s\n", err.text);
    return st;
}

static int produce(const char *dir, const char *name, int64_t nblocks,
                   int64_t rows, int64_t cols, long delay, long seed,
                   int complete, unsigned flags)
{
    tess_error_t err = {""};
    int64_t shape[2] = {nblocks * rows, cols};
    char params[64];
    tess_store_t *st = open_store(dir);

    if (!st)
        return 1;
    snprintf(params, sizeof(params), "seed=%ld", seed);
    tess_store_spec_t spec = {TESS_F64, 2, shape, 0, "store_prog", "-",
                              params, flags};
    tess_store_obj_t *o = tess_store_create(st, name, &spec, &err);
    if (!o) {
        int e = errno;
        fprintf(stderr, "store_prog: %s\n", err.text);
        tess_store_close(st);
        return status_of(e);
    }
    double *buf = malloc((size_t)(rows * cols) * sizeof(*buf));
    int rc = 0;
    for (int64_t b = 0; b < nblocks && buf; b++) {
        int64_t start[2] = {b * rows, 0}, count[2] = {rows, cols};
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++)
                buf[r * cols + c] = expect(seed, b * rows + r, c, cols);
        pause_ms(delay);
        if (tess_store_put(o, b, start, count, buf, &err) < 0) {
            rc = status_of(errno);
            fprintf(stderr, "store_prog: %s\n", err.text);
            break;
        }
        printf("committed %" PRId64 "\n", b);
        fflush(stdout);
    }
    if (!buf)
        rc = 1;
    if (!rc && complete && tess_store_complete(o, &err) < 0) {
        rc = 1;
        fprintf(stderr, "store_prog: %s\n", err.text);
    }
    if (!rc)
        printf("produced %s: %" PRId64 " blocks\n", name, nblocks);
    free(buf);
    tess_store_obj_close(o);
    tess_store_close(st);
    return rc;
}

/* Read block @p b whole and check every element; 0, 1 error, 3 wrong. */
static int check_block(tess_store_obj_t *o, const tess_store_block_t *b,
                       long seed, int64_t cols)
{
    tess_error_t err = {""};
    int64_t n = b->count[0] * b->count[1];
    double *buf = malloc((size_t)(n ? n : 1) * sizeof(*buf));
    int rc = 0;

    if (!buf)
        return 1;
    if (tess_store_read(o, b->id, buf, &err) < 0) {
        fprintf(stderr, "store_prog: %s\n", err.text);
        free(buf);
        return 1;
    }
    for (int64_t r = 0; r < b->count[0] && !rc; r++)
        for (int64_t c = 0; c < b->count[1]; c++)
            if (buf[r * b->count[1] + c]
                != expect(seed, b->start[0] + r, b->start[1] + c, cols)) {
                fprintf(stderr, "store_prog: MISMATCH in block %" PRId64
                        " at (%" PRId64 ", %" PRId64 "): %.17g\n", b->id,
                        b->start[0] + r, b->start[1] + c,
                        buf[r * b->count[1] + c]);
                rc = 3;
                break;
            }
    free(buf);
    return rc;
}

static int consume(const char *dir, const char *name, double timeout,
                   long delay, unsigned flags)
{
    tess_error_t err = {""};
    tess_store_info_t info;
    tess_store_block_t b;
    tess_store_t *st = open_store(dir);
    int rc = 0, got, n = 0;
    long seed;

    if (!st)
        return 1;
    tess_store_obj_t *o = tess_store_obj_open(st, name, timeout, &err);
    if (!o || tess_store_info(o, &info, &err) < 0) {
        int e = errno;
        fprintf(stderr, "store_prog: %s\n", err.text);
        tess_store_obj_close(o);
        tess_store_close(st);
        return status_of(e);
    }
    printf("opened %s\n", name);
    fflush(stdout);
    if (sscanf(info.params, "seed=%ld", &seed) != 1 || info.rank != 2
        || !info.has_shape) {
        fprintf(stderr, "store_prog: %s is not a store_prog object\n", name);
        tess_store_obj_close(o);
        tess_store_close(st);
        return 1;
    }
    tess_store_iter_t *it = tess_store_blocks(o, flags, timeout, &err);
    while (it && (got = tess_store_next(it, &b, &err)) == 1) {
        pause_ms(delay);
        if ((rc = check_block(o, &b, seed, info.shape[1])) != 0)
            break;
        n++;
    }
    if (!it || (!rc && got < 0)) {
        fprintf(stderr, "store_prog: %s\n", err.text);
        rc = 1;
    }
    if (!rc) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("checked %d blocks of %s\ncpu_ms %ld\n", n, name,
               (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000
                   + (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
    }
    tess_store_iter_destroy(it);
    tess_store_obj_close(o);
    tess_store_close(st);
    return rc;
}

static int create(const char *dir, const char *name)
{
    tess_error_t err = {""};
    int64_t shape[2] = {1, 1};
    tess_store_spec_t spec = {TESS_F64, 2, shape, 0, NULL, NULL, "seed=0", 0};
    tess_store_t *st = open_store(dir);

    if (!st)
        return 1;
    tess_store_obj_t *o = tess_store_create(st, name, &spec, &err);
    int rc = o ? 0 : status_of(errno);
    if (!o)
        fprintf(stderr, "store_prog: %s\n", err.text);
    tess_store_obj_close(o);
    tess_store_close(st);
    return rc;
}

/* NPROC children block on a pipe; closing it releases them together. */
static int race(const char *dir, int rounds, int nproc)
{
    tess_error_t err = {""};
    int bad = 0, wins_total = 0;
    tess_store_t *st = open_store(dir);

    if (!st)
        return 1;
    for (int round = 0; round < rounds; round++) {
        char name[32];
        int go[2], wins = 0, losses = 0;
        pid_t pids[64];

        snprintf(name, sizeof(name), "Race%d", round);
        if (pipe(go) < 0)
            return 1;
        for (int i = 0; i < nproc && i < 64; i++) {
            if ((pids[i] = fork()) == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) < 0)
                    _exit(1);
                _exit(create(dir, name));
            }
        }
        close(go[0]);
        close(go[1]);
        for (int i = 0; i < nproc && i < 64; i++) {
            int status;
            waitpid(pids[i], &status, 0);
            printf("pid %ld\n", (long)pids[i]);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                wins++;
            else if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
                losses++;
        }
        if (wins != 1 || losses != nproc - 1) {
            fprintf(stderr, "store_prog: round %d: %d winners, %d losers of "
                    "%d\n", round, wins, losses, nproc);
            bad++;
        }
        wins_total += wins;
        if (tess_store_delete(st, name, &err) < 0) {
            fprintf(stderr, "store_prog: %s\n", err.text);
            bad++;
        }
    }
    printf("%d races, %d winners, %d bad rounds\n", rounds, wins_total, bad);
    tess_store_close(st);
    return bad ? 1 : 0;
}

static void usage(void)
{
    fputs("usage: store_prog produce DIR NAME NBLOCKS ROWS COLS [--delay-ms N]"
          " [--seed K] [--no-complete] [--no-sync]\n"
          "       store_prog consume DIR NAME [--timeout S]\n"
          "       store_prog read DIR NAME [--delay-ms N]\n"
          "       store_prog create DIR NAME\n"
          "       store_prog race DIR ROUNDS NPROC\n", stderr);
}

int main(int argc, char **argv)
{
    long delay = 0, seed = 1;
    double timeout = 60;
    int complete = 1, npos = 0;
    unsigned flags = 0;
    char *pos[8];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--delay-ms") == 0 && i + 1 < argc)
            delay = atol(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = atol(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = atof(argv[++i]);
        else if (strcmp(argv[i], "--no-complete") == 0)
            complete = 0;
        else if (strcmp(argv[i], "--no-sync") == 0)
            flags = TESS_STORE_NOSYNC;
        else if (npos < 8)
            pos[npos++] = argv[i];
    }
    if (npos >= 6 && strcmp(pos[0], "produce") == 0)
        return produce(pos[1], pos[2], atoll(pos[3]), atoll(pos[4]),
                       atoll(pos[5]), delay, seed, complete, flags);
    if (npos == 3 && strcmp(pos[0], "consume") == 0)
        return consume(pos[1], pos[2], timeout, 0, TESS_STORE_WAIT);
    if (npos == 3 && strcmp(pos[0], "read") == 0)
        return consume(pos[1], pos[2], 0, delay, 0);
    if (npos == 3 && strcmp(pos[0], "create") == 0)
        return create(pos[1], pos[2]);
    if (npos == 4 && strcmp(pos[0], "race") == 0)
        return race(pos[1], atoi(pos[2]), atoi(pos[3]));
    usage();
    return 2;
}
