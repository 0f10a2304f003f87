/* h5result.c - result files: chunked datasets assembled box by box, root
 * attributes, atomic commit by rename. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "base/box.h"
#include "io/h5frag.h"
#include "io/h5result.h"
#include "io/h5util.h"
#include "io/h5result_private.h"

/* Chunks of at most about 1 MiB of whole rows (h5result_chunk_dims).
 * Large enough to amortise what each chunk costs (an index entry, a filter
 * call, an I/O) and to give deflate context; small enough that reading a
 * few rows (h5py slicing) inflates little, and that a chunk fits the 1 MiB
 * default chunk cache of readers such as h5py and h5dump (a larger chunk
 * would be re-read and re-inflated for every partial access). Whole rows
 * because results are produced and read by blocks of rows (pairs x lags),
 * so a fragment of rows touches few chunks and only its edges cut one. */
#define CHUNK_TARGET_BYTES ((size_t)1 << 20)
/* Bound of the buffer of h5result_copy_from_frag. */
#define COPY_SLAB_BYTES ((size_t)64 << 20)
/* Per-dataset chunk cache while writing: boxes that cut chunks (fragment
 * boundaries) complete them in memory instead of re-reading and
 * re-compressing them; w0 = 1 evicts fully written chunks first. */
#define WRITE_CACHE_BYTES ((size_t)16 << 20)
#define WRITE_CACHE_SLOTS 10007

struct dataset {
    char *name; /* without leading '/' */
    hid_t did;
    tess_type_t type;
    int rank;
    int64_t shape[TESS_MAX_RANK];
};

struct h5result {
    char *path;
    char *tmp;
    hid_t fid;
    bool finished; /* committed or aborted */
    bool discarding; /* writes go to an anonymous file (discard_writes) */
    struct dataset *ds;
    size_t nds, cap;
};

/* Record errno @p e (set now and kept in errno_out for the cleanup path)
 * and the message; evaluates to -1. */
#define FAIL(e, ...)                                                        \
    (errno = errno_out = (e), tess_errprintf(err, __VA_ARGS__))

static int set_format_version(h5result_t *res, tess_error_t *err);

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

/* A write that fails in HDF5 1.10 while it closes a file or flushes its
 * metadata (ENOSPC at H5Dclose, H5Fclose or H5Fflush) leaves a half-closed
 * file object behind: closing it again fails, and H5_term_library() then
 * crashes on it at exit (in H5F__close_cb). So nothing may fail inside a
 * close: the raw data is written first with the objects still open
 * (H5Dflush, which fails cleanly), room for the metadata is reserved, and
 * a file that is thrown away gets its descriptor replaced by an anonymous
 * in-memory file before it is closed, so closing it writes nowhere that
 * can be full. */

/* Redirect the file's writes to an anonymous memory file (sec2 driver: the
 * VFD handle is the int descriptor). */
static void discard_writes(h5result_t *res)
{
    void *handle = NULL;
    if (res->fid < 0 || res->discarding ||
        H5Fget_vfd_handle(res->fid, h5util_fapl(), &handle) < 0 || !handle)
        return;
    int mem = memfd_create("tessera-discarded", MFD_CLOEXEC);
    if (mem < 0)
        return;
    if (dup3(mem, *(int *)handle, O_CLOEXEC) >= 0)
        res->discarding = true;
    close(mem);
}

/* Close every HDF5 object; 0, or -1 with errno if a close failed (data
 * that could not be flushed) and the HDF5 reason in @p why. After a
 * failure the rest is closed discarding its writes. */
static int close_all(h5result_t *res, char *why, size_t whylen)
{
    int rc = 0, saved = 0;

    why[0] = '\0';
    for (size_t i = 0; i < res->nds; i++) {
        if (res->ds[i].did >= 0 && H5Dclose(res->ds[i].did) < 0 && rc == 0) {
            saved = errno;
            h5util_reason(why, whylen);
            rc = -1;
            discard_writes(res);
        }
        res->ds[i].did = H5I_INVALID_HID;
    }
    if (res->fid >= 0 && H5Fclose(res->fid) < 0 && rc == 0) {
        saved = errno;
        h5util_reason(why, whylen);
        rc = -1;
    }
    res->fid = H5I_INVALID_HID;
    if (rc < 0)
        errno = h5util_io_errno(saved);
    return rc;
}

/* Before the close: every dataset's cached chunks written, and the blocks
 * of the whole file (with 1 MiB for what closing adds) allocated, so that
 * the close itself cannot meet a full disk. 0, or -1 with errno and the
 * reason in @p why (the objects are then intact, to be discarded). */
