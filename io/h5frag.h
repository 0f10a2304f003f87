/*
 * h5frag.h - array fragments as HDF5 files: every version of every fragment
 * of an array is one file, and the file is the dependency-tracked data.
 *
 * Naming (h5frag_path): RUN_DIR/frags/d<data_id>/v<version>.h5, with
 * data_id and version in decimal, no padding, e.g. "run/frags/d42/v3.h5".
 * One directory per data object keeps directories small and lets a whole
 * data object be listed or removed at once.
 *
 * File format (TESS_FORMAT_VERSION 1):
 *   /frag                 dataset, contiguous, rank 1..TESS_MAX_RANK, the
 *                         fragment's elements, little-endian u8, i32, i64,
 *                         f32 or f64 (HDF5 converts on big-endian hosts);
 *                         extents may be 0
 *   /frag@start           attribute int64[rank]: the fragment's position in
 *                         the whole array (its box is start + dims of /frag)
 *   /frag@tess_format_version  attribute int32 scalar
 *
 * Atomicity: a file appears under its final name only complete. Writers
 * write PATH.tmp.<pid>.<n> in the same directory and rename() it over PATH
 * once closed and fsync()ed, so readers see either no file, the previous
 * file or the new one, also after a crash of the process or the node.
 * Leftover *.tmp.* files (a writer killed midway) are never read, since
 * readers open exact names; h5frag_clean_temps() removes them.
 *
 * Errors: -1 with errno set; functions taking a tess_error_t fill it with a
 * message naming the file and dataset. errno values of h5frag_read/info:
 *   ENOENT   the file does not exist (others as open(2)/read(2) report
 *            them: EACCES, EISDIR, ...)
 *   EIO      not an HDF5 file, corrupt, or an HDF5 read failure
 *   EPROTO   an HDF5 file but not a Tessera fragment (no /frag, missing or
 *            malformed attributes, written by a newer format version)
 *   EINVAL   bad arguments, or element type / rank not the expected ones
 *   ERANGE   the box lies outside the fragment or the destination
 *
 * Threads: every function may be called from several threads at once (the
 * serial thread-safe HDF5 serialises the HDF5 calls of one process).
 */
#ifndef TESS_IO_H5FRAG_H
#define TESS_IO_H5FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

/* Name of the dataset holding the elements. */
#define H5FRAG_DATASET "/frag"

/* Write the path of version @p version of data @p data_id under @p run_dir
 * into @p buf. Returns 0, or -1 with errno ENAMETOOLONG if it does not fit in
 * @p len bytes, EINVAL if run_dir is NULL or empty. */
int h5frag_path(char *buf, size_t len, const char *run_dir, uint64_t data_id,
                uint32_t version);

/* Write the fragment file @p path: @p count elements (rank 1..TESS_MAX_RANK,
 * extents >= 0) of @p type from the dense row-major @p buf, at position
 * @p start (>= 0) of the whole array. Creates missing parent directories;
 * replaces an existing file atomically (see above). On failure nothing
 * appears at @p path and the temporary file is removed (created directories
 * remain). @p buf is only read; NULL is allowed when the fragment is empty. */
int h5frag_write(const char *path, tess_type_t type, int rank,
                 const int64_t *start, const int64_t *count, const void *buf,
                 tess_error_t *err);

/* h5frag_write() with @p flags (0: same as h5frag_write):
 * H5FRAG_NOSYNC skips the fsync before the rename. The file stays atomic
 * for readers and against the death of the process (kill, wall time: the
 * page cache survives); only an operating-system crash may then leave it
 * missing, truncated (reported as EIO on read) or, on some file systems,
 * with unwritten data. For run directories that need not survive a node
 * crash (node-local scratch, tmpfs), where the fsync is pure cost. */
#define H5FRAG_NOSYNC 0x1u
/* H5FRAG_NOREPLACE never replaces an existing file: the complete temporary
 * is link()ed to PATH (not renamed), which fails with errno EEXIST if PATH
 * exists, atomically, also between processes on other nodes of a shared
 * file system; the temporary is then removed. For files written once whose
 * name is a commitment (store blocks). On a file system without hard links
 * renameat2(RENAME_NOREPLACE) is tried; without either, ENOTSUP. */
#define H5FRAG_NOREPLACE 0x2u
int h5frag_write2(const char *path, tess_type_t type, int rank,
                  const int64_t *start, const int64_t *count, const void *buf,
                  unsigned flags, tess_error_t *err);

/* h5frag_write2() that also reports where the elements lie in the file:
 * *@p data_offset (may be NULL) is the byte offset of the contiguous,
 * little-endian, row-major elements, or -1 for an empty fragment. */
