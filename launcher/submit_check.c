/*
 * submit_check.c - what `tessera submit` can prove about a job before it
 * is queued, from the cluster's partitions, nodes and reservations:
 *
 * - that it could never start (exit 2): more nodes than the partition
 *   allows (MaxNodes, MinNodes) or holds, a --time above its MaxTime, too
 *   few nodes with the --constraint features, named nodes it cannot get;
 * - which architectures its workers may have (any node Slurm may choose),
 *   so that a task no such node can run is refused;
 * - which architectures some worker is sure to have, whichever nodes Slurm
 *   chooses: a node named with --nodelist, a feature asked with a count
 *   (--constraint 'mic*1') whose nodes all have that architecture, or
 *   fewer nodes without it than workers (pigeonhole). A task needing an
 *   architecture that is possible but not sure may find no worker: the
 *   job would fail at start-up after its wait in the queue.
 *
 * With several partitions (--partition a,b) Slurm takes any in which the
 * job fits: possible architectures are those of any, sure ones those of
 * all. A --constraint with OR or groups is not modelled: only its node
 * counts are checked, and nothing is sure.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/namelist.h"
#include "launcher/submit.h"

#define MAX_TERMS 16
#define MAX_PARTS 32

enum { CON_NONE, CON_ALL, CON_COUNT, CON_OTHER };

/* One feature of --constraint; count 0: every node must have it. */
typedef struct term {
    char name[64];
    int count;
} term_t;

typedef struct ctx {
    const slurm_alloc_cluster_t *c;
    const submit_opts_t *o;
    int kind;
    term_t terms[MAX_TERMS];
    int nterms;
    const slurm_alloc_part_t *parts[MAX_PARTS]; /* NULL: no partition */
    size_t nparts;
    const slurm_alloc_resv_t *resv;
    unsigned char *excluded, *forced, *cand; /* c->nnodes each */
    size_t nforced, ncand;
    int workers; /* nodes that get a worker: min(-n, --nodes) */
} ctx_t;

/* --constraint: "F" or "F&G" (every node has them all: CON_ALL), "F*K" or
 * "[F*K&G*L]" (at least K nodes have F: CON_COUNT); OR, groups and the
 * rest: CON_OTHER. */
static int parse_constraint(const char *s, term_t *t, int *n)
{
    *n = 0;
    if (!s)
        return CON_NONE;
    size_t len = strlen(s);
    int bracket = len >= 2 && s[0] == '[' && s[len - 1] == ']';
    const char *p = s + bracket, *end = s + len - bracket;
    int counted = 0;
    while (p < end) {
        size_t k = strcspn(p, "&");
        if (p + k > end)
            k = (size_t)(end - p);
        if (*n == MAX_TERMS || k == 0 || k >= sizeof(t->name))
            return CON_OTHER;
        term_t *tt = &t[(*n)++];
        memcpy(tt->name, p, k);
        tt->name[k] = '\0';
        tt->count = 0;
        char *star = strchr(tt->name, '*');
        if (star) {
            char *e;
            long cnt = strtol(star + 1, &e, 10);
            if (e == star + 1 || *e || cnt < 1 || cnt > 1 << 20)
                return CON_OTHER;
            *star = '\0';
            tt->count = (int)cnt;
            counted++;
        }
        if (!tt->name[0] || strpbrk(tt->name, "|()[]*,"))
            return CON_OTHER;
        p += k + 1;
    }
    if (*n == 0)
        return CON_OTHER;
    if (counted == 0)
        return bracket ? CON_OTHER : CON_ALL;
    if (counted != *n || (*n > 1 && !bracket))
        return CON_OTHER;
    return CON_COUNT;
}

static const char *arch_of(const ctx_t *x, size_t i, char *buf, size_t len)
{
    return slurm_alloc_node_arch(&x->c->nodes[i], buf, len);
}

