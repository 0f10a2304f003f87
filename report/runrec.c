/* runrec.c - a run's record loaded from its directory (see runrec.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/csv.h"
#include "io/trace.h"
#include "report/runrec.h"

static const char *const state_names[] = {
    "ok", "failed", "timeout", "crashed", "cancelled", "not-run", "ignored"};

const char *runrec_state_name(rstate_t s)
{
    return s < RS_OTHER ? state_names[s] : "other";
}

static rstate_t parse_state(const char *s)
{
    for (int i = 0; i < RS_OTHER; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (rstate_t)i;
    return RS_OTHER;
}

uint64_t runrec_run_ns(const rtask_t *t)
{
    return t->start_ns && t->end_ns >= t->start_ns ? t->end_ns - t->start_ns
                                                   : 0;
}

void runrec_destroy(runrec_t *rr)
{
    int saved = errno;
    if (!rr)
        return;
    for (size_t i = 0; i < rr->nrow; i++)
        free(rr->row[i].message);
    free(rr->row);
    free(rr->lane);
    free(rr->kernel);
    free(rr->edge);
    strtab_destroy(rr->str);
    status_clear(&rr->status);
    free(rr->run_dir);
    free(rr);
    errno = saved;
}

static void note_damaged(runrec_t *rr, size_t n, const char *why)
{
    if (n && !rr->damaged && why)
        snprintf(rr->damaged_why, sizeof(rr->damaged_why), "%s", why);
    rr->damaged += n;
}

/* A row of @p path at @p line skipped because of @p what. */
static void damaged_at(runrec_t *rr, const char *path, size_t line,
                       const char *what)
{
    if (!rr->damaged &&
        snprintf(rr->damaged_why, sizeof(rr->damaged_why), "%s:%zu: %s",
                 path, line, what) >= (int)sizeof(rr->damaged_why))
        rr->damaged_why[sizeof(rr->damaged_why) - 2] = '.'; /* cut */
    rr->damaged++;
}

/* ---- trace.csv ---------------------------------------------------------- */

static int add_row(runrec_t *rr, const trace_row_t *in, size_t *cap)
{
    if (rr->nrow == *cap) {
        size_t c = *cap ? 2 * *cap : 1024;
        rtask_t *r = realloc(rr->row, c * sizeof(*r));
        if (!r)
            return -1;
        rr->row = r;
        *cap = c;
    }
    rtask_t *t = &rr->row[rr->nrow];
    memset(t, 0, sizeof(*t));
    t->task = in->task;
    t->worker = in->worker;
    t->slot = in->slot;
    t->lane = -1;
    t->submit_ns = in->submit_ns;
    t->ready_ns = in->ready_ns;
    t->start_ns = in->start_ns;
    t->end_ns = in->end_ns;
    t->bytes_in = in->bytes_in;
    t->bytes_out = in->bytes_out;
    t->cache_hits = in->cache_hits;
    t->attempt = in->attempt;
    t->state = parse_state(in->state);
    if ((t->name = strtab_intern(rr->str, in->name)) < 0 ||
        (t->kernel = strtab_intern(rr->str, in->kernel)) < 0 ||
        (t->node = strtab_intern(rr->str, in->node)) < 0 ||
        (t->arch = strtab_intern(rr->str, in->arch)) < 0 ||
        (t->state_name = strtab_intern(rr->str, in->state)) < 0 ||
        (in->message[0] && !(t->message = strdup(in->message))))
        return -1;
    rr->nrow++;
    if (t->task > rr->max_task)
        rr->max_task = t->task;
    return 0;
}

