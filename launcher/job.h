/*
 * job.h - running the MPI job of a run (mpirun or srun) from the launcher,
 * which outlives it: one spawn-and-wait for every launch backend.
 *
 * The job runs in a process group of its own, with the launcher as the
 * subreaper of everything it starts, so that nothing can outlive the run:
 * SIGINT, SIGTERM or SIGHUP to the launcher become one SIGTERM to the job
 * (mpirun and srun pass it to the ranks, whose engine stops cleanly), then
 * SIGKILL to the whole group after a grace period; when the job leader
 * ends, whatever is left of its group or was orphaned to the launcher is
 * killed and reaped (descendants are found through the kernel's
 * /proc/PID/task/TID/children lists, CONFIG_PROC_CHILDREN, which
 * Debian's and RHEL's kernels have). The job's stderr passes through the launcher, which
 * keeps its last lines and a copy in RUN_DIR/logs/launch.log, to explain an
 * abnormal end ("process rank 1 ... exited on signal 9"). A leader that
 * outlives all its ranks (processes with OMPI_COMM_WORLD_RANK, PMIX_RANK
 * or PMI_RANK) by leader_hang_s is hung, and is killed: OpenMPI
 * 4.1's mpirun never ends when a rank dies while connecting to its PMIx
 * server (tests/t5150-mpirun-hang.t). A tick callback
 * runs about every 0.25 s while the job runs (progress, lock upkeep).
 */
#ifndef TESS_LAUNCHER_JOB_H
#define TESS_LAUNCHER_JOB_H

#include <stddef.h>

#include "tessera.h"

typedef struct job_spec {
    char *const *argv;      /* argv[0] looked up in PATH */
    const char *what;       /* "mpirun", "srun": for messages */
    const char *log_path;   /* where the job's stderr is copied (NULL: no) */
    double grace_s;         /* SIGTERM -> SIGKILL (0: 10 s) */
    double leader_hang_s;   /* the ranks run here, below the leader (mpirun
                               here, not srun): once they have all ended,
                               it has this long to end too, or it is hung
                               and is killed with its group (0: not
                               watched) */
    void (*tick)(void *arg);
    void *tick_arg;
} job_spec_t;

typedef struct job_result {
    int exited;             /* 1: exit status in status; 0: killed */
    int status;             /* exit status, or the signal that killed it */
    int signal_received;    /* SIGINT/SIGTERM/SIGHUP the launcher got, 0 */
    int killed_group;       /* processes had to be killed after the end */
    int leader_hung;        /* it outlived its ranks: killed (why says) */
    char why[512];          /* the job's explanation of an abnormal end,
                               from its stderr, "" if none */
    char what[16];          /* mpirun, srun: who the leader was */
} job_result_t;

/* Run the job to its end. 0 with r filled, or -1 with err if it could not
 * be started. */
int job_run(const job_spec_t *spec, job_result_t *r, tess_error_t *err);

#endif
