/*
 * kernels.h - the kernel registry: kernel names to functions.
 *
 * A kernel is found, in this order: registered under its exact name;
 * "LIB:SYMBOL", SYMBOL looked up in the shared library LIB (a path, or a
 * name searched as LIB.so / libLIB.so in the registry's directories); a
 * plain SYMBOL exported by the program itself (dlsym of the main program,
 * which needs -rdynamic or an exported symbol). Resolution happens at task
 * submission, so an unknown kernel is reported before any task runs.
 * Kernels are then named by a dense index. Not thread-safe for writers;
 * kreg_fn()/kreg_name() may be called from executor threads once resolved.
 */
#ifndef TESS_KERNELS_KREG_H
#define TESS_KERNELS_KREG_H

#include <stdint.h>

#include "tessera.h"

typedef struct kreg kreg_t;

kreg_t *kreg_create(void);
/* Closes the libraries it opened. Accepts NULL. */
void kreg_destroy(kreg_t *k);

/* Add a directory searched for kernel libraries (copied). */
int kreg_add_dir(kreg_t *k, const char *dir);

/* This process runs on architecture arch (copied; NULL/"" none): a library
 * LIB is then looked for as LIB-ARCH.so first (the arch build of a kernel
 * module, see --enable-arch-builds), then as LIB.so. */
int kreg_set_arch(kreg_t *k, const char *arch);

/* Add every directory of a ':'-separated list (NULL: none). */
int kreg_add_path(kreg_t *k, const char *dirs);

int kreg_register(kreg_t *k, const char *name, tess_kernel_f fn);

/* Index of kernel `name`, resolving it if new. -1 with err naming the
 * kernel and why (no such library, no such symbol) on failure. */
int kreg_resolve(kreg_t *k, const char *name, uint32_t *idx,
                 tess_error_t *err);

tess_kernel_f kreg_fn(const kreg_t *k, uint32_t idx);
const char *kreg_name(const kreg_t *k, uint32_t idx);
uint32_t kreg_count(const kreg_t *k);

#endif
