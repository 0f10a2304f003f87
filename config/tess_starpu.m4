# TESS_CHECK_STARPU: optional StarPU 1.3 (Debian: libstarpu-dev), used only
# by the benchmark suite (bench/tb_starpu) as a peer runtime.
AC_DEFUN([TESS_CHECK_STARPU], [
  AC_ARG_WITH([starpu],
    [AS_HELP_STRING([--with-starpu], [build the StarPU benchmark peer (default: auto)])],
    [], [with_starpu=auto])
  have_starpu=no
  AS_IF([test "x$with_starpu" != "xno"], [
    PKG_CHECK_MODULES([STARPU], [starpu-1.3], [have_starpu=yes], [have_starpu=no])
    AS_IF([test "x$with_starpu" = "xyes" && test "x$have_starpu" = "xno"],
      [AC_MSG_ERROR([--with-starpu given but starpu-1.3 not found. On Debian: apt-get install libstarpu-dev])])
  ])
  with_starpu=$have_starpu
  # StarPU's headers declare functions without prototypes: include them as
  # system headers so -Wstrict-prototypes -Werror stays on for our code.
  STARPU_CFLAGS=`echo "$STARPU_CFLAGS" | sed 's/-I/-isystem /g'`
  AM_CONDITIONAL([HAVE_STARPU], [test "x$have_starpu" = "xyes"])
])
