/* h5frag.c - array fragments as HDF5 files (see h5frag.h for the format). */
#define _GNU_SOURCE /* dirfd */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/box.h"
#include "base/fault.h"
#include "io/h5frag.h"
#include "io/h5util.h"

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

int h5frag_path(char *buf, size_t len, const char *run_dir, uint64_t data_id,
                uint32_t version)
{
    if (!buf || !run_dir || !run_dir[0]) {
        errno = EINVAL;
        return -1;
    }
    size_t n = strlen(run_dir);
    while (n > 1 && run_dir[n - 1] == '/')
        n--;
    int w = snprintf(buf, len, "%.*s%sfrags/d%llu/v%lu.h5", (int)n, run_dir,
                     run_dir[n - 1] == '/' ? "" : "/",
                     (unsigned long long)data_id, (unsigned long)version);
    if (w < 0 || (size_t)w >= len) {
        if (len)
            buf[0] = '\0';
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int h5frag_sync_dir(const char *path)
{
    return h5util_sync_dir(path);
}

int h5frag_remove(const char *path)
{
    if (!path) {
        errno = EINVAL;
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/* Validate a box of a fragment or array: rank, counts, starts, sizes. */
static int check_box(int rank, const int64_t *start, const int64_t *count)
{
    if (rank < 1 || rank > TESS_MAX_RANK || !count)
        return -1;
    if (box_numel(rank, count) < 0)
        return -1;
    for (int d = 0; start && d < rank; d++) {
        int64_t end;
        if (start[d] < 0 || __builtin_add_overflow(start[d], count[d], &end))
            return -1;
    }
    return 0;
}

/* Write the HDF5 content of a fragment into the (reserved) file @p tmp. */
static int write_content(const char *tmp, tess_type_t type, int rank,
                         const int64_t *start, const int64_t *count,
                         const void *buf, int64_t numel, int64_t *offset,
                         const char **what, char *why, size_t whylen)
{
    hid_t fid = -1, space = -1, dcpl = -1, did = -1;
    hsize_t dims[TESS_MAX_RANK];
    int rc = -1;

    for (int d = 0; d < rank; d++)
        dims[d] = (hsize_t)count[d];
    *what = "create the file";
    if ((fid = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, h5util_fapl())) < 0)
        goto out;
    *what = "create dataset " H5FRAG_DATASET;
    if ((space = H5Screate_simple(rank, dims, NULL)) < 0
        || (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0
        || H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0
        || H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0
        || (did = H5Dcreate2(fid, H5FRAG_DATASET, h5util_file_type(type),
                             space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        goto out;
    *what = "write dataset " H5FRAG_DATASET;
    if (numel > 0 && H5Dwrite(did, h5util_mem_type(type), H5S_ALL, H5S_ALL,
                              H5P_DEFAULT, buf) < 0)
        goto out;
    if (fault_hit("fragment"))
        fault_die(); /* test hook (TESS_FAULT): a fragment half-written */
    if (offset) {
        haddr_t a = numel > 0 ? H5Dget_offset(did) : HADDR_UNDEF;
        *offset = a == HADDR_UNDEF ? -1 : (int64_t)a;
    }
    *what = "write the attributes of " H5FRAG_DATASET;
    int version = TESS_FORMAT_VERSION;
    if (h5util_write_attr(did, "start", rank, H5T_STD_I64LE, H5T_NATIVE_INT64,
                          start) < 0
        || h5util_write_attr(did, "tess_format_version", 0, H5T_STD_I32LE,
                             H5T_NATIVE_INT, &version) < 0)
        goto out;
    rc = 0;
out:;
    /* Right after the failing call: its errno and HDF5's reason (the next
     * HDF5 call clears the error stack). */
    int saved = errno;
    why[0] = '\0';
    if (rc < 0)
        h5util_reason(why, whylen);
    if (did >= 0 && H5Dclose(did) < 0)
        rc = -1;
    h5util_close(2, dcpl, space);
    if (fid >= 0) {
        if (rc == 0)
            *what = "close the file";
        if (H5Fclose(fid) < 0) {
            if (rc == 0) {
                saved = errno;
                h5util_reason(why, whylen);
            }
            rc = -1;
        }
    }
    if (rc < 0)
        errno = saved;
    return rc;
}

int h5frag_write(const char *path, tess_type_t type, int rank,
                 const int64_t *start, const int64_t *count, const void *buf,
                 tess_error_t *err)
{
    return h5frag_write2(path, type, rank, start, count, buf, 0, err);
}

/* Give the complete temporary @p tmp the name @p path unless it exists.
 * link(2) is atomic and exclusive on every POSIX file system, NFS included;
 * over NFS a retransmitted LINK whose first reply was lost can answer
 * EEXIST for our own link, hence the inode comparison. On success the
 * temporary name is removed. */
static int commit_noreplace(const char *tmp, const char *path)
{
    struct stat a, b;

    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    int e = errno;
    if (e == EEXIST && stat(tmp, &a) == 0 && stat(path, &b) == 0
        && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        unlink(tmp);
        return 0;
    }
    if (e == EPERM || e == ENOTSUP || e == ENOSYS || e == EOPNOTSUPP) {
        /* no hard links here (some FUSE and object-store file systems) */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
            return 0;
        e = errno == EINVAL || errno == ENOSYS ? ENOTSUP : errno;
    }
    errno = e;
    return -1;
}

int h5frag_write2(const char *path, tess_type_t type, int rank,
                  const int64_t *start, const int64_t *count, const void *buf,
                  unsigned flags, tess_error_t *err)
{
    return h5frag_write3(path, type, rank, start, count, buf, flags, NULL,
                         err);
}

int h5frag_write3(const char *path, tess_type_t type, int rank,
                  const int64_t *start, const int64_t *count, const void *buf,
                  unsigned flags, int64_t *data_offset, tess_error_t *err)
{
    char tmp[PATH_MAX], why[200];
    int64_t numel;
    const char *what = "";

    if (!path || !path[0]) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file: no path given");
    }
    if (h5util_init() < 0)
        return tess_errprintf(err, "frag file %s: cannot initialise HDF5",
                              path);
    if (tess_type_size(type) == 0) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: unknown element type %d",
                              path, (int)type);
    }
    if (flags & ~(H5FRAG_NOSYNC | H5FRAG_NOREPLACE)) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: unknown flags 0x%x", path,
                              flags);
    }
    if (!start || check_box(rank, start, count) < 0) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: invalid box (rank %d; "
                              "1..%d dimensions, starts and counts >= 0)",
                              path, rank, TESS_MAX_RANK);
    }
    numel = box_numel(rank, count);
    if ((uint64_t)numel > SIZE_MAX / tess_type_size(type)
        || (numel > 0 && !buf)) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: %s", path,
                              buf ? "fragment too large" : "no buffer given");
    }

    if (h5util_reserve_temp(path, tmp, sizeof(tmp), true) < 0)
        return tess_errprintf(err, "frag file %s: cannot create a temporary "
                              "file beside it: %s", path, strerror(errno));
    if (write_content(tmp, type, rank, start, count, buf, numel, data_offset,
                      &what, why, sizeof(why)) < 0) {
        int e = h5util_io_errno(errno);
        unlink(tmp);
        errno = e;
        return tess_errprintf(err, "frag file %s: cannot %s (temporary %s): "
                              "%s%s%s%s", path, what, tmp, strerror(e),
                              why[0] ? " (HDF5: " : "", why,
                              why[0] ? ")" : "");
    }
    /* Data before name: fsync the complete file, then rename it into place.
     * Without the fsync an OS crash could persist the rename before the
     * data: a truncated file or, on some file systems, one of the right
     * size with unwritten blocks. fsync runs outside HDF5 (after H5Fclose),
     * so it does not hold HDF5's global lock against other threads. */
    if (!(flags & H5FRAG_NOSYNC) && h5util_sync_file(tmp) < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return tess_errprintf(err, "frag file %s: cannot sync %s: %s", path,
                              tmp, strerror(e));
    }
    if ((flags & H5FRAG_NOREPLACE ? commit_noreplace(tmp, path)
                                  : rename(tmp, path)) < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        if (e == EEXIST)
            return tess_errprintf(err, "frag file %s: exists already (never "
                                  "replaced)", path);
        return tess_errprintf(err, "frag file %s: cannot %s %s into place: %s",
                              path, flags & H5FRAG_NOREPLACE ? "link"
                              : "rename", tmp, strerror(e));
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* Record errno @p e (set now and kept in errno_out for the cleanup path)
 * and the message; evaluates to -1. */
#define FAIL(e, ...)                                                        \
    (errno = errno_out = (e), tess_errprintf(err, __VA_ARGS__))

struct h5frag_file {
    hid_t fid;
    hid_t did;
    tess_type_t type;
    int rank;
    int64_t start[TESS_MAX_RANK]; /* the fragment's box */
    int64_t count[TESS_MAX_RANK];
    char path[]; /* for messages */
};

/* Why could HDF5 not open @p path? Called right after H5Fopen failed (the
 * error stack is the calling thread's). Sets errno, fills err. Decided from
 * HDF5's own record, not by looking at the path again: the file may have
 * appeared since (a writer renaming it into place). */
static int open_failure(const char *path, tess_error_t *err)
{
    char why[200];
    int sys = 0, errno_out = EIO;

    h5util_reason_errno(why, sizeof(why), &sys);
    if (sys > 0)
        return FAIL(sys, "frag file %s: %s", path, strerror(sys));
    return FAIL(EIO, "frag file %s: not an HDF5 file, or truncated or "
                "corrupt%s%s%s", path, why[0] ? " (HDF5: " : "", why,
                why[0] ? ")" : "");
}

void h5frag_file_close(h5frag_file_t *f)
{
    int saved = errno;
    if (!f)
        return;
    if (f->did >= 0)
        H5Dclose(f->did);
    if (f->fid >= 0)
        H5Fclose(f->fid);
    free(f);
    errno = saved;
}

h5frag_file_t *h5frag_file_open(const char *path, tess_type_t type, int rank,
                                tess_error_t *err)
{
    hid_t dtype = -1, space = -1;
    int errno_out = 0;
    int64_t version;
    char desc[32];
    h5frag_file_t *f;

    if (!path) {
        errno = EINVAL;
        tess_errprintf(err, "frag file: no path given");
        return NULL;
    }
    if (h5util_init() < 0) {
        tess_errprintf(err, "frag file %s: cannot initialise HDF5", path);
        return NULL;
    }
    if (!(f = calloc(1, sizeof(*f) + strlen(path) + 1))) {
        tess_errprintf(err, "frag file %s: out of memory", path);
        return NULL;
    }
    strcpy(f->path, path);
    f->fid = f->did = H5I_INVALID_HID;
    if ((f->fid = H5Fopen(path, H5F_ACC_RDONLY, h5util_fapl())) < 0) {
        open_failure(path, err);
        errno_out = errno;
        goto fail;
    }
    /* The success path makes as few HDF5 calls as it can (each costs
     * microseconds under the library's lock); the failure path explains. */
    if ((f->did = H5Dopen2(f->fid, H5FRAG_DATASET, H5P_DEFAULT)) < 0) {
        if (H5Lexists(f->fid, H5FRAG_DATASET + 1, H5P_DEFAULT) <= 0)
            FAIL(EPROTO, "frag file %s: no dataset " H5FRAG_DATASET
                 " (not a Tessera fragment)", path);
        else
            FAIL(EPROTO, "frag file %s: " H5FRAG_DATASET " is not a dataset "
                 "(not a Tessera fragment)", path);
        goto fail;
    }
    if (h5util_read_int64_attr(f->did, "tess_format_version", 0, &version)
        < 0) {
        FAIL(EPROTO, "frag file %s: dataset " H5FRAG_DATASET ": no integer "
             "attribute tess_format_version (not a Tessera fragment)", path);
        goto fail;
    }
    if (version < 1 || version > TESS_FORMAT_VERSION) {
        FAIL(EPROTO, "frag file %s: dataset " H5FRAG_DATASET ": format "
             "version %lld, this Tessera reads versions 1 to %d", path,
             (long long)version, TESS_FORMAT_VERSION);
        goto fail;
    }
    if ((dtype = H5Dget_type(f->did)) < 0
        || (space = H5Dget_space(f->did)) < 0) {
        FAIL(EIO, "frag file %s: dataset " H5FRAG_DATASET ": cannot read its "
             "type and shape", path);
        goto fail;
    }
    f->type = h5util_classify(dtype, desc, sizeof(desc));
    if (type && f->type != type) {
        FAIL(EINVAL, "frag file %s: dataset " H5FRAG_DATASET ": element type "
             "is %s, expected %s", path, desc, tess_type_name(type));
        goto fail;
    }
    if (!f->type) {
        FAIL(EPROTO, "frag file %s: dataset " H5FRAG_DATASET ": element type "
             "%s is not a Tessera type", path, desc);
        goto fail;
    }
    f->rank = H5Sget_simple_extent_ndims(space);
    if (rank && f->rank != rank) {
        FAIL(EINVAL, "frag file %s: dataset " H5FRAG_DATASET ": rank is %d, "
             "expected %d", path, f->rank, rank);
        goto fail;
    }
    if (f->rank < 1 || f->rank > TESS_MAX_RANK) {
        FAIL(EPROTO, "frag file %s: dataset " H5FRAG_DATASET ": rank %d, "
             "expected 1 to %d", path, f->rank, TESS_MAX_RANK);
        goto fail;
    }
    hsize_t dims[TESS_MAX_RANK];
    H5Sget_simple_extent_dims(space, dims, NULL);
    for (int d = 0; d < f->rank; d++)
        f->count[d] = (int64_t)dims[d];
    if (h5util_read_int64_attr(f->did, "start", f->rank, f->start) < 0
        || check_box(f->rank, f->start, f->count) < 0) {
        FAIL(EPROTO, "frag file %s: dataset " H5FRAG_DATASET ": attribute "
             "start missing or not %d integers >= 0", path, f->rank);
        goto fail;
    }
    h5util_close(2, dtype, space);
    return f;
fail:
    h5util_close(2, dtype, space);
    h5frag_file_close(f);
    errno = errno_out;
    return NULL;
}

void h5frag_file_info(const h5frag_file_t *f, tess_type_t *type, int *rank,
                      int64_t *start, int64_t *count)
{
    if (type)
        *type = f->type;
    if (rank)
        *rank = f->rank;
    if (start)
        memcpy(start, f->start, (size_t)f->rank * sizeof(*start));
    if (count)
        memcpy(count, f->count, (size_t)f->rank * sizeof(*count));
}

int h5frag_file_check_box(const h5frag_file_t *f, const int64_t *box_start,
                          const int64_t *box_count, tess_error_t *err)
{
    char b1[160], b2[160];

    if (box_inside(f->rank, box_start, box_count, f->start, f->count))
        return 0;
    errno = ERANGE;
    return tess_errprintf(err, "frag file %s: dataset " H5FRAG_DATASET
                          ": box %s lies outside the fragment %s", f->path,
                          box_format(b1, sizeof(b1), f->rank, box_start,
                                     box_count),
                          box_format(b2, sizeof(b2), f->rank, f->start,
                                     f->count));
}

int h5frag_file_read(h5frag_file_t *f, const int64_t *box_start,
                     const int64_t *box_count, void *dst,
                     const int64_t *dst_shape, const int64_t *dst_start,
                     tess_error_t *err)
{
    static const int64_t zeros[TESS_MAX_RANK];
    const int rank = f->rank;
    char b1[160], b2[160], b3[160], place[PATH_MAX + 32];

    if (!box_start || !dst_shape || !dst_start
        || check_box(rank, box_start, box_count) < 0
        || check_box(rank, dst_start, dst_shape) < 0) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: invalid box or destination "
                              "(rank %d, starts and counts >= 0)", f->path,
                              rank);
    }
    if (h5frag_file_check_box(f, box_start, box_count, err) < 0)
        return -1;
    if (!box_inside(rank, dst_start, box_count, zeros, dst_shape)) {
        errno = ERANGE;
        return tess_errprintf(err, "frag file %s: box %s does not fit the "
                              "destination of shape %s at %s", f->path,
                              box_format(b1, sizeof(b1), rank, box_start,
                                         box_count),
                              box_format_shape(b2, sizeof(b2), rank,
                                               dst_shape),
                              box_format(b3, sizeof(b3), rank, dst_start,
                                         box_count));
    }
    if (box_numel(rank, box_count) == 0)
        return 0;
    if (!dst) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: no destination buffer",
                              f->path);
    }
    snprintf(place, sizeof(place), "frag file %s: dataset " H5FRAG_DATASET,
             f->path);
    return h5util_box_io(f->did, f->type, rank, f->start, box_start,
                         box_count, dst, dst_shape, dst_start, false, place,
                         err);
}

