# TESS_CHECK_CUNIT: CUnit for the unit tests (Debian: libcunit1-dev).
# Debian's cunit.pc may carry no version, so none is required.
AC_DEFUN([TESS_CHECK_CUNIT], [
  PKG_CHECK_MODULES([CUNIT], [cunit], [],
    [AC_MSG_ERROR([CUnit not found via pkg-config 'cunit'. On Debian: apt-get install libcunit1-dev])])
])