/* The names of the nodes set in m, ','-separated (at most a few). */
static const char *names(const ctx_t *x, const unsigned char *m, char *buf,
                         size_t len)
{
    size_t off = 0, shown = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < x->c->nnodes && off < len; i++) {
        if (!m[i])
            continue;
        if (shown++ == 8) {
            snprintf(buf + off, len - off, ",...");
            break;
        }
        off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
                                x->c->nodes[i].name);
    }
    return buf;
}

static void fmt_minutes(uint32_t m, char *buf, size_t len)
{
    if (m >= 1440)
        snprintf(buf, len, "%u-%02u:%02u:00", m / 1440, m / 60 % 24, m % 60);
    else
        snprintf(buf, len, "%02u:%02u:00", m / 60, m % 60);
}

static void ctx_fini(ctx_t *x)
{
    free(x->excluded);
    free(x->forced);
    free(x->cand);
}

/* The partitions, reservation and named nodes of the request. */
static int ctx_init(ctx_t *x, const slurm_alloc_cluster_t *c,
                    const submit_opts_t *o, tess_error_t *err)
{
    memset(x, 0, sizeof(*x));
    x->c = c;
    x->o = o;
    x->kind = parse_constraint(o->constraint, x->terms, &x->nterms);
    x->workers = o->wf.workers < 0 || o->wf.workers > o->nodes
                     ? o->nodes : o->wf.workers;
    size_t n = c->nnodes ? c->nnodes : 1;
    x->excluded = calloc(n, 1);
    x->forced = calloc(n, 1);
    x->cand = calloc(n, 1);
    if (!x->excluded || !x->forced || !x->cand) {
        errno = ENOMEM;
        return tess_errprintf(err, "out of memory");
    }
    if (o->partition) {
        for (const char *p = o->partition; *p;) {
            size_t k = strcspn(p, ",");
            size_t i = 0;
            while (i < c->nparts && (strlen(c->parts[i].name) != k ||
                                     strncmp(c->parts[i].name, p, k) != 0))
                i++;
            if (i == c->nparts || x->nparts == MAX_PARTS) {
                errno = EINVAL;
                return tess_errprintf(err, "--partition: the cluster has no "
                                      "partition '%.*s'", (int)k, p);
            }
            x->parts[x->nparts++] = &c->parts[i];
            p += k + (p[k] == ',');
        }
    } else {
        for (size_t i = 0; i < c->nparts && x->nparts < MAX_PARTS; i++)
            if (c->parts[i].is_default)
                x->parts[x->nparts++] = &c->parts[i];
        if (x->nparts == 0)
            x->parts[x->nparts++] = NULL; /* sbatch will say */
    }
    if (o->reservation) {
        for (size_t i = 0; i < c->nresvs; i++)
            if (strcmp(c->resvs[i].name, o->reservation) == 0)
                x->resv = &c->resvs[i];
        if (!x->resv) {
            errno = EINVAL;
            return tess_errprintf(err, "--sbatch --reservation: the cluster "
                                  "has no reservation '%s'", o->reservation);
        }
    }
    tess_error_t e;
    if (o->exclude && slurm_alloc_cluster_select(c, o->exclude, x->excluded,
                                                 &e) < 0) {
        errno = EINVAL;
        return tess_errprintf(err, "--sbatch --exclude: %s", e.text);
    }
    /* a --nodelist naming a file is not read here */
    if (o->nodelist && !strchr(o->nodelist, '/') &&
        slurm_alloc_cluster_select(c, o->nodelist, x->forced, &e) < 0) {
        errno = EINVAL;
        return tess_errprintf(err, "--sbatch --nodelist: %s", e.text);
    }
    for (size_t i = 0; i < c->nnodes; i++)
        x->nforced += x->forced[i];
    if (x->nforced > (size_t)o->nodes) {
        errno = EINVAL;
        return tess_errprintf(err, "--sbatch --nodelist names %zu nodes, "
                              "more than --nodes %d", x->nforced, o->nodes);
    }
    /* A feature no node has makes every partition impossible. */
    for (int t = 0; x->kind != CON_OTHER && t < x->nterms; t++) {
        size_t i = 0;
        while (i < c->nnodes &&
               !slurm_alloc_node_has(&c->nodes[i], x->terms[t].name))
            i++;
        if (i == c->nnodes) {
            errno = EINVAL;
            return tess_errprintf(err, "--constraint %s: no node of the "
                                  "cluster has feature '%s'; the job could "
                                  "never start", o->constraint,
                                  x->terms[t].name);
        }
    }
    return 0;
}

