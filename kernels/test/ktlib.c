/* ktlib.c - kernel modules for test_kreg, built several times with
 * KT_VALUE (what kt_value returns, so a test sees which file a kernel came
 * from) and KT_NAME; KT_UNDEFINED adds a reference to a function no library
 * defines, so the module does not load with RTLD_NOW. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "tessera.h"

int kt_value(const tess_args_t *a);

#ifdef KT_UNDEFINED
int kt_nowhere(void);
#endif

/* Loading runs constructors (kreg.h, the trust model): visible to the
 * test through the environment. */
__attribute__((constructor)) static void kt_loaded(void)
{
    setenv("KT_LOADED", KT_NAME, 1);
}

int kt_value(const tess_args_t *a)
{
    (void)a;
#ifdef KT_UNDEFINED
    return kt_nowhere();
#else
    return KT_VALUE;
#endif
}
