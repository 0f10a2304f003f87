/*
 * slurm_alloc.h - what the current Slurm allocation holds, from libslurm
 * (the only place Tessera talks to Slurm's API; Slurm error codes become
 * messages here, with slurm_strerror).
 */
#ifndef TESS_LAUNCHER_SLURM_ALLOC_H
#define TESS_LAUNCHER_SLURM_ALLOC_H

#include <stddef.h>
#include <time.h>

#include "tessera.h"

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

/* The architectures (first feature, "default" without) of the cluster's
 * nodes, or of those with feature `only` if not NULL, ','-separated and
 * each once, their largest CPU count and memory (MiB). -1 with err if Slurm cannot be
 * asked. */
int slurm_alloc_cluster_archs(const char *only, char *archs, size_t len,
                              int *max_cpus, int64_t *max_memory_mb,
                              tess_error_t *err);

/* The same for the nodes of an allocation. */
void slurm_alloc_archs(const slurm_alloc_t *a, char *archs, size_t len,
                       int *max_cpus);

#endif
