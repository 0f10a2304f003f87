/* h5trace.c - trace.csv as an HDF5 compound table (see h5trace.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/utf8.h"
#include "io/h5util.h"
#include "io/h5result_private.h"
#include "io/h5trace.h"
#include "io/trace.h"

/* Rows per write (and per chunk): bounded memory for traces of 10^6 tasks,
 * few enough writes that their cost does not matter. */
#define BLOCK 4096

/* A row in memory: the strings are owned (sanitised copies). */
struct h5row {
    uint64_t task;
    char *name;
    char *kernel;
    int32_t worker;
    char *node;
    int32_t slot;
    char *arch;
    uint64_t submit_ns, ready_ns, start_ns, end_ns;
    uint64_t bytes_in, bytes_out, cache_hits;
    uint32_t attempt;
    char *state;
    char *message;
};

enum { T_U64, T_I32, T_U32, T_STR };

static const struct field {
    const char *name;
    size_t offset;
    int type;
} fields[] = {
    {"task", offsetof(struct h5row, task), T_U64},
    {"name", offsetof(struct h5row, name), T_STR},
    {"kernel", offsetof(struct h5row, kernel), T_STR},
    {"worker", offsetof(struct h5row, worker), T_I32},
    {"node", offsetof(struct h5row, node), T_STR},
    {"slot", offsetof(struct h5row, slot), T_I32},
    {"arch", offsetof(struct h5row, arch), T_STR},
    {"submit_ns", offsetof(struct h5row, submit_ns), T_U64},
    {"ready_ns", offsetof(struct h5row, ready_ns), T_U64},
    {"start_ns", offsetof(struct h5row, start_ns), T_U64},
    {"end_ns", offsetof(struct h5row, end_ns), T_U64},
    {"bytes_in", offsetof(struct h5row, bytes_in), T_U64},
    {"bytes_out", offsetof(struct h5row, bytes_out), T_U64},
    {"cache_hits", offsetof(struct h5row, cache_hits), T_U64},
    {"attempt", offsetof(struct h5row, attempt), T_U32},
    {"state", offsetof(struct h5row, state), T_STR},
    {"message", offsetof(struct h5row, message), T_STR},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The compound types of a row: in memory (native, struct h5row's layout)
 * when @p file is 0, else packed little-endian for the file. */
static hid_t row_type(hid_t str, int file)
{
    size_t size = 0;
    hid_t t;

    if (!file) {
        size = sizeof(struct h5row);
    } else {
        for (size_t i = 0; i < NFIELDS; i++)
            size += fields[i].type == T_STR ? H5Tget_size(str)
                    : fields[i].type == T_U64 ? 8 : 4;
    }
    if ((t = H5Tcreate(H5T_COMPOUND, size)) < 0)
        return -1;
    size_t off = 0;
    for (size_t i = 0; i < NFIELDS; i++) {
        hid_t ft = fields[i].type == T_STR ? str
                   : fields[i].type == T_U64
                       ? (file ? H5T_STD_U64LE : H5T_NATIVE_UINT64)
                   : fields[i].type == T_I32
                       ? (file ? H5T_STD_I32LE : H5T_NATIVE_INT32)
                       : (file ? H5T_STD_U32LE : H5T_NATIVE_UINT32);
        if (H5Tinsert(t, fields[i].name, file ? off : fields[i].offset, ft) < 0) {
            H5Tclose(t);
            return -1;
        }
        off += H5Tget_size(ft);
    }
    return t;
}

static void free_rows(struct h5row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < NFIELDS; k++)
            if (fields[k].type == T_STR)
                free(*(char **)((char *)&rows[i] + fields[k].offset));
}

/* Copy @p in into @p out, strings sanitised. -1 with errno ENOMEM. */
static int copy_row(struct h5row *out, const trace_row_t *in)
{
    memset(out, 0, sizeof(*out));
    out->task = in->task;
    out->worker = in->worker;
    out->slot = in->slot;
    out->submit_ns = in->submit_ns;
    out->ready_ns = in->ready_ns;
    out->start_ns = in->start_ns;
    out->end_ns = in->end_ns;
    out->bytes_in = in->bytes_in;
    out->bytes_out = in->bytes_out;
    out->cache_hits = in->cache_hits;
    out->attempt = in->attempt;
    if (!(out->name = utf8_sanitize(in->name)) ||
        !(out->kernel = utf8_sanitize(in->kernel)) ||
        !(out->node = utf8_sanitize(in->node)) ||
        !(out->arch = utf8_sanitize(in->arch)) ||
        !(out->state = utf8_sanitize(in->state)) ||
        !(out->message = utf8_sanitize(in->message))) {
        free_rows(out, 1);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Append @p n rows to dataset @p did, which holds @p *total. */
static int append(hid_t did, hid_t mtype, const struct h5row *rows, size_t n,
                  hsize_t *total)
{
    hsize_t start = *total, count = n, size = *total + n;
    hid_t fspace = -1, mspace = -1;
    int rc = -1;

    if (n == 0)
        return 0;
    if (H5Dset_extent(did, &size) >= 0 && (fspace = H5Dget_space(did)) >= 0 &&
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count,
                            NULL) >= 0 &&
        (mspace = H5Screate_simple(1, &count, NULL)) >= 0 &&
        H5Dwrite(did, mtype, mspace, fspace, H5P_DEFAULT, rows) >= 0) {
        *total = size;
        rc = 0;
    }
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    return rc;
}

int h5trace_write(const char *run_dir, tess_error_t *err)
{
    char csv[PATH_MAX], h5[PATH_MAX], why[200];
    trace_reader_t *r = NULL;
    h5result_t *res = NULL;
    hid_t str = -1, mtype = -1, ftype = -1, space = -1, dcpl = -1, did = -1;
    struct h5row *rows = NULL;
    size_t n = 0;
    hsize_t total = 0;
    int errno_out = 0, rc = -1;

    if (snprintf(csv, sizeof(csv), "%s/trace.csv", run_dir) >= (int)sizeof(csv) ||
        snprintf(h5, sizeof(h5), "%s/trace.h5", run_dir) >= (int)sizeof(h5)) {
        errno = ENAMETOOLONG;
        return tess_errprintf(err, "%s: path too long", run_dir);
    }
    if (!(r = trace_open(csv, err)))
        return -1;
    if (!(rows = calloc(BLOCK, sizeof(*rows)))) {
        errno_out = ENOMEM;
        tess_errprintf(err, "%s: out of memory", h5);
        goto out;
    }
    if (!(res = h5result_create(h5, err))) {
        errno_out = errno;
        goto out;
    }
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = BLOCK;
    if ((str = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(str, H5T_VARIABLE) < 0 ||
        H5Tset_cset(str, H5T_CSET_UTF8) < 0 ||
        (mtype = row_type(str, 0)) < 0 || (ftype = row_type(str, 1)) < 0 ||
        (space = H5Screate_simple(1, &zero, &unlimited)) < 0 ||
        (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        H5Pset_chunk(dcpl, 1, &chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
        H5Pset_deflate(dcpl, 1) < 0 ||
        (did = H5Dcreate2(h5result_file_id(res), "trace", ftype, space,
                          H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) {
        errno_out = h5util_io_errno(errno);
        tess_errprintf(err, "%s: cannot create dataset /trace: %s", h5,
                       h5util_reason(why, sizeof(why)));
        goto out;
    }
    for (;;) {
        trace_row_t row;
        int got = trace_next(r, &row);
        if (got < 0 || (got == 1 && copy_row(&rows[n], &row) < 0)) {
            errno_out = errno;
            tess_errprintf(err, "%s: %s", csv, strerror(errno));
            goto out;
        }
        if (got == 1)
            n++;
        if (n == BLOCK || (got == 0 && n > 0)) {
            int wrc = append(did, mtype, rows, n, &total);
            free_rows(rows, n);
            n = 0;
            if (wrc < 0) {
                errno_out = h5util_io_errno(errno);
                tess_errprintf(err, "%s: cannot write dataset /trace: %s",
                               h5, h5util_reason(why, sizeof(why)));
                goto out;
            }
        }
        if (got == 0)
            break;
    }
    if (h5result_set_attr_string(res, "tessera_version", PACKAGE_VERSION,
                                 err) < 0 ||
        h5result_set_attr_string(res, "source", "trace.csv", err) < 0 ||
        h5result_set_attr_string(res, "time_unit", "ns since 1970-01-01 UTC "
                                 "(CLOCK_REALTIME)", err) < 0 ||
        h5result_set_attr_int(res, "rows", (int64_t)total, err) < 0 ||
        h5result_set_attr_int(res, "torn_rows", trace_torn(r), err) < 0 ||
        h5result_set_attr_int(res, "damaged_rows",
                              (int64_t)trace_damaged(r, NULL), err) < 0) {
        errno_out = errno;
        goto out;
    }
    /* the dataset must be closed before h5result closes the file */
    herr_t cerr = H5Dclose(did);
    did = -1;
    if (cerr < 0) {
        errno_out = h5util_io_errno(errno);
        tess_errprintf(err, "%s: cannot write dataset /trace: %s", h5,
                       h5util_reason(why, sizeof(why)));
        goto out;
    }
    if (h5result_commit(res, err) < 0) {
        errno_out = errno;
        goto out;
    }
    rc = 0;
out:
    if (rows)
        free_rows(rows, n);
    free(rows);
    if (did >= 0)
        H5Dclose(did);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (mtype >= 0)
        H5Tclose(mtype);
    if (str >= 0)
        H5Tclose(str);
    h5result_destroy(res); /* aborts (removes the temporary) on failure */
    trace_close(r);
    if (rc < 0)
        errno = errno_out;
    return rc;
}

int h5trace_stale(const char *run_dir)
{
    char path[PATH_MAX];
    struct stat c, h;

    snprintf(path, sizeof(path), "%s/trace.csv", run_dir);
    if (stat(path, &c) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/trace.h5", run_dir);
    if (stat(path, &h) < 0)
        return 1;
    if (h.st_mtim.tv_sec != c.st_mtim.tv_sec)
        return h.st_mtim.tv_sec < c.st_mtim.tv_sec;
    return h.st_mtim.tv_nsec < c.st_mtim.tv_nsec;
}
