/* h5frag.c - array fragments as HDF5 files (see h5frag.h for the format). */
#define _GNU_SOURCE /* O_CLOEXEC, dirfd */
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
#include "io/h5frag.h"
#include "io/h5frag_private.h"

/* ------------------------------------------------------------------ */
/* Library set-up                                                      */
/* ------------------------------------------------------------------ */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_errno;
static hid_t shared_fapl = H5I_INVALID_HID;
/* HDF5's thread-safe build keeps the error stack, and whether it is
 * printed, per thread: every thread must switch printing off itself. */
static _Thread_local bool thread_quiet;

static void init_library(void)
{
    hid_t fapl;

    if (H5open() < 0) {
        init_errno = EIO;
        return;
    }
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_sec2(fapl) < 0
        || H5Pset_file_locking(fapl, 0, 1) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        init_errno = EIO;
        return;
    }
    shared_fapl = fapl;
}

int h5frag_init(void)
{
    if (!thread_quiet) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        thread_quiet = true;
    }
    pthread_once(&init_once, init_library);
    if (init_errno) {
        errno = init_errno;
        return -1;
    }
    return 0;
}

hid_t h5frag_fapl(void)
{
    return shared_fapl;
}

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

hid_t h5frag_mem_type(tess_type_t type)
{
    switch (type) {
    case TESS_U8: return H5T_NATIVE_UINT8;
    case TESS_I32: return H5T_NATIVE_INT32;
    case TESS_I64: return H5T_NATIVE_INT64;
    case TESS_F32: return H5T_NATIVE_FLOAT;
    case TESS_F64: return H5T_NATIVE_DOUBLE;
    }
    return H5I_INVALID_HID;
}

hid_t h5frag_file_type(tess_type_t type)
{
    switch (type) {
    case TESS_U8: return H5T_STD_U8LE;
    case TESS_I32: return H5T_STD_I32LE;
    case TESS_I64: return H5T_STD_I64LE;
    case TESS_F32: return H5T_IEEE_F32LE;
    case TESS_F64: return H5T_IEEE_F64LE;
    }
    return H5I_INVALID_HID;
}

tess_type_t h5frag_classify(hid_t dtype, char *desc, size_t len)
{
    H5T_class_t cls = H5Tget_class(dtype);
    size_t size = H5Tget_size(dtype);

    switch (cls) {
    case H5T_INTEGER: {
        bool sgn = H5Tget_sign(dtype) == H5T_SGN_2;
        snprintf(desc, len, "%c%zu", sgn ? 'i' : 'u', size * 8);
        if (!sgn && size == 1)
            return TESS_U8;
        if (sgn && size == 4)
            return TESS_I32;
        if (sgn && size == 8)
            return TESS_I64;
        return 0;
    }
    case H5T_FLOAT: {
        size_t prec = H5Tget_precision(dtype);
        snprintf(desc, len, "f%zu", size * 8);
        if (size == 4 && prec == 32)
            return TESS_F32;
        if (size == 8 && prec == 64)
            return TESS_F64;
        return 0;
    }
    case H5T_STRING: snprintf(desc, len, "string"); return 0;
    case H5T_COMPOUND: snprintf(desc, len, "compound"); return 0;
    case H5T_ARRAY: snprintf(desc, len, "array"); return 0;
    case H5T_ENUM: snprintf(desc, len, "enum"); return 0;
    case H5T_VLEN: snprintf(desc, len, "vlen"); return 0;
    default: snprintf(desc, len, "HDF5 class %d", (int)cls); return 0;
    }
}

/* ------------------------------------------------------------------ */
/* Files: temporaries, sync, HDF5 error text                            */
/* ------------------------------------------------------------------ */

/* mkdir -p of the directory part of @p path. */
static int mkdir_parents(const char *path)
{
    char dir[PATH_MAX];
    size_t n = strlen(path);

    if (n >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0777) < 0 && errno != EEXIST)
                return -1;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

int h5frag_reserve_temp(const char *path, char *tmp, size_t len, bool mkdirs)
{
    static atomic_ulong counter;
    bool made = !mkdirs;

    for (int tries = 0; tries < 1000; tries++) {
        unsigned long n = atomic_fetch_add(&counter, 1);
        int w = snprintf(tmp, len, "%s.tmp.%ld.%lu", path, (long)getpid(), n);
        if (w < 0 || (size_t)w >= len) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (errno == ENOENT && !made) {
            made = true;
            if (mkdir_parents(path) < 0)
                return -1;
            continue;
        }
        if (errno != EEXIST) /* EEXIST: a dead process's leftover */
            return -1;
    }
    errno = EEXIST;
    return -1;
}

