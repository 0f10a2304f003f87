/*
 * slurm_alloc.h - what Slurm says, from libslurm: the nodes of the current
 * allocation (for `tessera run` in a job), and the cluster's nodes,
 * partitions and reservations (for the checks of `tessera submit`). The
 * only place Tessera talks to Slurm's API; Slurm error codes become
 * messages here, with slurm_strerror.
 */
#ifndef TESS_LAUNCHER_SLURM_ALLOC_H
#define TESS_LAUNCHER_SLURM_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tessera.h"

/* No limit (Slurm's INFINITE), for partition limits. */
#define SLURM_ALLOC_UNLIMITED UINT32_MAX

typedef struct slurm_alloc_node {
    char name[64];
    int cpus;          /* configured CPUs of the node */
    long memory_mb;    /* configured memory */
    char features[256]; /* comma-separated, "" if none */
} slurm_alloc_node_t;

typedef struct slurm_alloc {
    unsigned long job_id;
    char partition[64];
    time_t end_time;   /* when Slurm will end the job (0: unknown) */
    int binds_cpus;    /* srun can bind tasks (slurm_alloc_binds_cpus) */
    size_t nnodes;
    slurm_alloc_node_t *nodes; /* in allocation order */
} slurm_alloc_t;

/* The allocation of job job_id (SLURM_JOB_ID). Caller frees with
 * slurm_alloc_free(). -1 with err naming the Slurm error. */
int slurm_alloc_load(unsigned long job_id, slurm_alloc_t *a,
                     tess_error_t *err);
void slurm_alloc_free(slurm_alloc_t *a);

/* 1 if node has feature f (exact match in its comma-separated list). */
int slurm_alloc_node_has(const slurm_alloc_node_t *node, const char *f);

/* The node's architecture into buf: its first feature, "default" if it
 * has none (what its worker reports in TESS_ARCH). Returns buf. */
char *slurm_alloc_node_arch(const slurm_alloc_node_t *node, char *buf,
                            size_t len);

/* The architectures of an allocation's nodes (','-separated, each once)
 * and their largest CPU count. */
void slurm_alloc_archs(const slurm_alloc_t *a, char *archs, size_t len,
                       int *max_cpus);

/* 1 if srun binds tasks to CPUs under this TaskPlugin (slurm.conf), the
 * way srun decides it: every plugin but task/none (with task/none srun
 * answers any --cpu-bind with "cluster configuration lacks support for
 * cpu binding"). */
int slurm_alloc_binds_cpus(const char *task_plugin);

/* A partition: its limits, and which nodes of the cluster it holds. */
typedef struct slurm_alloc_part {
    char name[64];
    int is_default;
    uint32_t max_time;    /* minutes, or SLURM_ALLOC_UNLIMITED */
    uint32_t min_nodes;   /* per job */
    uint32_t max_nodes;   /* per job, or SLURM_ALLOC_UNLIMITED */
    unsigned char *member; /* member[i]: node i of the cluster is in it */
} slurm_alloc_part_t;

/* A reservation and its nodes. */
typedef struct slurm_alloc_resv {
    char name[64];
    unsigned char *member;
} slurm_alloc_resv_t;

/* The cluster, as a job about to be submitted sees it. */
typedef struct slurm_alloc_cluster {
    size_t nnodes;
    slurm_alloc_node_t *nodes; /* in Slurm's node table order */
    size_t nparts;
    slurm_alloc_part_t *parts; /* hidden partitions included */
    size_t nresvs;
    slurm_alloc_resv_t *resvs;
    int binds_cpus;            /* slurm_alloc_binds_cpus() of TaskPlugin */
} slurm_alloc_cluster_t;

/* Load the cluster's nodes, partitions, reservations and TaskPlugin
 * (slurmctld of SLURM_CONF). Caller frees with slurm_alloc_cluster_free().
 * -1 with errno ENOENT if no Slurm configuration is found, EIO with err
 * naming the Slurm error. */
int slurm_alloc_cluster_load(slurm_alloc_cluster_t *c, tess_error_t *err);
void slurm_alloc_cluster_free(slurm_alloc_cluster_t *c);

/* Set member[i] for each node of c named by the Slurm host list
 * expression hosts ("n[1-3],n7"); member holds c->nnodes bytes. -1 with
 * errno EINVAL and err naming a host that is not a node of the cluster. */
int slurm_alloc_cluster_select(const slurm_alloc_cluster_t *c,
                               const char *hosts, unsigned char *member,
                               tess_error_t *err);

#endif
