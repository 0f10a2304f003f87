/* bench_kernels.c - the kernel of bench/one_task.xml, the workflow whose
 * `tessera run` the suite times as start-up cost. */
#include "config.h"

#include "tessera.h"

int bench_touch(const tess_args_t *a);

/* touch(OUT x): x[i] = i */
int bench_touch(const tess_args_t *a)
{
    double *x = tess_args_data(a, 0);
    for (int64_t i = 0; i < tess_args_numel(a, 0); i++)
        x[i] = (double)i;
    return 0;
}
