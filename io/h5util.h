/*
 * h5util.h - the HDF5 plumbing of the io/ modules (h5frag, h5result,
 * h5input): library set-up, types, error text, attributes, boxes of
 * datasets, and the temporary-file-then-rename discipline of the files
 * Tessera writes. Only io/ includes this header: with the io/ sources it
 * is the one place outside HDF5 where hid_t and herr_t appear.
 */
#ifndef TESS_IO_H5UTIL_H
#define TESS_IO_H5UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "tessera.h"

/* Make HDF5 quiet (no automatic error stack printing) in the calling thread
 * and initialise the library once per process. Idempotent, thread-safe;
 * every io/ entry point that calls HDF5 calls it first. (HDF5's thread-safe
 * build keeps the printing switch per thread.) 0, or -1/EIO. */
int h5util_init(void);

/* The file access property list of every Tessera file: sec2 driver, HDF5
 * file locking off (files are private until renamed into place, and flock
 * fails on some parallel file systems). Shared, never closed; valid after
 * h5util_init(). */
hid_t h5util_fapl(void);

/* HDF5 types of a Tessera type: the native type used in memory and the
 * little-endian type stored in files; H5I_INVALID_HID for an unknown type.
 * (Sizes and names: tess_type_size(), tess_type_name().) */
hid_t h5util_mem_type(tess_type_t type);
hid_t h5util_file_type(tess_type_t type);

/* The Tessera type of the HDF5 datatype @p dtype, or 0 if it has none.
 * @p desc (may be NULL with @p len 0) receives a short description for
 * messages ("i32", "u16", "string"). */
tess_type_t h5util_classify(hid_t dtype, char *desc, size_t len);

/* The innermost message of the calling thread's HDF5 error stack (the most
 * specific reason, e.g. "unable to open file"), or "" if empty; written to
 * @p buf, which is returned. Call right after the failing HDF5 call: the
 * next one clears the stack. */
const char *h5util_reason(char *buf, size_t len);

/* h5util_reason(), and in *@p sys_errno the operating system's errno when
 * the innermost failure is one of the file driver's system calls (open(2),
 * read(2), ...), else 0. */
const char *h5util_reason_errno(char *buf, size_t len, int *sys_errno);

/* errno for a failed HDF5 call made just before (@p saved: errno right
 * after it): keeps out-of-space and read-only errors, else EIO. */
int h5util_io_errno(int saved);

/* Close the @p n identifiers that follow (hid_t), those that are valid
 * (>= 0), whatever their kind: the cleanup of paths where a failing close
 * changes nothing. Preserves errno. */
void h5util_close(int n, ...);

/* Write attribute @p name of @p obj: @p n int64 values as a 1-D attribute
 * of @p n elements, or, with @p n 0, one value as a scalar. The file type
 * is @p ftype (e.g. H5T_STD_I64LE), the memory type @p mtype. Creates the
 * attribute (it must not exist). 0, or -1 (HDF5's reason on its stack). */
int h5util_write_attr(hid_t obj, const char *name, int n, hid_t ftype,
                      hid_t mtype, const void *v);

/* Read integer attribute @p name of @p obj as @p n int64 values (n >= 1: a
 * 1-D attribute of exactly n elements; n == 0: a scalar). 0, or -1 if it
 * is missing or not of that shape. */
int h5util_read_int64_attr(hid_t obj, const char *name, int n, int64_t *v);

/* Read (@p writing false) or write a box of dataset @p did with one HDF5
 * call: the box @p start/@p count of @p rank dimensions is in the caller's
 * coordinates, the dataset's element [0,...] being at @p origin (NULL: at
 * 0); in memory it is the box of the same counts at @p mstart (NULL: at 0)
 * of the dense row-major @p buf of shape @p mshape, elements of Tessera
 * type @p type. The caller checks that both boxes fit. @p place names the
 * dataset in messages ("frag file F: dataset /frag"). 0, or -1 with errno
 * (EIO, or as h5util_io_errno()) and @p err "PLACE: cannot select box B" or
 * "PLACE: reading box B failed: REASON" (writing). */
int h5util_box_io(hid_t did, tess_type_t type, int rank,
                  const int64_t *origin, const int64_t *start,
                  const int64_t *count, void *buf, const int64_t *mshape,
                  const int64_t *mstart, bool writing, const char *place,
                  tess_error_t *err);

/* Reserve a unique temporary name beside @p path: "PATH.tmp.<pid>.<n>",
 * created empty with O_EXCL, into @p tmp. If @p mkdirs, missing parent
 * directories are created. Returns 0, or -1 with errno. */
int h5util_reserve_temp(const char *path, char *tmp, size_t len, bool mkdirs);

/* fsync(2) the file @p path (data and size reach the disk). -1, errno. */
int h5util_sync_file(const char *path);

/* fsync(2) the directory holding @p path, so that a name renamed into it
 * survives an operating-system crash (file systems that cannot sync a
 * directory count as success). -1, errno. */
int h5util_sync_dir(const char *path);

#endif /* TESS_IO_H5UTIL_H */
