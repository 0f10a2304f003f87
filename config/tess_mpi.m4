# TESS_CHECK_MPI: OpenMPI through its pkg-config file (Debian: libopenmpi-dev).
AC_DEFUN([TESS_CHECK_MPI], [
  PKG_CHECK_MODULES([MPI], [ompi-c], [],
    [AC_MSG_ERROR([OpenMPI not found via pkg-config 'ompi-c'. On Debian: apt-get install libopenmpi-dev openmpi-bin])])
  AC_PATH_PROG([MPIRUN], [mpirun], [])
  AS_IF([test -z "$MPIRUN"], [AC_MSG_ERROR([mpirun not found. On Debian: apt-get install openmpi-bin])])
])
