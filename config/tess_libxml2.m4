# TESS_CHECK_LIBXML2: libxml2 for workflow parsing and XSD validation (Debian: libxml2-dev).
AC_DEFUN([TESS_CHECK_LIBXML2], [
  PKG_CHECK_MODULES([LIBXML2], [libxml-2.0], [],
    [AC_MSG_ERROR([libxml2 not found via pkg-config 'libxml-2.0'. On Debian: apt-get install libxml2-dev])])
])