static int has_all(const ctx_t *x, size_t i)
{
    for (int t = 0; t < x->nterms; t++)
        if (!slurm_alloc_node_has(&x->c->nodes[i], x->terms[t].name))
            return 0;
    return 1;
}

/* The nodes the job may get in partition p into x->cand; 0 if the job
 * fits there, else -1 with err saying why not. */
static int ctx_part(ctx_t *x, const slurm_alloc_part_t *p, tess_error_t *err)
{
    const submit_opts_t *o = x->o;
    const char *pn = p ? p->name : "(none)";
    char buf[256], lim[32];
    if (p && p->max_time != SLURM_ALLOC_UNLIMITED &&
        (o->minutes == 0 || (uint32_t)o->minutes > p->max_time)) {
        fmt_minutes(p->max_time, lim, sizeof(lim));
        errno = EINVAL;
        return tess_errprintf(err, "--time %s is above the time limit of "
                              "partition '%s' (MaxTime %s)", o->time_arg, pn,
                              lim);
    }
    if (p && p->max_nodes != SLURM_ALLOC_UNLIMITED &&
        (uint32_t)o->nodes > p->max_nodes) {
        errno = EINVAL;
        return tess_errprintf(err, "--nodes %d is above the node limit of "
                              "partition '%s' (MaxNodes %u)", o->nodes, pn,
                              p->max_nodes);
    }
    if (p && (uint32_t)o->nodes < p->min_nodes) {
        errno = EINVAL;
        return tess_errprintf(err, "--nodes %d is below the minimum of "
                              "partition '%s' (MinNodes %u)", o->nodes, pn,
                              p->min_nodes);
    }
    x->ncand = 0;
    for (size_t i = 0; i < x->c->nnodes; i++) {
        const char *why = p && !p->member[i] ? "not in the partition"
                          : x->excluded[i]   ? "excluded"
                          : x->resv && !x->resv->member[i]
                              ? "not in the reservation"
                          : x->kind == CON_ALL && !has_all(x, i)
                              ? "without the --constraint features"
                              : NULL;
        x->cand[i] = why == NULL;
        x->ncand += x->cand[i];
        if (why && x->forced[i]) {
            errno = EINVAL;
            return tess_errprintf(err, "--sbatch --nodelist: node %s is %s "
                                  "(partition '%s')", x->c->nodes[i].name,
                                  why, pn);
        }
    }
    if (x->ncand < (size_t)o->nodes) {
        errno = EINVAL;
        return tess_errprintf(err, "--nodes %d: the job can get only %zu "
                              "node%s of partition '%s'%s%s%s%s%s (%s); it "
                              "could never start", o->nodes, x->ncand,
                              x->ncand == 1 ? "" : "s", pn,
                              x->kind == CON_ALL ? " with --constraint " : "",
                              x->kind == CON_ALL ? o->constraint : "",
                              x->resv ? " in reservation " : "",
                              x->resv ? x->resv->name : "",
                              o->exclude ? " not excluded" : "",
                              names(x, x->cand, buf, sizeof(buf)));
    }
    for (int t = 0; x->kind == CON_COUNT && t < x->nterms; t++) {
        const term_t *tt = &x->terms[t];
        size_t have = 0;
        for (size_t i = 0; i < x->c->nnodes; i++)
            have += x->cand[i] &&
                    slurm_alloc_node_has(&x->c->nodes[i], tt->name);
        if (tt->count > o->nodes || have < (size_t)tt->count) {
            errno = EINVAL;
            return tess_errprintf(err, "--constraint %s: %d node%s with "
                                  "feature '%s' asked, but %s %zu of "
                                  "partition '%s'; it could never start",
                                  o->constraint, tt->count,
                                  tt->count == 1 ? "" : "s", tt->name,
                                  tt->count > o->nodes ? "--nodes is"
                                                       : "the job can get",
                                  tt->count > o->nodes ? (size_t)o->nodes
                                                       : have, pn);
        }
    }
    return 0;
}

