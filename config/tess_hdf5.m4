# TESS_CHECK_HDF5: the serial, thread-safe HDF5 build (Debian: libhdf5-dev).
# Why serial and not hdf5-openmpi: see docs/design.md, "HDF5 build".
AC_DEFUN([TESS_CHECK_HDF5], [
  PKG_CHECK_MODULES([HDF5], [hdf5-serial], [],
    [AC_MSG_ERROR([HDF5 (serial, thread-safe) not found via pkg-config 'hdf5-serial'. On Debian: apt-get install libhdf5-dev])])
  save_CPPFLAGS=$CPPFLAGS; CPPFLAGS="$CPPFLAGS $HDF5_CFLAGS"
  AC_CHECK_HEADER([hdf5.h], [], [AC_MSG_ERROR([hdf5.h not usable. On Debian: apt-get install libhdf5-dev])])
  CPPFLAGS=$save_CPPFLAGS
  AC_PATH_PROG([H5DUMP], [h5dump], [])
])