static int prepare_close(h5result_t *res, char *why, size_t whylen)
{
    why[0] = '\0';
    for (size_t i = 0; i < res->nds; i++)
        if (res->ds[i].did >= 0 && H5Dflush(res->ds[i].did) < 0) {
            int saved = errno;
            h5util_reason(why, whylen);
            errno = h5util_io_errno(saved);
            return -1;
        }
    void *handle = NULL;
    hsize_t size = 0;
    if (H5Fget_filesize(res->fid, &size) < 0 ||
        H5Fget_vfd_handle(res->fid, h5util_fapl(), &handle) < 0 || !handle)
        return 0; /* no reservation: the close may still succeed */
    /* fallocate(2), not posix_fallocate(): where the file system cannot
     * reserve (EOPNOTSUPP), glibc's emulation would write every block */
    if (fallocate(*(int *)handle, 0, 0, (off_t)size + ((off_t)1 << 20)) < 0 &&
        errno != EOPNOTSUPP && errno != ENOSYS)
        return -1;
    return 0;
}

void h5result_abort(h5result_t *res)
{
    char why[8];
    int saved = errno;

    if (!res || res->finished)
        return;
    discard_writes(res); /* nothing of it is kept: write nothing more */
    close_all(res, why, sizeof(why));
    if (res->tmp)
        unlink(res->tmp);
    res->finished = true;
    errno = saved;
}

void h5result_destroy(h5result_t *res)
{
    int saved = errno;

    if (!res)
        return;
    h5result_abort(res);
    for (size_t i = 0; i < res->nds; i++)
        free(res->ds[i].name);
    free(res->ds);
    free(res->tmp);
    free(res->path);
    free(res);
    errno = saved;
}

h5result_t *h5result_create(const char *path, tess_error_t *err)
{
    char tmp[PATH_MAX];
    h5result_t *res = NULL;
    int errno_out = 0;

    if (!path || !path[0]) {
        errno = EINVAL;
        tess_errprintf(err, "result file: no path given");
        return NULL;
    }
    if (h5util_init() < 0) {
        tess_errprintf(err, "result file %s: cannot initialise HDF5", path);
        return NULL;
    }
    if (!(res = calloc(1, sizeof(*res)))) {
        FAIL(errno, "result file %s: out of memory", path);
        goto error;
    }
    res->fid = H5I_INVALID_HID;
    res->finished = true; /* nothing to abort until the file exists */
    if (!(res->path = strdup(path))) {
        FAIL(errno, "result file %s: out of memory", path);
        goto error;
    }
    if (h5util_reserve_temp(path, tmp, sizeof(tmp), false) < 0) {
        FAIL(errno, "result file %s: cannot create a temporary file beside "
             "it: %s", path, strerror(errno));
        goto error;
    }
    res->finished = false;
    if (!(res->tmp = strdup(tmp))) {
        unlink(tmp);
        res->finished = true;
        FAIL(errno, "result file %s: out of memory", path);
        goto error;
    }
    res->fid = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, h5util_fapl());
    if (res->fid < 0) {
        char why[200];
        int e = h5util_io_errno(errno);
        FAIL(e, "result file %s: cannot create %s: %s", path, tmp,
             h5util_reason(why, sizeof(why)));
        goto error;
    }
    if (set_format_version(res, err) < 0) {
        errno_out = errno;
        goto error;
    }
    return res;
error:
    h5result_destroy(res);
    errno = errno_out;
    return NULL;
}

int h5result_commit(h5result_t *res, tess_error_t *err)
{
    char why[200];
    int errno_out = 0;

    if (!res || res->finished) {
        errno = EINVAL;
        return tess_errprintf(err, "result file %s: already committed or "
                              "aborted", res ? res->path : "(null)");
    }
    if (prepare_close(res, why, sizeof(why)) < 0 ||
        close_all(res, why, sizeof(why)) < 0) {
        FAIL(errno, "result file %s: cannot flush and close %s: %s%s%s%s",
             res->path, res->tmp, strerror(errno), why[0] ? " (HDF5: " : "",
             why, why[0] ? ")" : "");
        goto fail;
    }
    /* Data before name, then the name itself: a result file is what the
     * user keeps, one directory sync per run is cheap. */
    if (h5util_sync_file(res->tmp) < 0 || rename(res->tmp, res->path) < 0) {
        FAIL(errno, "result file %s: cannot sync %s and rename it into "
             "place: %s", res->path, res->tmp, strerror(errno));
        goto fail;
    }
    res->finished = true;
    if (h5util_sync_dir(res->path) < 0)
        return FAIL(errno, "result file %s: written, but syncing its "
                    "directory failed: %s", res->path, strerror(errno));
    return 0;
fail:
    h5result_abort(res);
    errno = errno_out;
    return -1;
}

