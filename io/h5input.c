/*
 * h5input.c - user datasets in existing HDF5 files: probe shape and type,
 * read. Files are opened read-only; HDF5's automatic error printing is off
 * while we call it (H5E_BEGIN_TRY), failures become one message.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hdf5.h>

#include "io/h5input.h"
#include "io/h5util.h"

static int open_ds(const char *path, const char *dataset, hid_t *f, hid_t *d,
                   tess_error_t *err)
{
    htri_t is;
    *f = *d = H5I_INVALID_HID;
    h5util_init(); /* HDF5 set up, its error printing off in this thread */
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno == ENOENT ? ENOENT : errno;
        tess_errprintf(err, "cannot open input file '%s': %s", path,
                       strerror(e));
        errno = e;
        return -1;
    }
    fclose(fp);
    H5E_BEGIN_TRY {
        is = H5Fis_hdf5(path);
        if (is > 0)
            *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    } H5E_END_TRY;
    if (is <= 0) {
        errno = EINVAL;
        return tess_errprintf(err, "input file '%s' is not an HDF5 file",
                              path);
    }
    if (*f < 0) {
        errno = EIO;
        return tess_errprintf(err, "cannot open HDF5 file '%s'", path);
    }
    H5E_BEGIN_TRY {
        htri_t ok = H5Lexists(*f, dataset, H5P_DEFAULT);
        if (ok > 0)
            *d = H5Dopen2(*f, dataset, H5P_DEFAULT);
    } H5E_END_TRY;
    if (*d < 0) {
        H5Fclose(*f);
        *f = H5I_INVALID_HID;
        errno = EINVAL;
        return tess_errprintf(err, "HDF5 file '%s' has no dataset '%s'", path,
                              dataset);
    }
    return 0;
}

int h5input_probe(const char *path, const char *dataset, int *rank,
                   int64_t *dims, tess_type_t *type, tess_error_t *err)
{
    hid_t f, d, sp = H5I_INVALID_HID, ft = H5I_INVALID_HID;
    int rc = -1;
    if (open_ds(path, dataset, &f, &d, err) < 0)
        return -1;
    H5E_BEGIN_TRY {
        sp = H5Dget_space(d);
        ft = H5Dget_type(d);
    } H5E_END_TRY;
    if (sp < 0 || ft < 0) {
        errno = EIO;
        tess_errprintf(err, "cannot read dataset '%s' of '%s'", dataset, path);
        goto out;
    }
    int r = H5Sget_simple_extent_ndims(sp);
    if (r < 0 || r > TESS_MAX_RANK) {
        errno = EINVAL;
        tess_errprintf(err, "dataset '%s' of '%s' has %d dimensions (at most "
                       "%d)", dataset, path, r, TESS_MAX_RANK);
        goto out;
    }
    hsize_t h[TESS_MAX_RANK];
    H5Sget_simple_extent_dims(sp, h, NULL);
    for (int i = 0; i < r; i++) {
        if (h[i] > (hsize_t)INT64_MAX) {
            errno = EINVAL;
            tess_errprintf(err, "dataset '%s' of '%s' is too large", dataset,
                           path);
            goto out;
        }
        dims[i] = (int64_t)h[i];
    }
    *rank = r;
    *type = h5util_classify(ft, NULL, 0);
    rc = 0;
out:
    h5util_close(4, ft, sp, d, f);
    return rc;
}

int h5input_read(const char *path, const char *dataset, tess_type_t type,
                  void *buf, tess_error_t *err)
{
    hid_t f, d;
    herr_t st = -1;
    if (open_ds(path, dataset, &f, &d, err) < 0)
        return -1;
    H5E_BEGIN_TRY {
        st = H5Dread(d, h5util_mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    } H5E_END_TRY;
    h5util_close(2, d, f);
    if (st < 0) {
        errno = EIO;
        return tess_errprintf(err, "cannot read dataset '%s' of '%s'",
                              dataset, path);
    }
    return 0;
}
