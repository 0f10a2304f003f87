/*
 * kclass.h - task classes: a kernel with its constraints and its
 * architecture-specific implementations (COMPSs @constraint/@implements).
 *
 * Tasks of one class share one record (interned), so a task carries a
 * single pointer whatever its options. Records live until the table is
 * destroyed with its run. Engine thread only.
 */
#ifndef TESS_ENGINE_KCLASS_H
#define TESS_ENGINE_KCLASS_H

#include <stdint.h>

typedef struct kclass_impl {
    char *arch;
    uint32_t kernel; /* kernel registry index */
} kclass_impl_t;

typedef struct kclass {
    uint32_t kernel;       /* the default implementation */
    char *arch;            /* required architecture, NULL: any */
    int cpus;              /* slots a task occupies (>= 1) */
    int64_t memory_mb;     /* memory it needs, MiB (0: none) */
    int nimpls;
    kclass_impl_t *impls;
} kclass_t;

typedef struct kclasses kclasses_t;

/* An empty table. NULL/ENOMEM. Caller destroys. */
kclasses_t *kclasses_create(void);
/* Free the table and its classes. Accepts NULL; preserves errno. */
void kclasses_destroy(kclasses_t *t);

/* The class with these properties (created on first use; strings copied;
 * cpus below 1 count as 1, a negative memory as none). Borrowed until
 * kclasses_destroy(). NULL/ENOMEM. */
const kclass_t *kclasses_intern(kclasses_t *t, uint32_t kernel,
                                const char *arch, int cpus,
                                int64_t memory_mb, int nimpls,
                                const char *const *impl_archs,
                                const uint32_t *impl_kernels);

/* 1 if a worker of architecture arch may run tasks of class c. */
int kclass_allows(const kclass_t *c, const char *arch);

/* The kernel a worker of architecture arch runs for class c: its own
 * implementation if there is one, else the default. */
uint32_t kclass_kernel_for(const kclass_t *c, const char *arch);

#endif
