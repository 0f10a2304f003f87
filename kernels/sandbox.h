/*
 * sandbox.h - where kernels run: on the calling slot thread, or in an
 * executor process of that slot, so that a segfault, an abort(), an exit(),
 * a runaway allocation or a time-out fails one task and not the worker.
 *
 * Design (docs/design.md, "Kernel isolation"): sandbox_create() forks a
 * fork server (the "zygote") while the process is still single-threaded as
 * far as Tessera is concerned; it closes every inherited descriptor (MPI's,
 * PMIx's) and forks one executor per slot on demand, also to replace one
 * that died. Each slot owns a shared-memory arena (memfd) holding a control
 * block, the task's argument block and the task's buffers, so inputs and
 * outputs cross the process boundary without a copy. A call is: write the
 * request into the arena, bump a sequence number, wake the executor (a
 * pipe, only if it sleeps), wait for the reply (spin briefly, then poll()
 * the reply pipe with the time-out). End of file on the reply pipe means
 * the executor died: the zygote reaps it and reports the signal or exit
 * status. Executors die with their worker (PR_SET_PDEATHSIG, pipe EOF).
 *
 * Executors resolve kernels by name with their own copy of the registry,
 * taken when the zygote was forked (registered kernels, search path);
 * library kernels are opened in the executor on first use.
 *
 * Threads: sandbox_reserve() and sandbox_run() for slot i are called by
 * slot i's thread only; different slots run concurrently.
 */
#ifndef TESS_KERNELS_SANDBOX_H
#define TESS_KERNELS_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernels/args.h"
#include "kernels/kreg.h"

typedef struct sandbox sandbox_t;

typedef struct sandbox_config {
    int nslots;
    const kreg_t *kernels;   /* copied into executors when the zygote forks */
    int processes;           /* 0: no zygote, everything runs in-process */
    long spin_ns;            /* how long waiters poll before sleeping */
    int64_t memory_mb;       /* a task's address-space limit when it states
                                none (0: unlimited) */
} sandbox_config_t;

/* How a call ended. */
enum sandbox_state {
    SANDBOX_OK = 1,      /* the kernel returned 0 */
    SANDBOX_FAILED = 2,  /* the kernel returned non-zero (code) */
    SANDBOX_CRASHED = 3, /* the executor died: code = signal (> 0) or
                            -exit status (<= 0) */
    SANDBOX_TIMEOUT = 4, /* killed at the time limit */
    SANDBOX_ERROR = 5,   /* could not run (no executor, unknown kernel) */
};

typedef struct sandbox_call {
    const char *kernel;    /* name (executors resolve it) */
    tess_kernel_f fn;      /* the function, for in-process calls */
    struct tess_args *args;/* isolated calls: every pointer in it (buffers,
                              boxes, strings, paths, msg) must lie inside
                              the slot's arena (sandbox_reserve) */
    int isolate;           /* run in the slot's executor process */
    uint32_t timeout_ms;   /* 0: none (needs isolate) */
    int64_t memory_mb;     /* address-space limit, 0: the default */
} sandbox_call_t;

typedef struct sandbox_result {
    int state;             /* enum sandbox_state */
    int32_t code;
    double seconds;        /* wall time of the call */
} sandbox_result_t;

/* Fork the zygote (if c->processes) and prepare nslots arenas. Call it
 * before starting threads that might hold locks a child would inherit.
 * NULL with err. Caller destroys. */
sandbox_t *sandbox_create(const sandbox_config_t *c, tess_error_t *err);

/* Kill the executors and the zygote, wait for them, free. Accepts NULL;
 * preserves errno. */
void sandbox_destroy(sandbox_t *s);

/* Executors' stderr goes to DIR/PREFIX.slotN.log (appended), from now on;
 * failure messages quote its last lines. NULL: inherited stderr. */
int sandbox_set_log(sandbox_t *s, const char *dir, const char *prefix);

/* 1 if executor processes are available. */
int sandbox_isolates(const sandbox_t *s);

/* At least `bytes` bytes of the slot's arena (16-byte aligned, contents
 * undefined) for one call with up to nargs parameters. Valid until the
 * next sandbox_reserve() of the slot. NULL/ENOMEM. */
void *sandbox_reserve(sandbox_t *s, int slot, size_t bytes, int nargs);

/* Run c->fn / c->kernel on c->args in slot `slot`. The kernel's failure
 * message (tess_args_fail) lands in c->args->msg; for crashes and
 * time-outs sandbox_run writes one there, ending with the last lines the
 * kernel wrote on stderr. Returns 0 (see r->state), -1 on an internal
 * error (r->state SANDBOX_ERROR, message in c->args->msg). */
int sandbox_run(sandbox_t *s, int slot, const sandbox_call_t *c,
                sandbox_result_t *r);

/* Executors that died or were killed so far (for statistics). */
uint64_t sandbox_crashes(const sandbox_t *s);

/* The process ids of the zygote and of slot i's executor (0: none). */
pid_t sandbox_zygote_pid(const sandbox_t *s);
pid_t sandbox_executor_pid(const sandbox_t *s, int slot);

#endif
