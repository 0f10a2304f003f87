/* slurm_alloc.c - from libslurm: the allocation (nodes, CPUs, features,
 * end) and the cluster (nodes, partitions, reservations, TaskPlugin). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The node as Tessera describes it. */
static void fill_node(slurm_alloc_node_t *an, const node_info_t *ni)
{
    memset(an, 0, sizeof(*an));
    snprintf(an->name, sizeof(an->name), "%s", ni->name ? ni->name : "");
    an->cpus = ni->cpus;
    an->memory_mb = (long)ni->real_memory;
    snprintf(an->features, sizeof(an->features), "%s",
             ni->features ? ni->features : "");
}

/* TaskPlugin of the cluster's configuration: 1 if srun binds CPUs. */
static int load_binds_cpus(void)
{
    slurm_conf_t *conf = NULL;
    if (slurm_load_ctl_conf(0, &conf) != SLURM_SUCCESS || !conf)
        return 1; /* unknown: what srun does with most configurations */
    int b = slurm_alloc_binds_cpus(conf->task_plugin);
    slurm_free_ctl_conf(conf);
    return b;
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
    a->binds_cpus = load_binds_cpus();
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
        if (ni)
            fill_node(an, ni);
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

char *slurm_alloc_node_arch(const slurm_alloc_node_t *node, char *buf,
                            size_t len)
{
    if (!namelist_first(node->features, buf, len)[0])
        snprintf(buf, len, "default");
    return buf;
}

void slurm_alloc_archs(const slurm_alloc_t *a, char *archs, size_t len,
                       int *max_cpus)
{
    archs[0] = '\0';
    *max_cpus = 0;
    for (size_t i = 0; i < a->nnodes; i++) {
        char arch[64];
        namelist_add(archs, len, slurm_alloc_node_arch(&a->nodes[i], arch,
                                                       sizeof(arch)));
        if (a->nodes[i].cpus > *max_cpus)
            *max_cpus = a->nodes[i].cpus;
    }
}

int slurm_alloc_binds_cpus(const char *task_plugin)
{
    /* srun's own test (src/common/slurm_resource_info.c): only the exact
     * "task/none" lacks binding; an unset TaskPlugin does not. */
    return !task_plugin || strcmp(task_plugin, "task/none") != 0;
}

int slurm_alloc_cluster_select(const slurm_alloc_cluster_t *c,
                               const char *hosts, unsigned char *member,
                               tess_error_t *err)
{
    hostlist_t hl = slurm_hostlist_create(hosts);
    if (!hl) {
        errno = EINVAL;
        return tess_errprintf(err, "'%s' is not a Slurm host list", hosts);
    }
    char *h;
    int rc = 0;
    while (rc == 0 && (h = slurm_hostlist_shift(hl)) != NULL) {
        size_t i = 0;
        while (i < c->nnodes && strcmp(c->nodes[i].name, h) != 0)
            i++;
        if (i == c->nnodes) {
            errno = EINVAL;
            rc = tess_errprintf(err, "'%s' is not a node of the cluster", h);
        } else {
            member[i] = 1;
        }
        free(h);
    }
    slurm_hostlist_destroy(hl);
    return rc;
}

/* Limits of Slurm (INFINITE, NO_VAL) as Tessera's. */
static uint32_t limit(uint32_t v)
{
    return v == INFINITE || v == NO_VAL ? SLURM_ALLOC_UNLIMITED : v;
}

/* member of c->nnodes bytes for the host list hosts ("ALL": every node);
 * NULL (errno ENOMEM) or with err filled (EINVAL). */
static unsigned char *members(const slurm_alloc_cluster_t *c,
                              const char *hosts, tess_error_t *err)
{
    unsigned char *m = calloc(c->nnodes ? c->nnodes : 1, 1);
    if (!m) {
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    if (hosts && strcmp(hosts, "ALL") == 0)
        memset(m, 1, c->nnodes);
    else if (hosts && *hosts && slurm_alloc_cluster_select(c, hosts, m,
                                                           err) < 0) {
        free(m);
        return NULL;
    }
    return m;
}

/* libslurm ends the process (fatal()) when it finds no configuration:
 * look first where it looks (SLURM_CONF, the default file, the copy a
 * configless slurmd keeps); only its DNS SRV lookup is not tried. */
static int have_config(tess_error_t *err)
{
    const char *conf = getenv("SLURM_CONF");
    if (conf && *conf)
        return access(conf, R_OK) == 0 ? 0
               : tess_errprintf(err, "SLURM_CONF=%s: %s", conf,
                                strerror(errno));
    if (access("/etc/slurm/slurm.conf", R_OK) == 0 ||
        access("/run/slurm/conf/slurm.conf", R_OK) == 0)
        return 0;
    return tess_errprintf(err, "no Slurm configuration (SLURM_CONF unset, "
                          "no /etc/slurm/slurm.conf)");
}

int slurm_alloc_cluster_load(slurm_alloc_cluster_t *c, tess_error_t *err)
{
    node_info_msg_t *nodes = NULL;
    partition_info_msg_t *parts = NULL;
    reserve_info_msg_t *resvs = NULL;
    memset(c, 0, sizeof(*c));
    if (have_config(err) < 0) {
        errno = ENOENT;
        return -1;
    }
    init_once();
    if (slurm_load_node(0, &nodes, SHOW_ALL) != SLURM_SUCCESS ||
        slurm_load_partitions(0, &parts, SHOW_ALL) != SLURM_SUCCESS ||
        slurm_load_reservations(0, &resvs) != SLURM_SUCCESS) {
        int e = slurm_get_errno();
        tess_errprintf(err, "Slurm: cannot load the cluster's nodes, "
                       "partitions and reservations: %s", slurm_strerror(e));
        goto error;
    }
    c->nodes = calloc(nodes->record_count + 1, sizeof(*c->nodes));
    c->parts = calloc(parts->record_count + 1, sizeof(*c->parts));
    c->resvs = calloc(resvs->record_count + 1, sizeof(*c->resvs));
    if (!c->nodes || !c->parts || !c->resvs) {
        tess_errprintf(err, "out of memory");
        goto error;
    }
    for (uint32_t i = 0; i < nodes->record_count; i++)
        if (nodes->node_array[i].name)
            fill_node(&c->nodes[c->nnodes++], &nodes->node_array[i]);
    for (uint32_t i = 0; i < parts->record_count; i++) {
        const partition_info_t *pi = &parts->partition_array[i];
        slurm_alloc_part_t *p = &c->parts[c->nparts];
        snprintf(p->name, sizeof(p->name), "%s", pi->name ? pi->name : "");
        p->is_default = (pi->flags & PART_FLAG_DEFAULT) != 0;
        p->max_time = limit(pi->max_time);
        p->min_nodes = pi->min_nodes == NO_VAL ? 0 : pi->min_nodes;
        p->max_nodes = limit(pi->max_nodes);
        if (!(p->member = members(c, pi->nodes, err)))
            goto error;
        c->nparts++;
    }
    for (uint32_t i = 0; i < resvs->record_count; i++) {
        const reserve_info_t *ri = &resvs->reservation_array[i];
        slurm_alloc_resv_t *r = &c->resvs[c->nresvs];
        snprintf(r->name, sizeof(r->name), "%s", ri->name ? ri->name : "");
        if (!(r->member = members(c, ri->node_list, err)))
            goto error;
        c->nresvs++;
    }
    c->binds_cpus = load_binds_cpus();
    slurm_free_node_info_msg(nodes);
    slurm_free_partition_info_msg(parts);
    slurm_free_reservation_info_msg(resvs);
    return 0;
error:
    if (nodes)
        slurm_free_node_info_msg(nodes);
    if (parts)
        slurm_free_partition_info_msg(parts);
    if (resvs)
        slurm_free_reservation_info_msg(resvs);
    slurm_alloc_cluster_free(c);
    errno = EIO;
    return -1;
}

void slurm_alloc_cluster_free(slurm_alloc_cluster_t *c)
{
    if (!c)
        return;
    int e = errno;
    for (size_t i = 0; i < c->nparts; i++)
        free(c->parts[i].member);
    for (size_t i = 0; i < c->nresvs; i++)
        free(c->resvs[i].member);
    free(c->nodes);
    free(c->parts);
    free(c->resvs);
    memset(c, 0, sizeof(*c));
    errno = e;
}
