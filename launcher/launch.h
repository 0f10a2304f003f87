/*
 * launch.h - how `tessera run` starts the engine and workers as one MPI
 * job: an ops table per backend (Slurm's plugin style), chosen by where the
 * command runs. Backends: "local" (mpirun on this machine); "slurm"
 * (srun inside an allocation) comes with the Slurm support.
 */
#ifndef TESS_LAUNCHER_LAUNCH_H
#define TESS_LAUNCHER_LAUNCH_H

#include "launcher/job.h"
#include "tessera.h"

typedef struct launch_req {
    const char *self;         /* absolute path of the tessera executable */
    int argc;                 /* the arguments rank 0 and workers get */
    char **argv;              /*   (after the executable), NULL-terminated */
    int workers;              /* worker ranks, 0: the backend's default */
    int slots;                /* threads per worker, 0: the node's CPUs */
    const char *run_dir;      /* absolute; launch files may go there */
    const char *kernel_path;  /* ':'-separated dirs for the workers */
    void (*tick)(void *arg);  /* called about every 0.25 s while it runs */
    void *tick_arg;
} launch_req_t;

typedef struct launch_ops {
    const char *name;
    /* 1 if this backend applies here (e.g. inside an allocation). */
    int (*detect)(void);
    /* The architectures the workers will have (','-separated), the most
     * slots and the most memory (MiB, 0: unknown) a worker will have; -1
     * with err if unknown here. */
    int (*resources)(const launch_req_t *req, char *archs, size_t len,
                     int *max_slots, int64_t *max_memory_mb,
                     tess_error_t *err);
    /* Run the job to its end (see job.h: signals, stderr, no process
     * left); 0 with r filled, or -1 with err if it could not start. */
    int (*run)(const launch_req_t *req, job_result_t *r, tess_error_t *err);
} launch_ops_t;

extern const launch_ops_t launch_local;
#ifdef HAVE_SLURM
extern const launch_ops_t launch_slurm;
#endif

/* The backend for this environment. */
const launch_ops_t *launch_select(void);

/* 1 if this process is a rank of an MPI job started by a backend. */
int launch_in_job(void);

#endif