const char *h5result_path(const h5result_t *res)
{
    return res ? res->path : NULL;
}

const char *h5result_temp_path(const h5result_t *res)
{
    return res ? res->tmp : NULL;
}

hid_t h5result_file_id(const h5result_t *res)
{
    return res && !res->finished ? res->fid : H5I_INVALID_HID;
}

/* ------------------------------------------------------------------ */
/* Datasets                                                            */
/* ------------------------------------------------------------------ */

void h5result_chunk_dims(tess_type_t type, int rank, const int64_t *shape,
                         int64_t *chunk)
{
    size_t elsize = tess_type_size(type);
    int64_t target = (int64_t)(CHUNK_TARGET_BYTES / (elsize ? elsize : 1));
    int64_t inner = 1; /* elements of one chunk slice of dims d+1.. */
    int d;

    for (d = rank - 1; d >= 0; d--) {
        int64_t ext = shape[d] > 0 ? shape[d] : 1;
        if (ext <= target / inner) {
            chunk[d] = ext; /* whole dimension */
            inner *= ext;
            continue;
        }
        chunk[d] = target / inner > 0 ? target / inner : 1;
        break;
    }
    for (d--; d >= 0; d--)
        chunk[d] = 1;
}

static const char *strip(const char *name)
{
    while (*name == '/')
        name++;
    return name;
}

static struct dataset *find(h5result_t *res, const char *name)
{
    name = strip(name);
    for (size_t i = 0; i < res->nds; i++)
        if (strcmp(res->ds[i].name, name) == 0)
            return &res->ds[i];
    return NULL;
}

/* Common checks of the functions that write into an open file. */
static int check_open(h5result_t *res, const char *name, tess_error_t *err)
{
    if (!res || !name) {
        errno = EINVAL;
        return tess_errprintf(err, "result file: invalid arguments");
    }
    if (res->finished) {
        errno = EINVAL;
        return tess_errprintf(err, "result file %s: already committed or "
                              "aborted", res->path);
    }
    return 0;
}