int h5frag_write3(const char *path, tess_type_t type, int rank,
                  const int64_t *start, const int64_t *count, const void *buf,
                  unsigned flags, int64_t *data_offset, tess_error_t *err);

/* Read the box @p box_start/@p box_count (whole-array coordinates) of the
 * fragment @p path into the dense row-major array @p dst of shape
 * @p dst_shape (same rank), at @p dst_start, with one HDF5 read straight into
 * @p dst. Checks that the file is a fragment of @p type and @p rank and that
 * both boxes fit. On failure @p dst may be partly written. */
int h5frag_read(const char *path, tess_type_t type, int rank,
                const int64_t *box_start, const int64_t *box_count, void *dst,
                const int64_t *dst_shape, const int64_t *dst_start,
                tess_error_t *err);

/* A fragment file open for reading several boxes (h5result_copy_from_frag
 * copies a large box in slabs): opened and checked once, against @p type
 * and @p rank (0: any), with the errors of h5frag_read. NULL with errno and
 * @p err. Caller closes; one thread at a time. */
typedef struct h5frag_file h5frag_file_t;
h5frag_file_t *h5frag_file_open(const char *path, tess_type_t type, int rank,
                                tess_error_t *err);

/* Its element type, rank, position and extents (@p start and @p count
 * have room for TESS_MAX_RANK entries; any out-pointer may be NULL). */
void h5frag_file_info(const h5frag_file_t *f, tess_type_t *type, int *rank,
                      int64_t *start, int64_t *count);

/* 0 if the box lies inside the fragment, else -1, errno ERANGE, message. */
int h5frag_file_check_box(const h5frag_file_t *f, const int64_t *box_start,
                          const int64_t *box_count, tess_error_t *err);

/* h5frag_read() of one box from the open file. */
int h5frag_file_read(h5frag_file_t *f, const int64_t *box_start,
                     const int64_t *box_count, void *dst,
                     const int64_t *dst_shape, const int64_t *dst_start,
                     tess_error_t *err);

/* Close and free. Accepts NULL; preserves errno. */
void h5frag_file_close(h5frag_file_t *f);

/* Describe the fragment @p path: its element type, rank, position and
 * extents (@p start and @p count have room for TESS_MAX_RANK entries; any
 * out-pointer may be NULL). Same checks and errors as h5frag_read. */
int h5frag_info(const char *path, tess_type_t *type, int *rank,
                int64_t *start, int64_t *count, tess_error_t *err);

/* h5frag_info() and the byte offset of the elements in the file into
 * *@p data_offset (-1 if the dataset is empty or not contiguous). */
int h5frag_info2(const char *path, tess_type_t *type, int *rank,
                 int64_t *start, int64_t *count, int64_t *data_offset,
                 tess_error_t *err);

/* Read all @p numel elements of the fragment @p path into @p dst with
 * plain POSIX reads at @p data_offset (from h5frag_write3/h5frag_info2),
 * without HDF5: a file open and one read, where HDF5 costs ~100 us more
 * per file. Only for files never replaced after the offset was learnt
 * (H5FRAG_NOREPLACE): nothing but the size is checked. -1 with errno
 * ENOENT (as open), EIO (shorter than the data), ENOTSUP on big-endian
 * hosts (read with h5frag_read then). */
int h5frag_read_at(const char *path, int64_t data_offset, tess_type_t type,
                   int64_t numel, void *dst, tess_error_t *err);

/* Remove the fragment file @p path. A missing file is not an error.
 * Returns 0, or -1 with errno from unlink(2). */
int h5frag_remove(const char *path);

/* fsync(2) the directory holding the fragment @p path, so that its name
 * survives an operating-system crash. h5frag_write() syncs the file's data
 * before the rename but not the directory (that would cost a second journal
 * commit per fragment); without it, after a node crash a fragment may be
 * missing (ENOENT) but is never partial. Call it before recording the
 * fragment as durable, e.g. once per batch of fragments of one directory. */
int h5frag_sync_dir(const char *path);

/* Remove leftover temporary files (*.h5.tmp.*, from writers that died) of
 * every data directory under RUN_DIR/frags. Only when no writer of this run
 * is alive (at resume): it would remove a live writer's temporary.
 * Returns the number of files removed, or -1 with errno and @p err set. */
int h5frag_clean_temps(const char *run_dir, tess_error_t *err);

/* Boxes of fragments held in memory (fragcache) are copied with box_copy()
 * of base/box.h, which does not depend on HDF5. */

#endif /* TESS_IO_H5FRAG_H */
