/* slurm_alloc.c - the allocation from libslurm: nodes, CPUs, features, end. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "base/namelist.h"
#include "launcher/slurm_alloc.h"

static void init_once(void)
{
    static int done;
    if (!done) {
        slurm_init(NULL); /* reads SLURM_CONF or the default config */
        done = 1;
    }
}

static const node_info_t *find_node(const node_info_msg_t *nodes,
                                    const char *name)
{
    for (uint32_t i = 0; i < nodes->record_count; i++)
        if (nodes->node_array[i].name &&
            strcmp(nodes->node_array[i].name, name) == 0)
            return &nodes->node_array[i];
    return NULL;
}

int slurm_alloc_load(unsigned long job_id, slurm_alloc_t *a,
                     tess_error_t *err)
{
    job_info_msg_t *jobs = NULL;
    node_info_msg_t *nodes = NULL;
    memset(a, 0, sizeof(*a));
    init_once();
    if (slurm_load_job(&jobs, (uint32_t)job_id, SHOW_DETAIL) != SLURM_SUCCESS ||
        !jobs || jobs->record_count < 1) {
        int e = slurm_get_errno();
        if (jobs)
            slurm_free_job_info_msg(jobs);
        errno = EIO;
        return tess_errprintf(err, "Slurm job %lu: cannot load it: %s", job_id,
                              slurm_strerror(e));
    }
    if (slurm_load_node(0, &nodes, SHOW_ALL) != SLURM_SUCCESS) {
        int e = slurm_get_errno();
        slurm_free_job_info_msg(jobs);
        errno = EIO;
        return tess_errprintf(err, "Slurm: cannot load the nodes: %s",
                              slurm_strerror(e));
    }
    const slurm_job_info_t *j = &jobs->job_array[0];
    a->job_id = job_id;
    /* Without a time limit Slurm reports an end a year away: no deadline. */
    a->end_time = j->time_limit == INFINITE ? 0 : j->end_time;
    snprintf(a->partition, sizeof(a->partition), "%s",
             j->partition ? j->partition : "");
    hostlist_t hl = slurm_hostlist_create(j->nodes ? j->nodes : "");
    size_t cap = 16;
    a->nodes = calloc(cap, sizeof(*a->nodes));
    char *h;
    int rc = 0;
    while (a->nodes && hl && (h = slurm_hostlist_shift(hl)) != NULL) {
        if (a->nnodes == cap) {
            slurm_alloc_node_t *n = realloc(a->nodes, 2 * cap * sizeof(*n));
            if (!n) {
                free(h);
                rc = -1;
                break;
            }
            a->nodes = n;
            cap *= 2;
        }
        slurm_alloc_node_t *an = &a->nodes[a->nnodes++];
        memset(an, 0, sizeof(*an));
        snprintf(an->name, sizeof(an->name), "%s", h);
        const node_info_t *ni = find_node(nodes, h);
        if (ni) {
            an->cpus = ni->cpus;
            an->memory_mb = (long)ni->real_memory;
            snprintf(an->features, sizeof(an->features), "%s",
                     ni->features ? ni->features : "");
        }
        free(h);
    }
    if (hl)
        slurm_hostlist_destroy(hl);
    slurm_free_job_info_msg(jobs);
    slurm_free_node_info_msg(nodes);
    if (!a->nodes || rc < 0 || a->nnodes == 0) {
        slurm_alloc_free(a);
        errno = ENOMEM;
        return tess_errprintf(err, "Slurm job %lu: no nodes in the allocation",
                              job_id);
    }
    return 0;
}

void slurm_alloc_free(slurm_alloc_t *a)
{
    free(a->nodes);
    memset(a, 0, sizeof(*a));
}

int slurm_alloc_node_has(const slurm_alloc_node_t *node, const char *f)
{
    return namelist_contains(node->features, f);
}

/* Add the node's architecture (its first feature, or "default") to archs. */
static void add_arch(const char *features, char *archs, size_t len)
{
    char arch[64];
    if (!namelist_first(features, arch, sizeof(arch))[0])
        snprintf(arch, sizeof(arch), "default");
    namelist_add(archs, len, arch);
}

int slurm_alloc_cluster_archs(const char *only, char *archs, size_t len,
                              int *max_cpus, int64_t *max_memory_mb,
                              tess_error_t *err)
{
    node_info_msg_t *nodes = NULL;
    init_once();
    archs[0] = '\0';
    *max_cpus = 0;
    *max_memory_mb = 0;
    if (slurm_load_node(0, &nodes, SHOW_ALL) != SLURM_SUCCESS) {
        errno = EIO;
        return tess_errprintf(err, "Slurm: cannot load the nodes: %s",
                              slurm_strerror(slurm_get_errno()));
    }
    for (uint32_t i = 0; i < nodes->record_count; i++) {
        const node_info_t *n = &nodes->node_array[i];
        slurm_alloc_node_t an;
        memset(&an, 0, sizeof(an));
        snprintf(an.features, sizeof(an.features), "%s",
                 n->features ? n->features : "");
        if (only && !slurm_alloc_node_has(&an, only))
            continue;
        add_arch(n->features, archs, len);
        if (n->cpus > *max_cpus)
            *max_cpus = n->cpus;
        if ((int64_t)n->real_memory > *max_memory_mb)
            *max_memory_mb = (int64_t)n->real_memory;
    }
    slurm_free_node_info_msg(nodes);
    return 0;
}

void slurm_alloc_archs(const slurm_alloc_t *a, char *archs, size_t len,
                       int *max_cpus)
{
    archs[0] = '\0';
    *max_cpus = 0;
    for (size_t i = 0; i < a->nnodes; i++) {
        add_arch(a->nodes[i].features, archs, len);
        if (a->nodes[i].cpus > *max_cpus)
            *max_cpus = a->nodes[i].cpus;
    }
}
