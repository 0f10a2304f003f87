/*
 * h5result.h - the HDF5 result files users collect (e.g. RUN_DIR/results.h5).
 *
 * A result file is built in a temporary file beside its final path,
 * "PATH.tmp.<pid>.<n>", and renamed onto PATH by h5result_commit() once
 * complete, closed and fsync()ed. Until then an existing file at PATH is
 * untouched; h5result_abort() (or destroy without commit) removes the
 * temporary. Arrays are assembled box by box (from fragments), so the whole
 * array is never in memory.
 *
 * Content, readable by h5dump and h5py without Tessera:
 *   /<name>      chunked datasets, little-endian u8/i32/i64/f32/f64, chunks
 *                of about 1 MiB of whole rows, optionally shuffle + deflate;
 *                elements never written read as 0
 *   /@tess_format_version (int32) always; string (variable-length UTF-8),
 *                int64 and float64 attributes set by the caller, and the
 *                provenance set by h5result_set_provenance()
 *
 * Errors: -1 (NULL) with errno set and @p err filled with a message naming
 * the file and dataset. An h5result_t is used by one thread at a time (other
 * threads may use other result files and fragments concurrently).
 */
#ifndef TESS_IO_H5RESULT_H
#define TESS_IO_H5RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

typedef struct h5result h5result_t;

/* Start writing the result file @p path (copied; its directory must exist).
 * Returns the handle (caller destroys), or NULL with errno and @p err. */
h5result_t *h5result_create(const char *path, tess_error_t *err);

/* Close the file, fsync it and rename it onto its path, then fsync the
 * directory. Afterwards only h5result_destroy() may be called. On failure
 * the temporary is removed and an existing file at the path is untouched
 * (except if only the final directory sync fails: then -1, the file is in
 * place but its name may not survive an OS crash). */
int h5result_commit(h5result_t *res, tess_error_t *err);

/* Close and remove the temporary; the path is untouched. Idempotent. */
void h5result_abort(h5result_t *res);

/* Free the handle; aborts if neither committed nor aborted. Accepts NULL,
 * preserves errno. */
void h5result_destroy(h5result_t *res);

/* Path of the file once committed, and of the temporary being written.
 * Borrowed until h5result_destroy(). */
const char *h5result_path(const h5result_t *res);
const char *h5result_temp_path(const h5result_t *res);

/* Create dataset @p name ("cc", or "group/cc": groups are created) of
 * @p type and @p shape (rank 1..TESS_MAX_RANK, extents >= 0), chunked
 * (about 1 MiB of whole rows, see h5result_chunk_dims), with shuffle and
 * deflate at @p deflate_level 1..9 (0: no compression). Errno EEXIST if the
 * name is taken, EINVAL for bad arguments, ENOTSUP without deflate. */
int h5result_add_array(h5result_t *res, const char *name, tess_type_t type,
                       int rank, const int64_t *shape, int deflate_level,
                       tess_error_t *err);

/* Write the dense row-major @p buf (of shape @p count, elements of the
 * dataset's type) into the box @p start/@p count of dataset @p name.
 * Errno ENOENT for an unknown name, ERANGE if the box exceeds the shape. */
int h5result_write_box(h5result_t *res, const char *name,
                       const int64_t *start, const int64_t *count,
                       const void *buf, tess_error_t *err);

/* Copy the box @p box_start/@p box_count (whole-array coordinates) of the
 * fragment file @p frag_path into the same box of dataset @p name, through
 * a buffer of at most 64 MiB (large boxes go in slabs of whole rows). The
 * fragment must have the dataset's element type and rank; errors as for
 * h5frag_read() and h5result_write_box(). */
int h5result_copy_from_frag(h5result_t *res, const char *name,
                            const char *frag_path, const int64_t *box_start,
                            const int64_t *box_count, tess_error_t *err);

/* Attributes of the root group; an existing attribute of the same name is
 * replaced. Strings are stored as variable-length UTF-8 (h5py: str). */
int h5result_set_attr_string(h5result_t *res, const char *name,
                             const char *value, tess_error_t *err);
int h5result_set_attr_int(h5result_t *res, const char *name, int64_t value,
                          tess_error_t *err);
int h5result_set_attr_double(h5result_t *res, const char *name, double value,
                             tess_error_t *err);

/* Provenance attributes of the root group: tessera_version (the package
 * version), tess_format_version, workflow, parameters (free text, e.g.
 * "num_frags=4\nmaxlag=200") and created (ISO 8601 UTC,
 * "2024-05-01T12:00:00Z"). NULL strings are stored as "". */
int h5result_set_provenance(h5result_t *res, const char *workflow,
                            const char *params_text, tess_error_t *err);

/* The chunk shape h5result_add_array() uses for @p shape: whole rows
 * (innermost dimensions kept whole, from the last one outwards) up to about
 * 1 MiB, then as many slices of the next dimension as fit; never larger than
 * @p shape, at least 1 per dimension. Fills @p chunk (rank entries). */
void h5result_chunk_dims(tess_type_t type, int rank, const int64_t *shape,
                         int64_t *chunk);

#endif /* TESS_IO_H5RESULT_H */
