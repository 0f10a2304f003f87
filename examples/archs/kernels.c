/*
 * kernels.c - kernels of the architectures example (examples/archs/archs.xml),
 * built as the module archs_kernels.so.
 *
 * which_default and which_mic are two implementations of one task: each
 * fills its OUT array region (i32, one element per call) with the number of
 * the implementation that ran, 1 for the default kernel and 2 for the mic
 * one, so a run's results show where its tasks went.
 */
#include <stdint.h>

#include "tessera.h"

int which_default(const tess_args_t *a);
int which_mic(const tess_args_t *a);

static int which(const tess_args_t *a, int32_t id)
{
    if (tess_args_count(a) != 1 || tess_args_type(a, 0) != TESS_I32)
        return tess_args_fail(a, "%s: expected one i32 array parameter",
                              tess_args_kernel(a));
    int32_t *v = tess_args_data(a, 0);
    int64_t n = tess_args_numel(a, 0);
    for (int64_t i = 0; i < n; i++)
        v[i] = id;
    return 0;
}

int which_default(const tess_args_t *a)
{
    return which(a, 1);
}

int which_mic(const tess_args_t *a)
{
    return which(a, 2);
}