/* Candidates (x->cand) not of architecture arch. */
static size_t count_other(const ctx_t *x, const char *arch)
{
    size_t n = 0;
    char a[64];
    for (size_t i = 0; i < x->c->nnodes; i++)
        n += x->cand[i] && strcmp(arch_of(x, i, a, sizeof(a)), arch) != 0;
    return n;
}

/* The node of the candidates that proves a worker of arch, or -1. */
static long sure_by(const ctx_t *x, const char *arch)
{
    char a[64];
    if (x->workers < x->o->nodes)
        return -1; /* some nodes get no worker: none is sure to */
    for (size_t i = 0; i < x->c->nnodes; i++)
        if (x->forced[i] && strcmp(arch_of(x, i, a, sizeof(a)), arch) == 0)
            return (long)i;
    for (int t = 0; x->kind == CON_COUNT && t < x->nterms; t++) {
        long first = -1;
        int all = 1;
        for (size_t i = 0; i < x->c->nnodes; i++) {
            if (!x->cand[i] ||
                !slurm_alloc_node_has(&x->c->nodes[i], x->terms[t].name))
                continue;
            if (strcmp(arch_of(x, i, a, sizeof(a)), arch) != 0)
                all = 0;
            else if (first < 0)
                first = (long)i;
        }
        if (all && first >= 0)
            return first;
    }
    return -1;
}

/* What the workers of the job may have and are sure to have, in the
 * partition of x->cand. */
static void ctx_fit(const ctx_t *x, submit_fit_t *f)
{
    memset(f, 0, sizeof(*f));
    f->sure_known = x->kind != CON_OTHER;
    for (size_t i = 0; i < x->c->nnodes; i++) {
        if (!x->cand[i])
            continue;
        char a[64];
        namelist_add(f->archs, sizeof(f->archs), arch_of(x, i, a, sizeof(a)));
        if (x->c->nodes[i].cpus > f->max_cpus)
            f->max_cpus = x->c->nodes[i].cpus;
        if (x->c->nodes[i].memory_mb > f->max_memory_mb)
            f->max_memory_mb = x->c->nodes[i].memory_mb;
    }
    if (x->o->wf.workers == 0) {
        /* -n 0: the tasks run in the tessera process, as on a laptop */
        snprintf(f->archs, sizeof(f->archs), "default");
        snprintf(f->sure, sizeof(f->sure), "default");
        return;
    }
    for (size_t i = 0; i < x->c->nnodes; i++) {
        char a[64];
        if (!x->cand[i] || namelist_contains(f->sure, arch_of(x, i, a,
                                                                sizeof(a))))
            continue;
        if (count_other(x, a) < (size_t)x->workers || sure_by(x, a) >= 0)
            namelist_add(f->sure, sizeof(f->sure), a);
    }
}

/* Add the items of list to acc (union), or keep those of acc in list. */
static void merge(char *acc, size_t len, const char *list, int unite)
{
    char keep[256] = "", item[64];
    const char *src = unite ? list : acc;
    for (const char *p = src; *p;) {
        size_t k = strcspn(p, ",");
        snprintf(item, sizeof(item), "%.*s", (int)k, p);
        if (unite)
            namelist_add(acc, len, item);
        else if (namelist_contains(list, item))
            namelist_add(keep, sizeof(keep), item);
        p += k + (p[k] == ',');
    }
    if (!unite)
        snprintf(acc, len, "%s", keep);
}

