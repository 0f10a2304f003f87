# TESS_CHECK_SLURM: optional libslurm (Debian: libslurm-dev, which ships no .pc).
AC_DEFUN([TESS_CHECK_SLURM], [
  AC_ARG_WITH([slurm],
    [AS_HELP_STRING([--with-slurm], [build Slurm support (default: auto)])],
    [], [with_slurm=auto])
  have_slurm=no
  AS_IF([test "x$with_slurm" != "xno"], [
    AC_CHECK_HEADER([slurm/slurm.h], [
      AC_CHECK_LIB([slurm], [slurm_load_job], [have_slurm=yes; SLURM_LIBS=-lslurm])])
    AS_IF([test "x$with_slurm" = "xyes" && test "x$have_slurm" = "xno"],
      [AC_MSG_ERROR([--with-slurm given but libslurm not found. On Debian: apt-get install libslurm-dev])])
  ])
  with_slurm=$have_slurm
  AS_IF([test "x$have_slurm" = "xyes"], [AC_DEFINE([HAVE_SLURM], [1], [Define if libslurm is available])])
  AC_SUBST([SLURM_LIBS])
  AM_CONDITIONAL([HAVE_SLURM], [test "x$have_slurm" = "xyes"])
])