int h5result_add_array(h5result_t *res, const char *name, tess_type_t type,
                       int rank, const int64_t *shape, int deflate_level,
                       tess_error_t *err)
{
    hid_t space = -1, dcpl = -1, dapl = -1, lcpl = -1, did = -1;
    hsize_t dims[TESS_MAX_RANK], cdims[TESS_MAX_RANK];
    int64_t chunk[TESS_MAX_RANK];
    int errno_out = 0, rc = -1;
    int64_t numel;

    if (check_open(res, name, err) < 0)
        return -1;
    const char *nm = strip(name);
    if (!nm[0] || tess_type_size(type) == 0 || rank < 1
        || rank > TESS_MAX_RANK || !shape
        || (numel = box_numel(rank, shape)) < 0 || deflate_level < 0
        || deflate_level > 9) {
        errno = EINVAL;
        return tess_errprintf(err, "result file %s: dataset /%s: invalid "
                              "arguments (type %d, rank %d, deflate level "
                              "%d)", res->path, nm, (int)type, rank,
                              deflate_level);
    }
    if (find(res, nm) || H5Lexists(res->fid, nm, H5P_DEFAULT) > 0) {
        errno = EEXIST;
        return tess_errprintf(err, "result file %s: dataset /%s already "
                              "exists", res->path, nm);
    }
    if (res->nds == res->cap) {
        size_t cap = res->cap ? 2 * res->cap : 4;
        struct dataset *ds = realloc(res->ds, cap * sizeof(*ds));
        if (!ds)
            return tess_errprintf(err, "result file %s: out of memory",
                                  res->path);
        res->ds = ds;
        res->cap = cap;
    }

    h5result_chunk_dims(type, rank, shape, chunk);
    for (int d = 0; d < rank; d++) {
        dims[d] = (hsize_t)shape[d];
        cdims[d] = (hsize_t)chunk[d];
    }
    static const char zero[8];
    if ((space = H5Screate_simple(rank, dims, NULL)) < 0
        || (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0
        || (dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0
        || (lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0
        || H5Pset_create_intermediate_group(lcpl, 1) < 0
        || H5Pset_fill_value(dcpl, h5util_mem_type(type), zero) < 0
        || H5Pset_chunk_cache(dapl, WRITE_CACHE_SLOTS, WRITE_CACHE_BYTES,
                              1.0) < 0) {
        FAIL(EIO, "result file %s: dataset /%s: cannot set up properties",
             res->path, nm);
        goto out;
    }
    /* An empty array cannot be chunked (a chunk extent is >= 1 and may not
     * exceed a fixed extent): stored contiguous. */
    if (numel > 0) {
        if (H5Pset_chunk(dcpl, rank, cdims) < 0) {
            FAIL(EIO, "result file %s: dataset /%s: cannot set chunks",
                 res->path, nm);
            goto out;
        }
        if (deflate_level > 0) {
            unsigned cfg = 0;
            if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0
                || H5Zget_filter_info(H5Z_FILTER_DEFLATE, &cfg) < 0
                || !(cfg & H5Z_FILTER_CONFIG_ENCODE_ENABLED)) {
                FAIL(ENOTSUP, "result file %s: dataset /%s: this HDF5 has no "
                     "deflate compression", res->path, nm);
                goto out;
            }
            if (H5Pset_shuffle(dcpl) < 0
                || H5Pset_deflate(dcpl, (unsigned)deflate_level) < 0) {
                FAIL(EIO, "result file %s: dataset /%s: cannot set "
                     "compression", res->path, nm);
                goto out;
            }
        }
    }
    did = H5Dcreate2(res->fid, nm, h5util_file_type(type), space, lcpl, dcpl,
                     dapl);
    if (did < 0) {
        char why[200];
        int e = h5util_io_errno(errno);
        FAIL(e, "result file %s: cannot create dataset /%s: %s", res->path,
             nm, h5util_reason(why, sizeof(why)));
        goto out;
    }
    struct dataset *ds = &res->ds[res->nds];
    if (!(ds->name = strdup(nm))) {
        FAIL(errno, "result file %s: out of memory", res->path);
        goto out;
    }
    ds->did = did;
    did = -1;
    ds->type = type;
    ds->rank = rank;
    memcpy(ds->shape, shape, (size_t)rank * sizeof(*shape));
    res->nds++;
    rc = 0;
out:
    h5util_close(5, did, lcpl, dapl, dcpl, space);
    if (rc < 0)
        errno = errno_out;
    return rc;
}

/* Find dataset @p name and check that the box fits it. */
static struct dataset *lookup_box(h5result_t *res, const char *name,
                                  const int64_t *start, const int64_t *count,
                                  tess_error_t *err)
{
    static const int64_t zeros[TESS_MAX_RANK];
    char b1[160], b2[160];
    struct dataset *ds;

    if (check_open(res, name, err) < 0)
        return NULL;
    if (!(ds = find(res, name))) {
        errno = ENOENT;
        tess_errprintf(err, "result file %s: no dataset /%s (add it with "
                       "h5result_add_array first)", res->path, strip(name));
        return NULL;
    }
    if (!start || !count || box_numel(ds->rank, count) < 0) {
        errno = EINVAL;
        tess_errprintf(err, "result file %s: dataset /%s: invalid box",
                       res->path, ds->name);
        return NULL;
    }
    if (!box_inside(ds->rank, start, count, zeros, ds->shape)) {
        errno = ERANGE;
        tess_errprintf(err, "result file %s: dataset /%s: box %s lies "
                       "outside the shape %s", res->path, ds->name,
                       box_format(b1, sizeof(b1), ds->rank, start, count),
                       box_format_shape(b2, sizeof(b2), ds->rank, ds->shape));
        return NULL;
    }
    return ds;
}

static int write_box(h5result_t *res, struct dataset *ds, const int64_t *start,
                     const int64_t *count, const void *buf, tess_error_t *err)
{
    char place[PATH_MAX + 2 * 64];

    snprintf(place, sizeof(place), "result file %s: dataset /%s", res->path,
             ds->name);
    /* the buffer is only read (HDF5 takes it non-const for reads too) */
    return h5util_box_io(ds->did, ds->type, ds->rank, NULL, start, count,
                         (void *)buf, count, NULL, true, place, err);
}

int h5result_write_box(h5result_t *res, const char *name,
                       const int64_t *start, const int64_t *count,
                       const void *buf, tess_error_t *err)
{
    struct dataset *ds = lookup_box(res, name, start, count, err);

    if (!ds)
        return -1;
    if (box_numel(ds->rank, count) == 0)
        return 0;
    if (!buf) {
        errno = EINVAL;
        return tess_errprintf(err, "result file %s: dataset /%s: no buffer "
                              "given", res->path, ds->name);
    }
    return write_box(res, ds, start, count, buf, err);
}

int h5result_copy_from_frag(h5result_t *res, const char *name,
                            const char *frag_path, const int64_t *box_start,
                            const int64_t *box_count, tess_error_t *err)
{
    static const int64_t zeros[TESS_MAX_RANK];
    struct dataset *ds = lookup_box(res, name, box_start, box_count, err);
    int64_t sstart[TESS_MAX_RANK], scount[TESS_MAX_RANK];
    h5frag_file_t *f;
    box_slabs_t it;
    void *buf = NULL;
    int rc = -1, e = 0;

    if (!ds)
        return -1;
    if (!(f = h5frag_file_open(frag_path, ds->type, ds->rank, err)))
        return -1;
    /* the whole box up front: nothing is copied from a box that does not
     * fit (slabs are checked again as they are read) */
    if (h5frag_file_check_box(f, box_start, box_count, err) < 0) {
        e = errno;
        goto out;
    }
    size_t bytes = box_slabs_init(&it, ds->rank, box_start, box_count,
                                  tess_type_size(ds->type), COPY_SLAB_BYTES);
    if (bytes == 0) { /* empty box: still checked against the fragment */
        rc = h5frag_file_read(f, box_start, box_count, NULL, box_count,
                              zeros, err);
        e = errno;
        goto out;
    }
    if (!(buf = malloc(bytes))) {
        e = errno;
        tess_errprintf(err, "result file %s: dataset /%s: cannot allocate a "
                       "%zu-byte buffer", res->path, ds->name, bytes);
        goto out;
    }
    while (box_slabs_next(&it, sstart, scount)) {
        if (h5frag_file_read(f, sstart, scount, buf, scount, zeros, err) < 0
            || write_box(res, ds, sstart, scount, buf, err) < 0) {
            e = errno;
            goto out;
        }
    }
    rc = 0;
out:
    free(buf);
    h5frag_file_close(f);
    if (rc < 0)
        errno = e;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Attributes                                                          */
/* ------------------------------------------------------------------ */

/* Write scalar attribute @p name of the root group (replacing one). */
static int set_attr(h5result_t *res, const char *name, hid_t ftype,
                    hid_t mtype, const void *value, tess_error_t *err)
{
    int errno_out = 0;
    char why[200];

    if (check_open(res, name, err) < 0)
        return -1;
    if (!name[0]) {
        errno = EINVAL;
        return tess_errprintf(err, "result file %s: empty attribute name",
                              res->path);
    }
    htri_t exists = H5Aexists(res->fid, name);
    if (exists < 0 || (exists > 0 && H5Adelete(res->fid, name) < 0))
        return FAIL(EIO, "result file %s: attribute %s: cannot replace it",
                    res->path, name);
    if (h5util_write_attr(res->fid, name, 0, ftype, mtype, value) < 0) {
        int e = h5util_io_errno(errno);
        return FAIL(e, "result file %s: cannot write attribute %s: %s",
                    res->path, name, h5util_reason(why, sizeof(why)));
    }
    return 0;
}

int h5result_set_attr_string(h5result_t *res, const char *name,
                             const char *value, tess_error_t *err)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    int rc;

    if (type < 0 || H5Tset_size(type, H5T_VARIABLE) < 0
        || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        if (type >= 0)
            H5Tclose(type);
        errno = EIO;
        return tess_errprintf(err, "result file %s: cannot make a string "
                              "type", res ? res->path : "(null)");
    }
    if (!value)
        value = "";
    rc = set_attr(res, name, type, type, &value, err);
    int e = errno;
    H5Tclose(type);
    errno = e;
    return rc;
}

int h5result_set_attr_int(h5result_t *res, const char *name, int64_t value,
                          tess_error_t *err)
{
    return set_attr(res, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, err);
}

/* tess_format_version: int32, as in fragment files. */
static int set_format_version(h5result_t *res, tess_error_t *err)
{
    int32_t v = TESS_FORMAT_VERSION;
    return set_attr(res, "tess_format_version", H5T_STD_I32LE,
                    H5T_NATIVE_INT32, &v, err);
}

int h5result_set_attr_double(h5result_t *res, const char *name, double value,
                             tess_error_t *err)
{
    return set_attr(res, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, err);
}

int h5result_set_provenance(h5result_t *res, const char *workflow,
                            const char *params_text, tess_error_t *err)
{
    char created[32];
    time_t now = time(NULL);
    struct tm tm;

    if (!gmtime_r(&now, &tm)
        || strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(created, "unknown");
    if (h5result_set_attr_string(res, "tessera_version", PACKAGE_VERSION,
                                 err) < 0
        || set_format_version(res, err) < 0
        || h5result_set_attr_string(res, "workflow", workflow, err) < 0
        || h5result_set_attr_string(res, "parameters", params_text, err) < 0
        || h5result_set_attr_string(res, "created", created, err) < 0)
        return -1;
    return 0;
}
