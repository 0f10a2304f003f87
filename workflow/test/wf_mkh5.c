/*
 * wf_mkh5.c - write a small HDF5 dataset for the workflow tests.
 *
 *   wf_mkh5 FILE DATASET TYPE DIM...   TYPE: u8 i32 i64 f32 f64
 * Values: element i is 1 when i*7 % 5 == 0, else 0 (a spike-like pattern).
 * The file is created (truncated) or, if it exists, the dataset is added.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "base/types.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: wf_mkh5 FILE DATASET TYPE DIM...\n");
        return 2;
    }
    /* indexed by tess_type_t */
    hid_t mt[] = {H5I_INVALID_HID, H5T_NATIVE_UINT8, H5T_NATIVE_INT32,
                  H5T_NATIVE_INT64, H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE};
    int t = (int)types_parse(argv[3]);
    if (t == 0)
        return 2;
    int rank = argc - 4;
    hsize_t dims[32];
    size_t n = 1;
    for (int i = 0; i < rank && i < 32; i++) {
        dims[i] = strtoull(argv[4 + i], NULL, 10);
        n *= dims[i];
    }
    double *v = calloc(n ? n : 1, sizeof(double));
    uint8_t *b = (uint8_t *)v;
    if (!v)
        return 1;
    for (size_t i = 0; i < n; i++) {
        int on = (i * 7) % 5 == 0;
        switch (t) {
        case TESS_U8: b[i] = (uint8_t)on; break;
        case TESS_I32: ((int32_t *)v)[i] = on; break;
        case TESS_I64: ((int64_t *)v)[i] = on; break;
        case TESS_F32: ((float *)v)[i] = (float)on; break;
        default: v[i] = on; break;
        }
    }
    hid_t f = access(argv[1], F_OK) == 0
                  ? H5Fopen(argv[1], H5F_ACC_RDWR, H5P_DEFAULT)
                  : H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, argv[2], mt[t], s, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    int rc = (f < 0 || s < 0 || d < 0 ||
              H5Dwrite(d, mt[t], H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    free(v);
    return rc;
}
