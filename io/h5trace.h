/*
 * h5trace.h - RUN_DIR/trace.h5: the task trace (trace.csv, io/trace.h) as
 * an HDF5 table, for people who analyse runs with h5py or pandas.
 *
 * Content: dataset /trace, one element per row of trace.csv in its order,
 * of a compound type with the columns of TRACE_CSV_HEADER as fields:
 * task u64, name, kernel str, worker i32, node str, slot i32, arch str,
 * submit_ns ready_ns start_ns end_ns bytes_in bytes_out cache_hits u64,
 * attempt u32, state message str (strings variable-length UTF-8; bytes
 * that are not UTF-8 become U+FFFD). Root attributes: tess_format_version,
 * tessera_version, source ("trace.csv"), time_unit, rows, torn_rows (0 or
 * 1: an incomplete last line left out), damaged_rows (lines that could not
 * be read). Written to a temporary beside it and renamed into place.
 * Chunks of 4096 rows, shuffled and deflated (level 1): the fixed-size
 * part of rows (numbers, string references) shrinks about 20 times; the
 * strings themselves live in HDF5's global heap, about 24-32 bytes each,
 * uncompressed (measured: 1e6 no-op rows, trace.csv 130 MB, trace.h5
 * 147 MB, about 3 us of CPU per row to write).
 */
#ifndef TESS_IO_H5TRACE_H
#define TESS_IO_H5TRACE_H

#include "tessera.h"

/* Write RUN_DIR/trace.h5 from RUN_DIR/trace.csv, replacing an older one.
 * Memory stays bounded (rows go in blocks). 0, or -1 with errno and @p err
 * naming the file: ENOENT if there is no trace.csv, EINVAL if it is not a
 * trace, an I/O errno. */
int h5trace_write(const char *run_dir, tess_error_t *err);

/* 1 if RUN_DIR/trace.h5 is missing or older than RUN_DIR/trace.csv, 0 if
 * it is up to date, -1 with errno (ENOENT: no trace.csv). */
int h5trace_stale(const char *run_dir);

#endif
