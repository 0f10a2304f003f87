/*
 * args.h - the argument block a kernel receives (tess_args_t).
 *
 * Executors (the local thread pool, MPI workers) fill one tess_args per
 * running task from whatever holds the data (memory, HDF5 fragments); the
 * accessors of tessera.h read it. Everything pointed to is borrowed from the
 * executor for the duration of the kernel call.
 */
#ifndef TESS_KERNELS_ARGS_H
#define TESS_KERNELS_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "tessera.h"

struct tess_arg {
    tess_param_kind_t kind;
    tess_dir_t dir;
    tess_type_t type;
    int rank;
    const int64_t *start; /* region start (rank entries) */
    const int64_t *count; /* region shape (rank entries) */
    void *buf;            /* arrays: dense region buffer */
    const char *path;     /* files */
    union {
        int64_t i;
        double d;
        const char *s;
    } value;
};

struct tess_args {
    const char *kernel;
    uint64_t task_id;
    int n;
    struct tess_arg *a;
    char *msg;     /* failure message buffer, set by tess_args_fail */
    size_t msglen;
};

#endif
