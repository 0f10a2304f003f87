/*
 * cc_seq.c - tessera-cc-seq: the sequential reference of the neurons
 * analysis (no Tessera engine): the fragments of the original, computed one
 * after the other with plain loops, written as one result file.
 *
 *   tessera-cc-seq SPIKES.h5 OUT.h5 [--num-frags F] [--maxlag M]
 *                  [--num-surrs S] [--seed X] [--delta D]
 *
 * Reads /spikes (uint8, N x B, 0/1); writes /cc_original (num_ccs x L f64)
 * and /cc_surrs (num_ccs x L x 2 f64), L = 2*maxlag+1, with provenance
 * attributes on the root group. The output is written to OUT.h5.tmp and
 * renamed, so OUT.h5 is either complete or absent (or the previous file).
 * Exit: 0 done; 1 computing or writing failed; 2 bad usage or input, in
 * which case nothing is created.
 *
 * HDF5 is used directly here, as a stand-alone reference program should;
 * the engine's result files go through io/.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "tessera.h"
#include "examples/neurons/neurons.h"
#include "examples/neurons/opts.h"

#define PROG "tessera-cc-seq"

enum { EXIT_FAILED = 1, EXIT_BAD_INPUT = 2 };

typedef neurons_opts_t opts_t;

struct spikes {
    uint8_t *data; /* num_neurons x num_bins, row-major; caller frees */
    int64_t num_neurons, num_bins;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROG " SPIKES.h5 OUT.h5 [options]\n" NEURONS_OPTS_HELP);
}

/* "uint8", "int32", "float64", ... for messages. */
static void type_name(hid_t t, char *buf, size_t n)
{
    size_t bits = H5Tget_size(t) * 8;
    switch (H5Tget_class(t)) {
    case H5T_INTEGER:
        snprintf(buf, n, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "",
                 bits);
        break;
    case H5T_FLOAT:
        snprintf(buf, n, "float%zu", bits);
        break;
    case H5T_STRING:
        snprintf(buf, n, "string");
        break;
    default:
        snprintf(buf, n, "a non-numeric type");
        break;
    }
}

/* Check the open dataset /spikes: uint8, rank 2; fills the shape. */
static int check_spikes_dataset(hid_t dset, const char *path,
                                struct spikes *sp, tess_error_t *err)
{
    hid_t type = H5Dget_type(dset), space = H5Dget_space(dset);
    int rc = -1;
    if (type < 0 || space < 0) {
        tess_errprintf(err, "%s: /spikes: cannot read type and shape", path);
        goto out;
    }
    if (H5Tget_class(type) != H5T_INTEGER || H5Tget_size(type) != 1 ||
        H5Tget_sign(type) != H5T_SGN_NONE) {
        char name[32];
        type_name(type, name, sizeof(name));
        tess_errprintf(err, "%s: /spikes: element type is %s, expected uint8",
                       path, name);
        goto out;
    }
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank != 2) {
        tess_errprintf(err, "%s: /spikes: rank %d, expected 2 (neurons x bins)",
                       path, rank);
        goto out;
    }
    hsize_t dims[2];
    H5Sget_simple_extent_dims(space, dims, NULL);
    if (dims[0] > INT32_MAX || dims[1] > UINT32_MAX) {
        tess_errprintf(err, "%s: /spikes: %llu x %llu is too large", path,
                       (unsigned long long)dims[0], (unsigned long long)dims[1]);
        goto out;
    }
    sp->num_neurons = (int64_t)dims[0];
    sp->num_bins = (int64_t)dims[1];
    rc = 0;
out:
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* Read /spikes of @p path. Every failure is bad input (exit 2). */
static int read_spikes(const char *path, struct spikes *sp, tess_error_t *err)
{
    sp->data = NULL;
    if (access(path, R_OK) < 0)
        return tess_errprintf(err, "%s: %s", path, strerror(errno));
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return tess_errprintf(err, "%s: not an HDF5 file", path);
    hid_t dset = -1;
    int rc = -1;
    if (H5Lexists(file, "spikes", H5P_DEFAULT) <= 0) {
        tess_errprintf(err, "%s: no dataset /spikes", path);
        goto out;
    }
    if ((dset = H5Dopen2(file, "spikes", H5P_DEFAULT)) < 0) {
        tess_errprintf(err, "%s: /spikes is not a dataset", path);
        goto out;
    }
    if (check_spikes_dataset(dset, path, sp, err) < 0)
        goto out;
    size_t n = (size_t)sp->num_neurons * (size_t)sp->num_bins;
    sp->data = malloc(n ? n : 1);
    if (!sp->data) {
        tess_errprintf(err, "%s: /spikes: out of memory", path);
        goto out;
    }
    if (n && H5Dread(dset, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     sp->data) < 0) {
        tess_errprintf(err, "%s: /spikes: cannot read the data", path);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0) {
        free(sp->data);
        sp->data = NULL;
    }
    if (dset >= 0)
        H5Dclose(dset);
    H5Fclose(file);
    return rc;
}

/* Everything that can be wrong with the input, before any output exists. */
static int check_input(const opts_t *o, const struct spikes *sp,
                       tess_error_t *err)
{
    tess_error_t e;
    if (neurons_check_params(sp->num_neurons, sp->num_bins, o->maxlag,
                             o->num_surrs, &e) < 0 ||
        neurons_check_spikes(sp->data, sp->num_neurons, sp->num_bins, &e) < 0)
        return tess_errprintf(err, "%s: /spikes (%" PRId64 " x %" PRId64
                              "): %s", o->in, sp->num_neurons, sp->num_bins,
                              e.text);
    int64_t num_ccs = neurons_num_ccs(sp->num_neurons);
    if (o->num_frags < 1 || o->num_frags > num_ccs)
        return tess_errprintf(err, "num_frags=%" PRId64 ": need 1..%" PRId64
                              " (the number of pairs of %s)", o->num_frags,
                              num_ccs, o->in);
    uint64_t s;
    for (int64_t f = 0; f < o->num_frags; f++)
        if (neurons_frag_seed(o->seed, o->delta, f, &s, err) < 0)
            return -1;
    return 0;
}

