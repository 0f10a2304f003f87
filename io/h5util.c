/* h5util.c - HDF5 plumbing shared by the io/ modules (see h5util.h). */
#define _GNU_SOURCE /* O_CLOEXEC */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/box.h"
#include "io/h5util.h"

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

int h5util_init(void)
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

hid_t h5util_fapl(void)
{
    return shared_fapl;
}

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

hid_t h5util_mem_type(tess_type_t type)
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

hid_t h5util_file_type(tess_type_t type)
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

tess_type_t h5util_classify(hid_t dtype, char *desc, size_t len)
{
    H5T_class_t cls = H5Tget_class(dtype);
    size_t size = H5Tget_size(dtype);

    if (!desc)
        len = 0;
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
/* HDF5 error text                                                     */
/* ------------------------------------------------------------------ */

struct reason {
    char *buf;
    size_t len;
    int sys_errno; /* the driver's errno, if the innermost entry is its */
};

static herr_t reason_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    struct reason *r = data;
    const char *p;

    (void)n;
    /* The innermost entry (the last one, walking downward) decides: a
     * failure of the file driver's own system calls (open, read:
     * "errno = 21") is the operating system's answer. */
    r->sys_errno = 0;
    if (e->func_name && strstr(e->func_name, "H5FD") && e->desc
        && (p = strstr(e->desc, "errno = ")))
        r->sys_errno = atoi(p + 8);
    if (e->desc && e->desc[0])
        snprintf(r->buf, r->len, "%s", e->desc);
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

const char *h5util_reason_errno(char *buf, size_t len, int *sys_errno)
{
    struct reason r = {buf, len, 0};

    if (len == 0)
        return buf;
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, reason_walk, &r);
    clean_reason(buf);
    if (sys_errno)
        *sys_errno = r.sys_errno;
    return buf;
}

const char *h5util_reason(char *buf, size_t len)
{
    return h5util_reason_errno(buf, len, NULL);
}

int h5util_io_errno(int saved)
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

void h5util_close(int n, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        hid_t id = va_arg(ap, hid_t);
        if (id >= 0)
            H5Idec_ref(id); /* the last reference: H5?close() */
    }
    va_end(ap);
    errno = saved;
}

/* ------------------------------------------------------------------ */
/* Attributes                                                          */
/* ------------------------------------------------------------------ */

int h5util_write_attr(hid_t obj, const char *name, int n, hid_t ftype,
                      hid_t mtype, const void *v)
{
    hsize_t dim = (hsize_t)n;
    hid_t space = n ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_SCALAR);
    hid_t attr = space < 0 ? -1 : H5Acreate2(obj, name, ftype, space,
                                             H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr < 0 || H5Awrite(attr, mtype, v) < 0 ? -1 : 0;
    if (attr >= 0 && H5Aclose(attr) < 0)
        rc = -1;
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int h5util_read_int64_attr(hid_t obj, const char *name, int n, int64_t *v)
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
    h5util_close(3, type, space, attr);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Boxes of datasets                                                   */
/* ------------------------------------------------------------------ */

int h5util_box_io(hid_t did, tess_type_t type, int rank,
                  const int64_t *origin, const int64_t *start,
                  const int64_t *count, void *buf, const int64_t *mshape,
                  const int64_t *mstart, bool writing, const char *place,
                  tess_error_t *err)
{
    hsize_t off[TESS_MAX_RANK], cnt[TESS_MAX_RANK], dims[TESS_MAX_RANK];
    hsize_t moff[TESS_MAX_RANK];
    hid_t fspace = -1, mspace = -1;
    int rc = -1, e = EIO;
    char b1[160], why[200];

    for (int d = 0; d < rank; d++) {
        off[d] = (hsize_t)(start[d] - (origin ? origin[d] : 0));
        cnt[d] = (hsize_t)count[d];
        dims[d] = (hsize_t)mshape[d];
        moff[d] = (hsize_t)(mstart ? mstart[d] : 0);
    }
    if ((fspace = H5Dget_space(did)) < 0
        || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt,
                               NULL) < 0
        || (mspace = H5Screate_simple(rank, dims, NULL)) < 0
        || H5Sselect_hyperslab(mspace, H5S_SELECT_SET, moff, NULL, cnt,
                               NULL) < 0) {
        tess_errprintf(err, "%s: cannot select box %s", place,
                       box_format(b1, sizeof(b1), rank, start, count));
        goto out;
    }
    herr_t st = writing ? H5Dwrite(did, h5util_mem_type(type), mspace, fspace,
                                   H5P_DEFAULT, buf)
                        : H5Dread(did, h5util_mem_type(type), mspace, fspace,
                                  H5P_DEFAULT, buf);
    if (st < 0) {
        int sys = 0;
        e = errno;
        h5util_reason_errno(why, sizeof(why), &sys);
        e = h5util_io_errno(sys ? sys : e);
        /* a full disk or quota says so (strerror), not only HDF5's words */
        tess_errprintf(err, "%s: %s box %s failed: %s%s%s%s", place,
                       writing ? "writing" : "reading",
                       box_format(b1, sizeof(b1), rank, start, count), why,
                       e != EIO ? " (" : "", e != EIO ? strerror(e) : "",
                       e != EIO ? ")" : "");
        goto out;
    }
    rc = 0;
out:
    h5util_close(2, mspace, fspace);
    if (rc < 0)
        errno = e;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Files: temporaries, sync                                            */
/* ------------------------------------------------------------------ */

/* The directory part of @p path into dir[PATH_MAX]: "." for a bare name,
 * "/" for a file of the root. 0, or -1/ENAMETOOLONG. */
static int dir_part(const char *path, char *dir)
{
    size_t n = strlen(path);

    if (n >= PATH_MAX) {
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
    return 0;
}

/* mkdir -p of the directory part of @p path. */
static int mkdir_parents(const char *path)
{
    char dir[PATH_MAX];

    if (dir_part(path, dir) < 0)
        return -1;
    if (strcmp(dir, ".") == 0 || strcmp(dir, "/") == 0)
        return 0;
    for (char *p = dir + 1;; p++) {
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

int h5util_reserve_temp(const char *path, char *tmp, size_t len, bool mkdirs)
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

/* fsync(2) what @p path names (opened with @p flags), then close it. */
static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* EINVAL on a directory: a file system that cannot sync directories */
    if (fsync(fd) < 0 && !(errno == EINVAL && (flags & O_DIRECTORY))) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

int h5util_sync_file(const char *path)
{
    return sync_path(path, 0);
}

int h5util_sync_dir(const char *path)
{
    char dir[PATH_MAX];

    return dir_part(path, dir) < 0 ? -1 : sync_path(dir, O_DIRECTORY);
}