int h5frag_sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fsync(fd) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

int h5frag_sync_dir(const char *path)
{
    char dir[PATH_MAX];
    size_t n = strlen(path);

    if (n >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fsync(fd) < 0 && errno != EINVAL) { /* EINVAL: fs without dir sync */
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

struct reason {
    char *buf;
    size_t len;
};

static herr_t reason_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    struct reason *r = data;
    if (e->desc && e->desc[0])
        snprintf(r->buf, r->len, "%s", e->desc); /* the last one wins */
    return 0;
}

/* "file write failed: time = ...\n, filename = ..., errno = 28, ...": keep
 * the reason; callers name the file and print strerror themselves. */
static void clean_reason(char *buf)
{
    char *cut;

    if ((cut = strstr(buf, ": time = ")) || (cut = strstr(buf, ", name = "))
        || (cut = strstr(buf, ": name = ")))
        *cut = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

const char *h5frag_h5_reason(char *buf, size_t len)
{
    struct reason r = {buf, len};

    if (len == 0)
        return buf;
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, reason_walk, &r);
    clean_reason(buf);
    return buf;
}

int h5frag_io_errno(int saved)
{
    switch (saved) {
    case ENOSPC:
    case EDQUOT:
    case EROFS:
    case EFBIG:
        return saved;
    }
    return EIO;
}

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

static int write_int64_attr(hid_t obj, const char *name, int n,
                            const int64_t *v)
{
    hsize_t dim = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &dim, NULL);
    hid_t attr = space < 0 ? -1 : H5Acreate2(obj, name, H5T_STD_I64LE, space,
                                             H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr < 0 || H5Awrite(attr, H5T_NATIVE_INT64, v) < 0 ? -1 : 0;
    if (attr >= 0 && H5Aclose(attr) < 0)
        rc = -1;
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static int write_int_attr(hid_t obj, const char *name, int v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = space < 0 ? -1 : H5Acreate2(obj, name, H5T_STD_I32LE, space,
                                             H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr < 0 || H5Awrite(attr, H5T_NATIVE_INT, &v) < 0 ? -1 : 0;
    if (attr >= 0 && H5Aclose(attr) < 0)
        rc = -1;
    if (space >= 0)
        H5Sclose(space);
    return rc;
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
    if ((fid = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, h5frag_fapl())) < 0)
        goto out;
    *what = "create dataset " H5FRAG_DATASET;
    if ((space = H5Screate_simple(rank, dims, NULL)) < 0
        || (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0
        || H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0
        || H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0
        || (did = H5Dcreate2(fid, H5FRAG_DATASET, h5frag_file_type(type),
                             space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        goto out;
    *what = "write dataset " H5FRAG_DATASET;
    if (numel > 0 && H5Dwrite(did, h5frag_mem_type(type), H5S_ALL, H5S_ALL,
                              H5P_DEFAULT, buf) < 0)
        goto out;
    if (offset) {
        haddr_t a = numel > 0 ? H5Dget_offset(did) : HADDR_UNDEF;
        *offset = a == HADDR_UNDEF ? -1 : (int64_t)a;
    }
    *what = "write the attributes of " H5FRAG_DATASET;
    if (write_int64_attr(did, "start", rank, start) < 0
        || write_int_attr(did, "tess_format_version", TESS_FORMAT_VERSION) < 0)
        goto out;
    rc = 0;
out:;
    /* Right after the failing call: its errno and HDF5's reason (the next
     * HDF5 call clears the error stack). */
    int saved = errno;
    why[0] = '\0';
    if (rc < 0)
        h5frag_h5_reason(why, whylen);
    if (did >= 0 && H5Dclose(did) < 0)
        rc = -1;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    if (fid >= 0) {
        if (rc == 0)
            *what = "close the file";
        if (H5Fclose(fid) < 0) {
            if (rc == 0) {
                saved = errno;
                h5frag_h5_reason(why, whylen);
            }
            rc = -1;
        }
    }
    if (rc < 0)
        errno = saved;
    return rc;
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

int h5frag_write(const char *path, tess_type_t type, int rank,
                 const int64_t *start, const int64_t *count, const void *buf,
                 tess_error_t *err)
{
    return h5frag_write2(path, type, rank, start, count, buf, 0, err);
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
    if (h5frag_init() < 0)
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

    if (h5frag_reserve_temp(path, tmp, sizeof(tmp), true) < 0)
        return tess_errprintf(err, "frag file %s: cannot create a temporary "
                              "file beside it: %s", path, strerror(errno));
    if (write_content(tmp, type, rank, start, count, buf, numel, data_offset,
                      &what, why, sizeof(why)) < 0) {
        int e = h5frag_io_errno(errno);
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
    if (!(flags & H5FRAG_NOSYNC) && h5frag_sync_file(tmp) < 0) {
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

/* Read attribute @p name of @p obj: @p n int64 values (n >= 1 means a 1-D
 * attribute of exactly n elements, n == 0 a scalar). 0, or -1 if missing or
 * malformed. */
static int read_int64_attr(hid_t obj, const char *name, int n, int64_t *v)
{
    hid_t attr = -1, space = -1, type = -1;
    int rc = -1;

    if ((attr = H5Aopen(obj, name, H5P_DEFAULT)) < 0
        || (space = H5Aget_space(attr)) < 0
        || (type = H5Aget_type(attr)) < 0)
        goto out;
    if (H5Tget_class(type) != H5T_INTEGER)
        goto out;
    int nd = H5Sget_simple_extent_ndims(space);
    hssize_t np = H5Sget_simple_extent_npoints(space);
    if (n == 0 ? !(nd == 0 && np == 1) : !(nd == 1 && np == n))
        goto out;
    if (H5Aread(attr, H5T_NATIVE_INT64, v) < 0)
        goto out;
    rc = 0;
out:
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (attr >= 0)
        H5Aclose(attr);
    return rc;
}

struct open_error {
    bool in_driver; /* the failure is the driver's open(2) */
    int sys_errno;  /* its errno, 0 if unknown */
    char desc[200];
};

static herr_t open_error_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    struct open_error *oe = data;
    const char *p;

    /* The innermost entry decides: a failure of the driver's own system
     * calls (open, read: "errno = 21") is the operating system's answer. */
    oe->in_driver = e->func_name && strstr(e->func_name, "H5FD") != NULL;
    oe->sys_errno = 0;
    snprintf(oe->desc, sizeof(oe->desc), "%s", e->desc ? e->desc : "");
    if (oe->in_driver && e->desc && (p = strstr(e->desc, "errno = ")))
        oe->sys_errno = atoi(p + 8);
    return 0;
}

/* Why could HDF5 not open @p path? Called right after H5Fopen failed (the
 * error stack is the calling thread's). Sets errno, fills err. Decided from
 * HDF5's own record, not by looking at the path again: the file may have
 * appeared since (a writer renaming it into place). */
static int open_failure(const char *path, tess_error_t *err)
{
    struct open_error oe = {false, 0, ""};
    int errno_out = EIO;

    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, open_error_walk, &oe);
    clean_reason(oe.desc);
    if (oe.in_driver && oe.sys_errno > 0) {
        return FAIL(oe.sys_errno, "frag file %s: %s", path,
                    strerror(oe.sys_errno));
    }
    return FAIL(EIO, "frag file %s: not an HDF5 file, or truncated or "
                "corrupt%s%s%s", path, oe.desc[0] ? " (HDF5: " : "", oe.desc,
                oe.desc[0] ? ")" : "");
}

void h5frag_file_close(h5frag_file_t *f)
{
    if (f->did >= 0)
        H5Dclose(f->did);
    if (f->fid >= 0)
        H5Fclose(f->fid);
    f->did = f->fid = H5I_INVALID_HID;
}

int h5frag_file_open(h5frag_file_t *f, const char *path, tess_type_t type,
                     int rank, tess_error_t *err)
{
    hid_t dtype = -1, space = -1;
    int errno_out = 0;
    int64_t version;
    char desc[32];

    memset(f, 0, sizeof(*f));
    f->path = path;
    f->fid = f->did = H5I_INVALID_HID;
    if (!path) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file: no path given");
    }
    if (h5frag_init() < 0)
        return tess_errprintf(err, "frag file %s: cannot initialise HDF5",
                              path);
    if ((f->fid = H5Fopen(path, H5F_ACC_RDONLY, h5frag_fapl())) < 0)
        return open_failure(path, err);
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
    if (read_int64_attr(f->did, "tess_format_version", 0, &version) < 0) {
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
    f->type = h5frag_classify(dtype, desc, sizeof(desc));
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
    if (read_int64_attr(f->did, "start", f->rank, f->start) < 0
        || check_box(f->rank, f->start, f->count) < 0) {
        FAIL(EPROTO, "frag file %s: dataset " H5FRAG_DATASET ": attribute "
             "start missing or not %d integers >= 0", path, f->rank);
        goto fail;
    }
    H5Tclose(dtype);
    H5Sclose(space);
    return 0;
fail:
    if (dtype >= 0)
        H5Tclose(dtype);
    if (space >= 0)
        H5Sclose(space);
    h5frag_file_close(f);
    errno = errno_out;
    return -1;
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
    hsize_t off[TESS_MAX_RANK], cnt[TESS_MAX_RANK], dims[TESS_MAX_RANK];
    hsize_t doff[TESS_MAX_RANK];
    hid_t fspace = -1, mspace = -1;
    int errno_out = 0, rc = -1;
    const int rank = f->rank;
    char b1[160], b2[160];

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
                              box_format(b1, sizeof(b1), rank, dst_start,
                                         box_count));
    }
    if (box_numel(rank, box_count) == 0)
        return 0;
    if (!dst) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: no destination buffer",
                              f->path);
    }
    for (int d = 0; d < rank; d++) {
        off[d] = (hsize_t)(box_start[d] - f->start[d]);
        cnt[d] = (hsize_t)box_count[d];
        dims[d] = (hsize_t)dst_shape[d];
        doff[d] = (hsize_t)dst_start[d];
    }
    if ((fspace = H5Dget_space(f->did)) < 0
        || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0
        || (mspace = H5Screate_simple(rank, dims, NULL)) < 0
        || H5Sselect_hyperslab(mspace, H5S_SELECT_SET, doff, NULL, cnt,
                               NULL) < 0) {
        FAIL(EIO, "frag file %s: dataset " H5FRAG_DATASET ": cannot select "
             "box %s", f->path, box_format(b1, sizeof(b1), rank, box_start,
                                           box_count));
        goto out;
    }
    if (H5Dread(f->did, h5frag_mem_type(f->type), mspace, fspace, H5P_DEFAULT,
                dst) < 0) {
        int e = h5frag_io_errno(errno);
        FAIL(e, "frag file %s: dataset " H5FRAG_DATASET ": reading box %s "
             "failed: %s", f->path, box_format(b1, sizeof(b1), rank,
                                               box_start, box_count),
             h5frag_h5_reason(b2, sizeof(b2)));
        goto out;
    }
    rc = 0;
out:
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (rc < 0)
        errno = errno_out;
    return rc;
}

int h5frag_read(const char *path, tess_type_t type, int rank,
                const int64_t *box_start, const int64_t *box_count, void *dst,
                const int64_t *dst_shape, const int64_t *dst_start,
                tess_error_t *err)
{
    h5frag_file_t f;

    if (tess_type_size(type) == 0 || rank < 1 || rank > TESS_MAX_RANK) {
        errno = EINVAL;
        return tess_errprintf(err, "frag file %s: invalid request (type %d, "
                              "rank %d)", path ? path : "(null)", (int)type,
                              rank);
    }
    if (h5frag_file_open(&f, path, type, rank, err) < 0)
        return -1;
    int rc = h5frag_file_read(&f, box_start, box_count, dst, dst_shape,
                              dst_start, err);
    int e = errno;
    h5frag_file_close(&f);
    errno = e;
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
    h5frag_file_t f;

    if (h5frag_file_open(&f, path, 0, 0, err) < 0)
        return -1;
    if (data_offset) {
        H5D_layout_t layout = H5D_LAYOUT_ERROR;
        hid_t dcpl = H5Dget_create_plist(f.did);
        if (dcpl >= 0) {
            layout = H5Pget_layout(dcpl);
            H5Pclose(dcpl);
        }
        haddr_t a = layout == H5D_CONTIGUOUS ? H5Dget_offset(f.did)
                                             : HADDR_UNDEF;
        *data_offset = a == HADDR_UNDEF ? -1 : (int64_t)a;
    }
    if (type)
        *type = f.type;
    if (rank)
        *rank = f.rank;
    if (start)
        memcpy(start, f.start, (size_t)f.rank * sizeof(*start));
    if (count)
        memcpy(count, f.count, (size_t)f.rank * sizeof(*count));
    h5frag_file_close(&f);
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
