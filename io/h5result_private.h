/*
 * h5result_private.h - what other io/ modules that build a result-style
 * file (h5trace) need of h5result beyond its public header: the open HDF5
 * file, to create datasets h5result has no function for (tables of a
 * compound type). Only io/ includes this header.
 */
#ifndef TESS_IO_H5RESULT_PRIVATE_H
#define TESS_IO_H5RESULT_PRIVATE_H

#include <hdf5.h>

#include "io/h5result.h"

/* The HDF5 file being written (borrowed: h5result_commit() closes it),
 * H5I_INVALID_HID once committed or aborted. */
hid_t h5result_file_id(const h5result_t *res);

#endif
