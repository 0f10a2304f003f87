/*
 * kreg.h - the kernel registry: kernel names to functions.
 *
 * A kernel is found, in this order: registered under its exact name;
 * "LIB:SYMBOL", SYMBOL looked up in the kernel library LIB (found by
 * kreg_find_lib(), loaded with dlopen(RTLD_NOW | RTLD_LOCAL): its
 * constructors run); a plain SYMBOL exported by the program itself (dlsym
 * of the main program, which needs -rdynamic or an exported symbol).
 * Resolution happens at task submission, so an unknown kernel is reported
 * before any task runs. Kernels are then named by a dense index. Not
 * thread-safe for writers; kreg_fn()/kreg_name() may be called from
 * executor threads once resolved.
 *
 * The search rule of kernel libraries (one for every caller: the workflow
 * validator, the engine and the workers; docs/workflow-format.md):
 * a LIB containing '/' is that file. Otherwise, with NAME = LIB without a
 * trailing ".so": if an architecture is set (kreg_set_arch), every
 * directory in order is tried for the architecture's build first,
 *   DIR/NAME-ARCH.so, DIR/libNAME-ARCH.so, DIR/.libs/NAME-ARCH.so,
 *   DIR/.libs/libNAME-ARCH.so,
 * then every directory in order for the default build, the same names
 * without "-ARCH". The first file that exists wins: if it does not load,
 * that is the error (no later candidate is tried).
 */
#ifndef TESS_KERNELS_KREG_H
#define TESS_KERNELS_KREG_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

typedef struct kreg kreg_t;

/* An empty registry (no directory, no architecture). Caller destroys. */
kreg_t *kreg_create(void);
/* Closes the libraries it opened. Accepts NULL, preserves errno. */
void kreg_destroy(kreg_t *k);

/* Append directory @p dir to the search path (copied; "" is ignored).
 * -1/ENOMEM. */
int kreg_add_dir(kreg_t *k, const char *dir);

/* Append every directory of the ':'-separated list @p dirs (NULL: none;
 * empty entries are skipped). -1/ENOMEM. */
int kreg_add_path(kreg_t *k, const char *dirs);

/* This process runs on architecture @p arch (copied; NULL or "": none):
 * its builds of kernel libraries are looked for first (see above).
 * -1/ENAMETOOLONG beyond 63 bytes. */
int kreg_set_arch(kreg_t *k, const char *arch);

/* The file kernel library @p lib resolves to under the rule above, into
 * @p path (@p len bytes), without loading it. 0, or -1 with errno ENOENT
 * and @p err "kernel library 'LIB' not found (looked for ... in DIRS)",
 * ENAMETOOLONG if a candidate does not fit. */
int kreg_find_lib(const kreg_t *k, const char *lib, char *path, size_t len,
                  tess_error_t *err);

/* Register @p fn under @p name (copied), replacing an earlier one.
 * -1/EINVAL for an empty name or NULL fn, ENOMEM. */
int kreg_register(kreg_t *k, const char *name, tess_kernel_f fn);

/* Index of kernel @p name, resolving it if new. -1 with @p err naming the
 * kernel and why: errno ENOENT (no such library or symbol), EINVAL (a
 * malformed name, or a library that does not load: the loader's message),
 * ENOMEM. */
int kreg_resolve(kreg_t *k, const char *name, uint32_t *idx,
                 tess_error_t *err);

/* The function and name of kernel @p idx (NULL and "?" past the end). */
tess_kernel_f kreg_fn(const kreg_t *k, uint32_t idx);
const char *kreg_name(const kreg_t *k, uint32_t idx);
uint32_t kreg_count(const kreg_t *k);

#endif