static int load_trace(runrec_t *rr, const char *path, tess_error_t *err)
{
    struct stat sb;
    trace_reader_t *r = trace_open(path, err);
    if (!r) {
        /* missing, or created by a run that has not written its header */
        if (errno == ENOENT || (errno == EINVAL && stat(path, &sb) == 0 &&
                                sb.st_size == 0))
            return 0;
        return -1;
    }
    rr->has_trace = true;
    rr->has_submit = trace_has_column(r, "submit_ns");
    bool slots = trace_has_column(r, "slot");
    size_t cap = 0;
    trace_row_t row;
    int rc;
    while ((rc = trace_next(r, &row)) == 1) {
        if (!slots)
            row.slot = -1;
        if (add_row(rr, &row, &cap) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0) {
        tess_errprintf(err, "%s: %s", path, strerror(errno));
        trace_close(r);
        return -1;
    }
    const char *why;
    size_t n = trace_damaged(r, &why);
    note_damaged(rr, n, why);
    rr->torn = trace_torn(r);
    trace_close(r);
    return 0;
}

/* ---- edges.csv ---------------------------------------------------------- */

static int load_edges(runrec_t *rr, const char *path, tess_error_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : tess_errprintf(err, "%s: %s", path,
                                                    strerror(errno));
    csv_reader_t *c = csv_reader_create(f);
    char **fl;
    size_t nf, ncols = 0, cap = 0;
    int col[4] = {-1, -1, -1, -1}, rc;
    static const char *const names[4] = {"from", "to", "data", "version"};
    rr->has_edges = true;
    if (!c) {
        fclose(f);
        return tess_errprintf(err, "%s: out of memory", path);
    }
    if ((rc = csv_next(c, &fl, &nf)) == 1) {
        ncols = nf;
        for (size_t i = 0; i < nf; i++)
            for (int k = 0; k < 4; k++)
                if (strcmp(fl[i], names[k]) == 0 && col[k] < 0)
                    col[k] = (int)i;
        if (col[0] < 0 || col[1] < 0) {
            csv_reader_destroy(c);
            fclose(f);
            errno = EINVAL;
            return tess_errprintf(err, "%s:1: not an edge list (no \"from\" "
                                  "and \"to\" columns)", path);
        }
    }
    while (rc == 1 && (rc = csv_next(c, &fl, &nf)) == 1) {
        char *e1, *e2, *e3 = NULL;
        if (nf != ncols) {
            damaged_at(rr, path, csv_line(c), "a row with another number of "
                       "fields than the header");
            continue;
        }
        errno = 0;
        unsigned long long from = strtoull(fl[col[0]], &e1, 10);
        unsigned long long to = strtoull(fl[col[1]], &e2, 10);
        unsigned long v = col[3] >= 0 ? strtoul(fl[col[3]], &e3, 10) : 0;
        if (errno || *e1 || *e2 || (e3 && *e3) || !from || !to ||
            fl[col[0]][0] == '-' || fl[col[1]][0] == '-') {
            damaged_at(rr, path, csv_line(c), "a task id or version is not a "
                       "number");
            continue;
        }
        if (rr->nedge == cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            redge_t *e = realloc(rr->edge, ncap * sizeof(*e));
            if (!e) {
                rc = -1;
                break;
            }
            rr->edge = e;
            cap = ncap;
        }
        redge_t *e = &rr->edge[rr->nedge];
        e->from = from;
        e->to = to;
        e->version = (uint32_t)v;
        if ((e->data = strtab_intern(rr->str, col[2] >= 0 ? fl[col[2]] : "")) < 0) {
            rc = -1;
            break;
        }
        rr->nedge++;
        if (to > rr->max_task)
            rr->max_task = to;
        if (from > rr->max_task)
            rr->max_task = from;
    }
    int e = errno;
    csv_reader_destroy(c);
    fclose(f);
    if (rc < 0) {
        errno = e;
        return tess_errprintf(err, "%s: %s", path, strerror(e));
    }
    return 0;
}

/* ---- lanes and kernels -------------------------------------------------- */

static const runrec_t *sort_rr; /* qsort has no context argument */

static int by_worker_start(const void *a, const void *b)
{
    const rtask_t *x = &sort_rr->row[*(const size_t *)a];
    const rtask_t *y = &sort_rr->row[*(const size_t *)b];
    if (x->worker != y->worker)
        return x->worker < y->worker ? -1 : 1;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* Slots for rows without one: per worker, each attempt takes the first
 * lane free at its start. */
static int infer_slots(runrec_t *rr)
{
    size_t n = 0, *idx = malloc((rr->nrow + 1) * sizeof(*idx));
    uint64_t *end = NULL;
    size_t nend = 0, cap = 0;
    if (!idx)
        return -1;
    for (size_t i = 0; i < rr->nrow; i++)
        if (rr->row[i].slot < 0 && rr->row[i].worker >= 0 &&
            rr->row[i].start_ns)
            idx[n++] = i;
    sort_rr = rr;
    qsort(idx, n, sizeof(*idx), by_worker_start);
    for (size_t k = 0; k < n; k++) {
        rtask_t *t = &rr->row[idx[k]];
        if (k == 0 || rr->row[idx[k - 1]].worker != t->worker)
            nend = 0;
        size_t s = 0;
        while (s < nend && end[s] > t->start_ns)
            s++;
        if (s == nend) {
            if (nend == cap) {
                size_t c = cap ? 2 * cap : 16;
                uint64_t *e = realloc(end, c * sizeof(*e));
                if (!e) {
                    free(end);
                    free(idx);
                    return -1;
                }
                end = e;
                cap = c;
            }
            nend++;
        }
        end[s] = t->end_ns;
        t->slot = (int32_t)s;
        rr->slots_inferred = true;
    }
    free(end);
    free(idx);
    return 0;
}

static int lane_cmp(const void *a, const void *b)
{
    const rlane_t *x = a, *y = b;
    if (x->worker != y->worker)
        return x->worker < y->worker ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int make_lanes(runrec_t *rr)
{
    rlane_t *l = malloc((rr->nrow + 1) * sizeof(*l));
    size_t n = 0;
    if (!l)
        return -1;
    for (size_t i = 0; i < rr->nrow; i++) {
        const rtask_t *t = &rr->row[i];
        if (t->worker >= 0 && t->start_ns)
            l[n++] = (rlane_t){.worker = t->worker, .slot = t->slot < 0 ? 0 : t->slot,
                               .node = t->node, .arch = t->arch};
    }
    qsort(l, n, sizeof(*l), lane_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || lane_cmp(&l[u - 1], &l[i]) != 0)
            l[u++] = l[i];
    rr->lane = l;
    rr->nlane = u;
    for (size_t i = 0; i < rr->nrow; i++) {
        rtask_t *t = &rr->row[i];
        if (t->worker < 0 || !t->start_ns)
            continue;
        rlane_t key = {.worker = t->worker, .slot = t->slot < 0 ? 0 : t->slot};
        rlane_t *hit = bsearch(&key, l, u, sizeof(*l), lane_cmp);
        t->lane = (int32_t)(hit - l);
        hit->busy_ns += runrec_run_ns(t);
        hit->ntasks++;
    }
    return 0;
}

static int kernel_cmp(const void *a, const void *b)
{
    const rkernel_t *x = a, *y = b;
    if (x->total_ns != y->total_ns)
        return x->total_ns > y->total_ns ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(strtab_get(sort_rr->str, x->name),
                  strtab_get(sort_rr->str, y->name));
}

static int make_kernels(runrec_t *rr)
{
    /* kernel name index -> kernel slot, through a table as large as the
     * string table */
    size_t ns = strtab_count(rr->str);
    int32_t *slot = malloc((ns + 1) * sizeof(*slot));
    rkernel_t *k = calloc(ns + 1, sizeof(*k));
    size_t n = 0;
    if (!slot || !k) {
        free(slot);
        free(k);
        return -1;
    }
    for (size_t i = 0; i < ns; i++)
        slot[i] = -1;
    for (size_t i = 0; i < rr->nrow; i++) {
        rtask_t *t = &rr->row[i];
        if (slot[t->kernel] < 0) {
            slot[t->kernel] = (int32_t)n;
            k[n].name = t->kernel;
            k[n].task_name = t->name;
            n++;
        }
        rkernel_t *kk = &k[slot[t->kernel]];
        uint64_t d = runrec_run_ns(t);
        if (t->start_ns)
            kk->count++;
        kk->total_ns += d;
        if (d > kk->max_ns)
            kk->max_ns = d;
    }
    sort_rr = rr;
    qsort(k, n, sizeof(*k), kernel_cmp);
    for (size_t i = 0; i < n; i++)
        slot[k[i].name] = (int32_t)i;
    for (size_t i = 0; i < rr->nrow; i++)
        rr->row[i].kidx = slot[rr->row[i].kernel];
    free(slot);
    rr->kernel = k;
    rr->nkernel = n;
    while (rr->nkernel_ran < n && k[rr->nkernel_ran].count)
        rr->nkernel_ran++;
    return 0;
}

/* ---- load ---------------------------------------------------------------- */

runrec_t *runrec_load(const char *run_dir, tess_error_t *err)
{
    char path[PATH_MAX];
    struct stat sb;
    int errno_out = 0;
    runrec_t *rr = NULL;

    errno_out = stat(run_dir, &sb) < 0 ? errno
                : !S_ISDIR(sb.st_mode) ? ENOTDIR : 0;
    if (errno_out) {
        tess_errprintf(err, "%s: not a run directory (%s)", run_dir,
                       strerror(errno_out));
        goto error;
    }
    /* named as the run names itself: an absolute path */
    char *abs = realpath(run_dir, NULL);
    if (!(rr = calloc(1, sizeof(*rr))) ||
        !(rr->run_dir = abs ? abs : strdup(run_dir)) ||
        !(rr->str = strtab_create())) {
        if (!rr)
            free(abs);
        errno_out = ENOMEM;
        tess_errprintf(err, "%s: out of memory", run_dir);
        goto error;
    }
    if (status_load(run_dir, &rr->status, err) == 0) {
        rr->has_status = true;
    } else if (errno != ENOENT) {
        errno_out = errno;
        goto error;
    }
    snprintf(path, sizeof(path), "%s/trace.csv", run_dir);
    if (load_trace(rr, path, err) < 0) {
        errno_out = errno;
        goto error;
    }
    snprintf(path, sizeof(path), "%s/edges.csv", run_dir);
    if (load_edges(rr, path, err) < 0) {
        errno_out = errno;
        goto error;
    }
    if (!rr->has_status && !rr->has_trace && !rr->has_edges) {
        errno_out = ENOENT;
        tess_errprintf(err, "%s: not a run directory (no status.txt, "
                       "trace.csv or edges.csv)", run_dir);
        goto error;
    }
    if (infer_slots(rr) < 0 || make_lanes(rr) < 0 || make_kernels(rr) < 0) {
        errno_out = ENOMEM;
        tess_errprintf(err, "%s: out of memory", run_dir);
        goto error;
    }
    for (size_t i = 0; i < rr->nrow; i++) {
        const rtask_t *t = &rr->row[i];
        uint64_t first = t->submit_ns ? t->submit_ns : t->start_ns;
        if (t->start_ns && t->start_ns < first)
            first = t->start_ns;
        if (first && (!rr->t0 || first < rr->t0))
            rr->t0 = first;
        if (t->end_ns > rr->t1)
            rr->t1 = t->end_ns;
    }
    if (rr->t1 < rr->t0)
        rr->t1 = rr->t0;
    return rr;
error:
    runrec_destroy(rr);
    errno = errno_out;
    return NULL;
}

/* ---- the task graph ----------------------------------------------------- */

/* Successors in CSR form (succ[start[u] .. start[u+1]) are u's) and the
 * task ids 1..max_task in a topological order (Kahn's algorithm: ids need
 * not be in submission order; ids on a cycle, which a damaged file could
 * make, are left out). -1 with errno ENOMEM. */
typedef struct graph {
    size_t n;           /* max_task + 1 */
    size_t *start, *succ, *order;
    size_t norder;
} graph_t;

static void graph_free(graph_t *g)
{
    free(g->start);
    free(g->succ);
    free(g->order);
}

static int graph_build(const runrec_t *rr, graph_t *g)
{
    size_t n = rr->max_task + 1, *indeg;
    memset(g, 0, sizeof(*g));
    g->n = n;
    if (!(g->start = calloc(n + 1, sizeof(size_t))) ||
        !(g->succ = malloc((rr->nedge + 1) * sizeof(size_t))) ||
        !(g->order = malloc(n * sizeof(size_t))) ||
        !(indeg = calloc(n, sizeof(size_t)))) {
        graph_free(g);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < rr->nedge; i++)
        g->start[rr->edge[i].from + 1]++;
    for (size_t i = 0; i < n; i++)
        g->start[i + 1] += g->start[i];
    for (size_t i = 0; i < rr->nedge; i++) {
        g->succ[g->start[rr->edge[i].from]++] = rr->edge[i].to;
        indeg[rr->edge[i].to]++;
    }
    for (size_t i = n; i > 0; i--) /* the fill moved each start to the end */
        g->start[i] = g->start[i - 1];
    g->start[0] = 0;
    size_t tail = 0;
    for (size_t i = 1; i < n; i++)
        if (!indeg[i])
            g->order[tail++] = i;
    for (size_t head = 0; head < tail; head++) {
        size_t u = g->order[head];
        for (size_t k = g->start[u]; k < g->start[u + 1]; k++)
            if (--indeg[g->succ[k]] == 0)
                g->order[tail++] = g->succ[k];
    }
    g->norder = tail;
    free(indeg);
    return 0;
}

int runrec_critical_path(const runrec_t *rr, uint64_t *len_ns,
                         size_t *ntasks, bool **on_path)
{
    uint64_t *w = NULL, *dist = NULL, *pred = NULL;
    bool *path = NULL;
    graph_t g;
    int rc = -1;

    if (on_path)
        *on_path = NULL;
    if (!rr->has_edges) {
        errno = ENOENT;
        return -1;
    }
    if (graph_build(rr, &g) < 0)
        return -1;
    size_t n = g.n;
    if (!(w = calloc(n, sizeof(*w))) || !(dist = calloc(n, sizeof(*dist))) ||
        !(pred = calloc(n, sizeof(*pred))) ||
        (on_path && !(path = calloc(n, sizeof(*path))))) {
        errno = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < rr->nrow; i++)
        w[rr->row[i].task] += runrec_run_ns(&rr->row[i]);
    uint64_t best = 0, best_task = 0;
    for (size_t i = 0; i < g.norder; i++) {
        size_t u = g.order[i];
        dist[u] += w[u]; /* the longest chain into u, then u itself */
        if (dist[u] > best || !best_task) {
            best = dist[u];
            best_task = u;
        }
        for (size_t k = g.start[u]; k < g.start[u + 1]; k++) {
            size_t v = g.succ[k];
            if (!pred[v] || dist[u] > dist[v]) {
                dist[v] = dist[u];
                pred[v] = u;
            }
        }
    }
    *len_ns = best;
    *ntasks = 0;
    for (uint64_t t = best_task; t && *ntasks < n; t = pred[t]) {
        (*ntasks)++;
        if (path)
            path[t] = true;
    }
    if (on_path)
        *on_path = path;
    path = NULL;
    rc = 0;
out:
    free(w);
    free(dist);
    free(pred);
    free(path);
    graph_free(&g);
    return rc;
}

int runrec_levels(const runrec_t *rr, uint32_t **level, uint32_t *nlevels)
{
    graph_t g;
    uint32_t *lv;
    *level = NULL;
    *nlevels = 0;
    if (graph_build(rr, &g) < 0)
        return -1;
    if (!(lv = calloc(g.n, sizeof(*lv)))) {
        graph_free(&g);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < g.norder; i++) {
        size_t u = g.order[i];
        if (lv[u] + 1 > *nlevels)
            *nlevels = lv[u] + 1;
        for (size_t k = g.start[u]; k < g.start[u + 1]; k++)
            if (lv[g.succ[k]] < lv[u] + 1)
                lv[g.succ[k]] = lv[u] + 1;
    }
    graph_free(&g);
    *level = lv;
    return 0;
}
