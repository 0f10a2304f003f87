/*
 * kernels.h - the neurons kernels (see kernels.c for their parameters).
 * Linked into tessera-cc, loaded by name (neurons_kernels:cc_surrogate_range)
 * by tessera-worker and the XML workflow.
 */
#ifndef NEURONS_KERNELS_H
#define NEURONS_KERNELS_H

#include "tessera.h"

int cc_surrogate_range(const tess_args_t *a);
int gather(const tess_args_t *a);
int copy_block(const tess_args_t *a);
int cc_block_pair(const tess_args_t *a);
int significance(const tess_args_t *a);

#endif
