/*
 * gen_spikes.c - tessera-gen-spikes: a synthetic input for the neurons
 * analysis, deterministic from its seed.
 *
 *   tessera-gen-spikes OUT.h5 [--neurons N] [--bins B] [--rate P] [--seed S]
 *
 * Writes /spikes (uint8, N x B): spikes[i][t] = 1 with probability P,
 * independently (Bernoulli trains, the usual null model of spiking). Drawn
 * from MT19937 as numpy does, so the file equals
 *   (RandomState(S).random_sample((N, B)) < P).astype(numpy.uint8)
 * which lets Python users reproduce an input without the file.
 * Written to OUT.h5.tmp and renamed. Exit 0, 1 (write failed), 2 (usage).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "tessera.h"
#include "examples/neurons/neurons.h"

#define PROG "tessera-gen-spikes"

struct opts {
    const char *out;
    int64_t neurons, bins, seed;
    double rate;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROG " OUT.h5 [--neurons N] [--bins B] [--rate P] "
               "[--seed S]\n"
               "defaults: --neurons 100 --bins 500 --rate 0.05 --seed 1\n");
}

/* The value of option @p opt: an int64 or, when @p d is set, a double. */
static int parse_value(const char *opt, const char *s, int64_t *i, double *d)
{
    char *end;
    errno = 0;
    if (d)
        *d = strtod(s, &end);
    else
        *i = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0') {
        fprintf(stderr, PROG ": %s: '%s' is not a%s\n", opt, s,
                d ? " number" : "n integer");
        return -1;
    }
    return 0;
}

/* 0: run; 1: help was asked for; -1: bad usage (message printed). */
static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.neurons = 100, .bins = 500, .seed = 1, .rate = 0.05};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int rc;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return 1;
        if (arg[0] != '-' || arg[1] == '\0') {
            if (o->out) {
                fprintf(stderr, PROG ": unexpected argument '%s'\n", arg);
                return -1;
            }
            o->out = arg;
            continue;
        }
        if (i + 1 == argc) {
            fprintf(stderr, PROG ": %s needs a value\n", arg);
            return -1;
        }
        const char *v = argv[++i];
        if (strcmp(arg, "--neurons") == 0)
            rc = parse_value(arg, v, &o->neurons, NULL);
        else if (strcmp(arg, "--bins") == 0)
            rc = parse_value(arg, v, &o->bins, NULL);
        else if (strcmp(arg, "--seed") == 0)
            rc = parse_value(arg, v, &o->seed, NULL);
        else if (strcmp(arg, "--rate") == 0)
            rc = parse_value(arg, v, NULL, &o->rate);
        else {
            fprintf(stderr, PROG ": unknown option '%s'\n", arg);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    if (!o->out) {
        fprintf(stderr, PROG ": expected OUT.h5\n");
        return -1;
    }
    /* The analysis needs a pair and two bins; the caps keep N x B in memory
     * terms a user would mean (and in the types the analysis uses). */
    if (o->neurons < 2 || o->neurons > 1000000 || o->bins < 2 ||
        o->bins > 100000000 || o->neurons > INT64_MAX / o->bins) {
        fprintf(stderr, PROG ": --neurons %" PRId64 " --bins %" PRId64
                ": need 2..1000000 neurons and 2..100000000 bins\n",
                o->neurons, o->bins);
        return -1;
    }
    if (o->seed < 0 || o->seed > (int64_t)UINT32_MAX) {
        fprintf(stderr, PROG ": --seed %" PRId64 ": need 0 <= S < 2^32 (as "
                "numpy's RandomState)\n", o->seed);
        return -1;
    }
    if (!(o->rate >= 0.0 && o->rate <= 1.0)) {
        fprintf(stderr, PROG ": --rate %g: need 0 <= P <= 1\n", o->rate);
        return -1;
    }
    return 0;
}

static int attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                const void *v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, v) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    return rc;
}

/* Provenance on the root group; strings as h5py writes a Python str. */
static int write_attrs(hid_t file, const struct opts *o)
{
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    H5Tset_cset(str, H5T_CSET_UTF8);
    const char *gen = PROG, *model = "bernoulli";
    int64_t version = TESS_FORMAT_VERSION;
    int rc = 0;
    rc |= attr(file, "generator", str, str, &gen);
    rc |= attr(file, "model", str, str, &model);
    rc |= attr(file, "tessera_format_version", H5T_STD_I64LE,
               H5T_NATIVE_INT64, &version);
    rc |= attr(file, "seed", H5T_STD_I64LE, H5T_NATIVE_INT64, &o->seed);
    rc |= attr(file, "rate", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &o->rate);
    H5Tclose(str);
    return rc;
}

static int write_file(const char *path, const struct opts *o,
                      const uint8_t *spikes)
{
    hsize_t dims[2] = {(hsize_t)o->neurons, (hsize_t)o->bins};
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        return -1;
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(file, "spikes", H5T_STD_U8LE, space, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL,
                                H5P_DEFAULT, spikes) >= 0 ? 0 : -1;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(space);
    if (write_attrs(file, o) < 0)
        rc = -1;
    if (H5Fclose(file) < 0)
        rc = -1;
    /* Data on disk before the rename makes the name point at it. */
    int fd = rc == 0 ? open(path, O_RDONLY) : -1;
    if (rc == 0 && (fd < 0 || fsync(fd) < 0))
        rc = -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    tess_error_t err;
    neurons_mt_t mt;

    int parsed = parse_args(argc, argv, &o);
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : 2;
    }
    if (neurons_mt_seed(&mt, (uint64_t)o.seed, &err) < 0) { /* checked */
        fprintf(stderr, PROG ": %s\n", err.text);
        return 2;
    }
    size_t n = (size_t)o.neurons * (size_t)o.bins;
    size_t len = strlen(o.out);
    uint8_t *spikes = malloc(n);
    char *tmp = malloc(len + sizeof(".tmp"));
    if (!spikes || !tmp) {
        fprintf(stderr, PROG ": out of memory for %zu spikes\n", n);
        free(spikes);
        free(tmp);
        return 1;
    }
    /* Row-major order of draws, as numpy fills random_sample((N, B)). */
    for (size_t i = 0; i < n; i++)
        spikes[i] = neurons_mt_double(&mt) < o.rate;

    memcpy(tmp, o.out, len);
    memcpy(tmp + len, ".tmp", sizeof(".tmp"));
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* we report errors ourselves */
    int status = 0;
    if (write_file(tmp, &o, spikes) < 0) {
        fprintf(stderr, PROG ": %s: cannot write the file\n", tmp);
        status = 1;
    } else if (rename(tmp, o.out) < 0) {
        fprintf(stderr, PROG ": %s: cannot rename to %s: %s\n", tmp, o.out,
                strerror(errno));
        status = 1;
    }
    if (status != 0)
        unlink(tmp);
    free(spikes);
    free(tmp);
    return status;
}
