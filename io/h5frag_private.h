/*
 * h5frag_private.h - HDF5 helpers shared by the io/ modules (h5frag,
 * h5result). Only io/ includes this header: it is the one place outside
 * HDF5 where hid_t and herr_t appear.
 */
#ifndef TESS_IO_H5FRAG_PRIVATE_H
#define TESS_IO_H5FRAG_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <hdf5.h>

#include "tessera.h"

/* HDF5 types of a Tessera type: the native type used in memory and the
 * little-endian type stored in files; H5I_INVALID_HID for an unknown type.
 * (Sizes and names: tess_type_size(), tess_type_name().) */
hid_t h5frag_mem_type(tess_type_t type);
hid_t h5frag_file_type(tess_type_t type);

/* The Tessera type of the HDF5 datatype @p dtype, or 0 if it has none.
 * @p desc receives a short description for messages ("i32", "u16",
 * "string"). */
tess_type_t h5frag_classify(hid_t dtype, char *desc, size_t len);

/* The file access property list of every Tessera file: sec2 driver, HDF5
 * file locking off (files are private until renamed into place, and flock
 * fails on some parallel file systems). Shared, never closed. */
hid_t h5frag_fapl(void);

/* Reserve a unique temporary name beside @p path: "PATH.tmp.<pid>.<n>",
 * created empty with O_EXCL, into @p tmp. If @p mkdirs, missing parent
 * directories are created. Returns 0, or -1 with errno. */
int h5frag_reserve_temp(const char *path, char *tmp, size_t len, bool mkdirs);

/* fsync(2) the file @p path (data and size reach the disk). -1, errno. */
int h5frag_sync_file(const char *path);

/* The innermost message of the calling thread's HDF5 error stack (the most
 * specific reason, e.g. "unable to open file"), or "" if empty. */
const char *h5frag_h5_reason(char *buf, size_t len);

/* errno for a failed HDF5 call made just before (@p saved: errno right
 * after it): keeps out-of-space and read-only errors, else EIO. */
int h5frag_io_errno(int saved);

/* A fragment file opened for reading and checked against a type and rank
 * (0: any). On success the caller reads with h5frag_file_read() and closes
 * with h5frag_file_close(). */
typedef struct h5frag_file {
    const char *path; /* borrowed */
    hid_t fid;
    hid_t did;
    tess_type_t type;
    int rank;
    int64_t start[TESS_MAX_RANK]; /* the fragment's box */
    int64_t count[TESS_MAX_RANK];
} h5frag_file_t;

int h5frag_file_open(h5frag_file_t *f, const char *path, tess_type_t type,
                     int rank, tess_error_t *err);
/* 0 if the box lies inside the fragment, else -1, errno ERANGE, message. */
int h5frag_file_check_box(const h5frag_file_t *f, const int64_t *box_start,
                          const int64_t *box_count, tess_error_t *err);
int h5frag_file_read(h5frag_file_t *f, const int64_t *box_start,
                     const int64_t *box_count, void *dst,
                     const int64_t *dst_shape, const int64_t *dst_start,
                     tess_error_t *err);
void h5frag_file_close(h5frag_file_t *f);

#endif /* TESS_IO_H5FRAG_PRIVATE_H */