/* The analysis: fragment after fragment, each with its own generator. */
static int compute(const opts_t *o, const struct spikes *sp,
                   double *orig, double *surrs, tess_error_t *err)
{
    int64_t num_ccs = neurons_num_ccs(sp->num_neurons);
    int64_t L = 2 * o->maxlag + 1;
    for (int64_t f = 0; f < o->num_frags; f++) {
        int64_t start, end;
        uint64_t seed;
        if (neurons_frag_bounds(num_ccs, o->num_frags, f, &start, &end) < 0)
            return tess_errprintf(err, "fragment %" PRId64 ": bad bounds", f);
        if (neurons_frag_seed(o->seed, o->delta, f, &seed, err) < 0)
            return -1;
        if (neurons_cc_range(sp->data, sp->num_neurons, sp->num_bins, start,
                             end, seed, o->num_surrs, o->maxlag,
                             orig + start * L, surrs + start * L * 2, err) < 0)
            return -1;
    }
    return 0;
}

static int attr_i64(hid_t loc, const char *name, int64_t v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, space, H5P_DEFAULT,
                         H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    return rc;
}

/* A variable-length UTF-8 string: what h5py writes for a Python str. */
static int attr_str(hid_t loc, const char *name, const char *v)
{
    hid_t space = H5Screate(H5S_SCALAR), type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, type, &v) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Tclose(type);
    H5Sclose(space);
    return rc;
}

static int write_f64(hid_t file, const char *name, int rank,
                     const hsize_t *dims, const double *buf)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                H5P_DEFAULT, buf) >= 0 ? 0 : -1;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(space);
    return rc;
}

static int write_provenance(hid_t file, const opts_t *o,
                            const struct spikes *sp)
{
    int rc = 0;
    rc |= attr_str(file, "program", PROG);
    rc |= attr_i64(file, "tessera_format_version", TESS_FORMAT_VERSION);
    rc |= attr_str(file, "spikes", o->in);
    rc |= attr_i64(file, "num_neurons", sp->num_neurons);
    rc |= attr_i64(file, "num_bins", sp->num_bins);
    rc |= attr_i64(file, "num_frags", o->num_frags);
    rc |= attr_i64(file, "maxlag", o->maxlag);
    rc |= attr_i64(file, "num_surrs", o->num_surrs);
    rc |= attr_i64(file, "seed", o->seed);
    rc |= attr_i64(file, "delta", o->delta);
    return rc;
}

/* Make the renamed file survive a crash: its data first, then the name. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_results(const opts_t *o, const struct spikes *sp,
                         const double *orig, const double *surrs,
                         tess_error_t *err)
{
    size_t len = strlen(o->out);
    char *tmp = malloc(len + sizeof(".tmp"));
    if (!tmp)
        return tess_errprintf(err, "%s: out of memory", o->out);
    memcpy(tmp, o->out, len);
    memcpy(tmp + len, ".tmp", sizeof(".tmp"));

    hsize_t dims[3] = {(hsize_t)neurons_num_ccs(sp->num_neurons),
                       (hsize_t)(2 * o->maxlag + 1), 2};
    int rc = -1;
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        tess_errprintf(err, "%s: cannot create the file", tmp);
        goto out;
    }
    if (write_f64(file, "cc_original", 2, dims, orig) < 0 ||
        write_f64(file, "cc_surrs", 3, dims, surrs) < 0 ||
        write_provenance(file, o, sp) < 0) {
        tess_errprintf(err, "%s: cannot write the results", tmp);
        goto out;
    }
    herr_t closed = H5Fclose(file);
    file = -1;
    if (closed < 0 || sync_path(tmp) < 0) {
        tess_errprintf(err, "%s: cannot write the results", tmp);
        goto out;
    }
    if (rename(tmp, o->out) < 0) {
        tess_errprintf(err, "%s: cannot rename to %s: %s", tmp, o->out,
                       strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (file >= 0)
        H5Fclose(file);
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    opts_t o;
    struct spikes sp = {0};
    tess_error_t err;
    double *orig = NULL, *surrs = NULL;
    int status = EXIT_BAD_INPUT;

    int parsed = neurons_opts_parse(PROG, argc, argv, 2, 0, &o);
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : EXIT_BAD_INPUT;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* we report errors ourselves */
    if (read_spikes(o.in, &sp, &err) < 0 || check_input(&o, &sp, &err) < 0)
        goto out;

    status = EXIT_FAILED;
    size_t n = (size_t)neurons_num_ccs(sp.num_neurons) *
               (size_t)(2 * o.maxlag + 1);
    orig = malloc(n * sizeof(*orig));
    surrs = malloc(2 * n * sizeof(*surrs));
    if (!orig || !surrs) {
        tess_errprintf(&err, "out of memory for the results of %s", o.in);
        goto out;
    }
    if (compute(&o, &sp, orig, surrs, &err) < 0 ||
        write_results(&o, &sp, orig, surrs, &err) < 0)
        goto out;
    status = 0;
out:
    if (status != 0)
        fprintf(stderr, PROG ": %s\n", err.text);
    free(orig);
    free(surrs);
    free(sp.data);
    return status;
}
