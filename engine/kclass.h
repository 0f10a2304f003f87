/*
 * kclass.h - task classes: a kernel with its constraints, its
 * architecture-specific implementations and how it runs and fails
 * (COMPSs @constraint, @implements and @task options).
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
    char *name;            /* the definition's name, NULL: the kernel's */
    uint8_t on_failure;    /* tess_on_failure_t */
    uint8_t isolation;     /* tess_isolation_t */
    uint16_t retries;      /* extra attempts (on_failure retry) */
    uint32_t timeout_ms;   /* 0: none */
} kclass_t;

typedef struct kclasses kclasses_t;

/* An empty table. NULL/ENOMEM. Caller destroys. */
kclasses_t *kclasses_create(void);
/* Free the table and its classes. Accepts NULL; preserves errno. */
void kclasses_destroy(kclasses_t *t);

/* The class equal to spec (created on first use: strings and the
 * implementations are copied, spec is borrowed; borrowed until
 * kclasses_destroy()). cpus below 1 count as 1, a negative memory as none.
 * NULL/ENOMEM. */
const kclass_t *kclasses_intern(kclasses_t *t, const kclass_t *spec);

/* 1 if a worker of architecture arch may run tasks of class c. */
int kclass_allows(const kclass_t *c, const char *arch);

/* The kernel a worker of architecture arch runs for class c: its own
 * implementation if there is one, else the default. */
uint32_t kclass_kernel_for(const kclass_t *c, const char *arch);

#endif