int submit_check(const slurm_alloc_cluster_t *c, const submit_opts_t *o,
                 submit_fit_t *fit, tess_error_t *err)
{
    ctx_t x;
    memset(fit, 0, sizeof(*fit));
    if (ctx_init(&x, c, o, err) < 0) {
        ctx_fini(&x);
        return -1;
    }
    char why[sizeof(err->text)] = "";
    int fits = 0;
    for (size_t k = 0; k < x.nparts; k++) {
        tess_error_t e;
        if (ctx_part(&x, x.parts[k], &e) < 0) {
            /* every partition's reason, "; "-separated, cut to fit */
            size_t off = strlen(why);
            const char *add[2] = {off ? "; " : "", e.text};
            for (int j = 0; j < 2; j++)
                for (const char *q = add[j]; *q && off + 1 < sizeof(why); q++)
                    why[off++] = *q;
            why[off] = '\0';
            continue;
        }
        submit_fit_t f;
        ctx_fit(&x, &f);
        merge(fit->archs, sizeof(fit->archs), f.archs, 1);
        if (fits++ == 0)
            snprintf(fit->sure, sizeof(fit->sure), "%s", f.sure);
        else
            merge(fit->sure, sizeof(fit->sure), f.sure, 0);
        fit->sure_known = fits == 1 ? f.sure_known
                                    : fit->sure_known && f.sure_known;
        if (f.max_cpus > fit->max_cpus)
            fit->max_cpus = f.max_cpus;
        if (f.max_memory_mb > fit->max_memory_mb)
            fit->max_memory_mb = f.max_memory_mb;
    }
    ctx_fini(&x);
    if (!fits) {
        errno = EINVAL;
        return tess_errprintf(err, "%s", why);
    }
    return 0;
}

void submit_check_advice(const slurm_alloc_cluster_t *c,
                         const submit_opts_t *o, const char *arch,
                         char *buf, size_t len)
{
    ctx_t x;
    tess_error_t e;
    snprintf(buf, len, "the job may get no worker of architecture '%s'",
             arch);
    if (ctx_init(&x, c, o, &e) < 0) {
        ctx_fini(&x);
        return;
    }
    for (size_t k = 0; k < x.nparts; k++) {
        submit_fit_t f;
        if (ctx_part(&x, x.parts[k], &e) < 0)
            continue;
        ctx_fit(&x, &f);
        if (namelist_contains(f.sure, arch))
            continue;
        const char *pn = x.parts[k] ? x.parts[k]->name : "(none)";
        size_t other = count_other(&x, arch), off;
        if (x.workers < o->nodes) {
            off = (size_t)snprintf(buf, len, "with -n %d only %d of the %d "
                                   "nodes get a worker (the first ones of "
                                   "the allocation), perhaps none of "
                                   "architecture '%s': give every node one "
                                   "(-n %d or more)", o->wf.workers,
                                   x.workers, o->nodes, arch, o->nodes);
        } else {
            off = (size_t)snprintf(buf, len, "Slurm may choose %d nodes none "
                                   "of which is '%s': %zu of the %zu nodes "
                                   "the job can get in partition '%s' are "
                                   "not", o->nodes, arch, other, x.ncand, pn);
        }
        if (off >= len || other < (size_t)o->nodes)
            break;
        /* What makes a node of arch sure: a counted feature if every node
         * with that feature is of that architecture, else naming one. */
        long first = -1;
        int feature_is_arch = 1;
        char a[64];
        for (size_t i = 0; i < c->nnodes; i++) {
            int is = x.cand[i] &&
                     strcmp(arch_of(&x, i, a, sizeof(a)), arch) == 0;
            if (is && first < 0)
                first = (long)i;
            if (x.cand[i] && slurm_alloc_node_has(&c->nodes[i], arch) && !is)
                feature_is_arch = 0;
        }
        if (x.kind == CON_NONE && feature_is_arch && first >= 0 &&
            slurm_alloc_node_has(&c->nodes[first], arch))
            snprintf(buf + off, len - off, "; to be sure of one: "
                     "--constraint '%s*1'", arch);
        else if (first >= 0)
            snprintf(buf + off, len - off, "; to be sure of one, name it: "
                     "--sbatch --nodelist=%s", c->nodes[first].name);
        break;
    }
    ctx_fini(&x);
}
