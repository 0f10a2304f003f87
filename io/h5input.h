/*
 * h5input.h - user datasets in existing HDF5 files (workflow inputs,
 * tess_array_h5): their shape and type, and their elements.
 *
 * Files are opened read-only and never modified. Errors name the file and
 * dataset: -1 with errno ENOENT (no file), EINVAL (not HDF5, no such
 * dataset, unsupported type or rank), EIO (read failure), and err filled.
 */
#ifndef TESS_IO_H5INPUT_H
#define TESS_IO_H5INPUT_H

#include <stdint.h>

#include "tessera.h"

/* Rank, dimensions (room for TESS_MAX_RANK) and element type of a dataset;
 * *type is 0 when the dataset's type is none of tess_type_t. */
int h5input_probe(const char *path, const char *dataset, int *rank,
                  int64_t *dims, tess_type_t *type, tess_error_t *err);

/* Read the whole dataset into buf (dense, converted to type). */
int h5input_read(const char *path, const char *dataset, tess_type_t type,
                 void *buf, tess_error_t *err);

#endif