int h5frag_read(const char *path, tess_type_t type, int rank,
                const int64_t *box_start, const int64_t *box_count, void *dst,
                const int64_t *dst_shape, const int64_t *dst_start,
                tess_error_t *err)
{
    h5frag_file_t *f;

    if (tess_type_size(type) == 0 || rank < 1 || rank > TESS_MAX_RANK) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: invalid request (type %d, "
                              "rank %d)", path ? path : "(null)", (int)type,
                              rank);
    }
    if (!(f = h5frag_file_open(path, type, rank, err)))
        return -1;
    int rc = h5frag_file_read(f, box_start, box_count, dst, dst_shape,
                              dst_start, err);
    h5frag_file_close(f);
    return rc;
}

int h5frag_info(const char *path, tess_type_t *type, int *rank,
                int64_t *start, int64_t *count, tess_error_t *err)
{
    return h5frag_info2(path, type, rank, start, count, NULL, err);
}

int h5frag_info2(const char *path, tess_type_t *type, int *rank,
                 int64_t *start, int64_t *count, int64_t *data_offset,
                 tess_error_t *err)
{
    h5frag_file_t *f = h5frag_file_open(path, 0, 0, err);

    if (!f)
        return -1;
    if (data_offset) {
        H5D_layout_t layout = H5D_LAYOUT_ERROR;
        hid_t dcpl = H5Dget_create_plist(f->did);
        if (dcpl >= 0) {
            layout = H5Pget_layout(dcpl);
            H5Pclose(dcpl);
        }
        haddr_t a = layout == H5D_CONTIGUOUS ? H5Dget_offset(f->did)
                                             : HADDR_UNDEF;
        *data_offset = a == HADDR_UNDEF ? -1 : (int64_t)a;
    }
    h5frag_file_info(f, type, rank, start, count);
    h5frag_file_close(f);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Leftover temporaries                                                */
/* ------------------------------------------------------------------ */

int h5frag_clean_temps(const char *run_dir, tess_error_t *err)
{
    char frags[PATH_MAX], sub[PATH_MAX];
    DIR *top, *dir;
    struct dirent *de, *fe;
    int removed = 0;

    if (!run_dir || !run_dir[0]) {
        errno = EINVAL;
        return tess_errprintf(err, "frag files: no run directory given");
    }
    if (snprintf(frags, sizeof(frags), "%s/frags", run_dir)
        >= (int)sizeof(frags)) {
        errno = ENAMETOOLONG;
        return tess_errprintf(err, "frag files: %s: %s", run_dir,
                              strerror(errno));
    }
    if (!(top = opendir(frags))) {
        if (errno == ENOENT)
            return 0;
        return tess_errprintf(err, "frag files: %s: %s", frags,
                              strerror(errno));
    }
    while ((de = readdir(top))) {
        if (de->d_name[0] != 'd')
            continue;
        if (snprintf(sub, sizeof(sub), "%s/%s", frags, de->d_name)
            >= (int)sizeof(sub))
            continue;
        if (!(dir = opendir(sub)))
            continue; /* not a directory, or gone */
        while ((fe = readdir(dir))) {
            if (!strstr(fe->d_name, ".h5.tmp."))
                continue;
            if (unlinkat(dirfd(dir), fe->d_name, 0) == 0)
                removed++;
            else if (errno != ENOENT) {
                int e = errno;
                closedir(dir);
                closedir(top);
                errno = e;
                return tess_errprintf(err, "frag files: cannot remove %s/%s: "
                                      "%s", sub, fe->d_name, strerror(e));
            }
        }
        closedir(dir);
    }
    closedir(top);
    return removed;
}

/* ------------------------------------------------------------------ */
/* Reading without HDF5                                                */
/* ------------------------------------------------------------------ */

int h5frag_read_at(const char *path, int64_t data_offset, tess_type_t type,
                   int64_t numel, void *dst, tess_error_t *err)
{
    const union { uint16_t u; uint8_t b[2]; } probe = {0x0102};
    size_t size = tess_type_size(type);
    struct stat sb;

    if (!path || data_offset < 0 || numel < 0 || size == 0
        || (uint64_t)numel > SIZE_MAX / size || (numel && !dst)) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: invalid raw read",
                              path ? path : "(null)");
    }
    if (probe.b[0] != 0x02) { /* big-endian host: the file is little */
        errno = ENOTSUP;
        return tess_errprintf(err, "frag file %s: raw reads need a "
                              "little-endian host", path);
    }
    size_t n = (size_t)numel * size;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tess_errprintf(err, "frag file %s: %s", path, strerror(errno));
    if (fstat(fd, &sb) < 0 || sb.st_size < data_offset
        || (uint64_t)(sb.st_size - data_offset) < n) {
        close(fd);
        errno = EIO;
        return tess_errprintf(err, "frag file %s: shorter than its data "
                              "(truncated)", path);
    }
    /* One request for the whole run: without it a cold read of a fresh
     * file goes through the kernel's small initial read-ahead window. */
    if (n > 128 * 1024)
        posix_fadvise(fd, (off_t)data_offset, (off_t)n, POSIX_FADV_WILLNEED);
    for (size_t off = 0; off < n;) {
        ssize_t r = pread(fd, (char *)dst + off, n - off,
                          (off_t)data_offset + (off_t)off);
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            if (e == EINTR)
                continue;
            close(fd);
            errno = e;
            return tess_errprintf(err, "frag file %s: read failed: %s", path,
                                  strerror(e));
        }
        off += (size_t)r;
    }
    close(fd);
    return 0;
}
