/* dagdot.c - the executed task graph in Graphviz dot (see dagdot.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/dagdot.h"
#include "report/escape.h"
#include "report/fmt.h"
#include "report/outfile.h"
#include "report/palette.h"

#define NS 1e-9
#define MAX_GROUPS 60

/* Final states of a task in the picture. */
enum { F_PENDING, F_OK, F_FAILED, F_NOT_RUN };

/* What the picture needs of each task id. */
typedef struct tinfo {
    int32_t kidx;    /* -1: never ran (no row, or not started) */
    int32_t row;     /* its last attempt's row, -1 if none */
    uint8_t fstate;
    bool present;
    uint64_t run_ns;
} tinfo_t;

static tinfo_t *task_info(const runrec_t *rr)
{
    tinfo_t *ti = calloc(rr->max_task + 1, sizeof(*ti));
    if (!ti)
        return NULL;
    for (size_t i = 0; i <= rr->max_task; i++) {
        ti[i].kidx = -1;
        ti[i].row = -1;
    }
    for (size_t i = 0; i < rr->nedge; i++)
        ti[rr->edge[i].from].present = ti[rr->edge[i].to].present = true;
    for (size_t i = 0; i < rr->nrow; i++) {
        const rtask_t *t = &rr->row[i];
        tinfo_t *x = &ti[t->task];
        x->present = true;
        x->run_ns += runrec_run_ns(t);
        if (t->start_ns)
            x->kidx = t->kidx;
        if (x->fstate == F_OK)
            continue; /* a later failed row cannot undo a success */
        if (x->row < 0 || t->attempt >= rr->row[x->row].attempt || t->state == RS_OK) {
            x->row = (int32_t)i;
            x->fstate = t->state == RS_OK ? F_OK
                        : t->state == RS_CANCELLED || t->state == RS_NOT_RUN
                            ? F_NOT_RUN : F_FAILED;
        }
    }
    return ti;
}

static void legend(FILE *f, const runrec_t *rr, bool pending)
{
    char col[8];
    fputs("  legend [shape=plain, fixedsize=false, style=\"\", label=<<table border=\"0\" cellborder=\"0\" "
          "cellspacing=\"2\" cellpadding=\"2\"><tr><td colspan=\"2\" "
          "align=\"left\"><b>kernels</b></td></tr>", f);
    for (size_t k = 0; k < rr->nkernel_ran; k++) {
        fprintf(f, "<tr><td bgcolor=\"%s\" width=\"14\"> </td><td "
                "align=\"left\">", palette_colour(k, col));
        escape_xml(f, strtab_get(rr->str, rr->kernel[k].name));
        fprintf(f, " (%zu)</td></tr>", rr->kernel[k].count);
    }
    fprintf(f, "<tr><td border=\"2\" color=\"%s\" width=\"14\"> </td><td "
            "align=\"left\">failed</td></tr>", PALETTE_FAILED);
    if (pending)
        fputs("<tr><td border=\"1\" style=\"dashed\" width=\"14\"> </td><td "
              "align=\"left\">did not run (yet)</td></tr>", f);
    fputs("</table>>];\n", f);
}

static void head(FILE *f, const runrec_t *rr, const char *what)
{
    fputs("digraph tessera {\n  graph [rankdir=TB, fontname=\"Helvetica\", "
          "fontsize=12, labelloc=t, label=\"", f);
    escape_dot(f, rr->has_status && rr->status.workflow[0] ? rr->status.workflow
                                                        : rr->run_dir);
    fputs(": ", f);
    fputs(what, f);
    fputs("\"];\n  edge [color=\"#777777\", arrowsize=0.6, "
          "fontname=\"Helvetica\", fontsize=8];\n", f);
}

static long write_tasks(FILE *f, const runrec_t *rr, const tinfo_t *ti,
                        const bool *crit, size_t ntasks)
{
    char what[256], col[8], a[32], d[32];
    long nodes = 0;
    bool pending = false;
    snprintf(what, sizeof(what), "%zu tasks, %zu dependences%s", ntasks,
             rr->nedge, crit ? "; critical path in bold" : "");
    head(f, rr, what);
    fputs("  node [shape=circle, style=filled, fixedsize=true, width=0.42, "
          "fontname=\"Helvetica\", fontsize=10, penwidth=0.8];\n", f);
    for (size_t id = 1; id <= rr->max_task; id++) {
        const tinfo_t *x = &ti[id];
        if (!x->present)
            continue;
        nodes++;
        fprintf(f, "  t%zu [label=\"%zu\"", id, id);
        if (x->kidx >= 0)
            fprintf(f, ", fillcolor=\"%s\", fontcolor=\"%s\"",
                    palette_colour((size_t)x->kidx, col),
                    palette_text_colour((size_t)x->kidx));
        else
            fputs(", fillcolor=\"#ffffff\"", f);
        if (x->fstate == F_FAILED)
            fprintf(f, ", color=\"%s\", penwidth=3", PALETTE_FAILED);
        else if (x->fstate == F_NOT_RUN || x->fstate == F_PENDING || x->kidx < 0) {
            fputs(", style=\"filled,dashed\"", f);
            pending = true;
        } else if (crit && crit[id])
            fputs(", penwidth=2.5", f);
        fprintf(f, ", tooltip=\"task %zu", id);
        if (x->row >= 0) {
            const rtask_t *t = &rr->row[x->row];
            fputs(": ", f);
            escape_dot(f, strtab_get(rr->str, t->name));
            fputs("\\nkernel ", f);
            escape_dot(f, strtab_get(rr->str, t->kernel));
            if (t->worker >= 0) {
                fprintf(f, "\\nworker %d (", t->worker);
                escape_dot(f, strtab_get(rr->str, t->node));
                fprintf(f, ") slot %d\\nstarted at +%s, ran %s", t->slot,
                        fmt_duration(a, sizeof(a), t->start_ns > rr->t0
                                     ? (double)(t->start_ns - rr->t0) * NS : 0),
                        fmt_duration(d, sizeof(d), (double)x->run_ns * NS));
            }
            fprintf(f, "\\nattempt %u: %s", t->attempt,
                    runrec_state_name(t->state));
            if (t->message) {
                fputs(": ", f);
                escape_dot(f, t->message);
            }
        } else {
            fputs(": has not ended", f);
        }
        fputs("\"];\n", f);
    }
    for (size_t i = 0; i < rr->nedge; i++) {
        const redge_t *e = &rr->edge[i];
        bool bold = crit && crit[e->from] && crit[e->to];
        fprintf(f, "  t%" PRIu64 " -> t%" PRIu64 " [", e->from, e->to);
        if (rr->nedge <= 80) {
            fputs("label=\"", f);
            escape_dot(f, strtab_get(rr->str, e->data));
            fprintf(f, " v%u\", ", e->version);
        }
        fputs("tooltip=\"", f);
        escape_dot(f, strtab_get(rr->str, e->data));
        fprintf(f, " v%u\"%s];\n", e->version,
                bold ? ", penwidth=2.5, color=\"#000000\"" : "");
    }
    legend(f, rr, pending);
    return nodes;
}

/* ---- summarised ---------------------------------------------------------- */

typedef struct group {
    int32_t kidx;     /* -1: never ran */
    uint32_t lo, hi;  /* levels */
    size_t n, failed, not_run;
    uint64_t run_ns;
    bool crit;
} group_t;

/* An edge between boxes: (from << 32 | to), and whether it stands for an
 * edge of the critical path. */
typedef struct gedge {
    uint64_t key;
    bool crit;
} gedge_t;

static int cmp_gedge(const void *a, const void *b)
{
    uint64_t x = ((const gedge_t *)a)->key, y = ((const gedge_t *)b)->key;
    return x < y ? -1 : x > y;
}

static long write_groups(FILE *f, const runrec_t *rr, const tinfo_t *ti,
                         const bool *crit, size_t ntasks, size_t max)
{
    uint32_t *level = NULL, nlevels;
    int32_t *gid = NULL;
    group_t *g = NULL;
    gedge_t *pairs = NULL;
    long nodes = -1;
    size_t nk = rr->nkernel_ran + 1; /* the last: never ran */

    if (runrec_levels(rr, &level, &nlevels) < 0)
        return -1;
    if (nlevels == 0)
        nlevels = 1;
    /* band levels until the boxes are few enough to read */
    uint32_t band = 1;
    size_t ngroups;
    uint8_t *seen = NULL;
    for (;;) {
        size_t nbands = (nlevels + band - 1) / band;
        free(seen);
        if (!(seen = calloc(nk * nbands, 1)))
            goto out;
        ngroups = 0;
        for (size_t id = 1; id <= rr->max_task; id++) {
            if (!ti[id].present)
                continue;
            size_t k = ti[id].kidx >= 0 ? (size_t)ti[id].kidx : nk - 1;
            uint8_t *s = &seen[(level[id] / band) * nk + k];
            ngroups += !*s;
            *s = 1;
        }
        if (ngroups <= MAX_GROUPS || band >= nlevels)
            break;
        band *= 2;
    }
    free(seen);
    size_t nbands = (nlevels + band - 1) / band;
    if (!(gid = malloc(nk * nbands * sizeof(*gid))) ||
        !(g = calloc(ngroups + 1, sizeof(*g))) ||
        !(pairs = malloc((rr->nedge + 1) * sizeof(*pairs))))
        goto out;
    for (size_t i = 0; i < nk * nbands; i++)
        gid[i] = -1;
    size_t ng = 0;
    for (size_t id = 1; id <= rr->max_task; id++) {
        const tinfo_t *x = &ti[id];
        if (!x->present)
            continue;
        size_t k = x->kidx >= 0 ? (size_t)x->kidx : nk - 1;
        int32_t *slot = &gid[(level[id] / band) * nk + k];
        if (*slot < 0) {
            *slot = (int32_t)ng;
            g[ng].kidx = x->kidx;
            g[ng].lo = g[ng].hi = level[id];
            ng++;
        }
        group_t *gr = &g[*slot];
        gr->n++;
        gr->failed += x->fstate == F_FAILED;
        gr->not_run += x->fstate == F_NOT_RUN || x->fstate == F_PENDING;
        gr->run_ns += x->run_ns;
        gr->crit |= crit && crit[id];
        if (level[id] < gr->lo)
            gr->lo = level[id];
        if (level[id] > gr->hi)
            gr->hi = level[id];
    }

    char what[320], col[8], a[32];
    snprintf(what, sizeof(what), "%zu tasks and %zu dependences summarised "
             "as %zu boxes (more than %zu tasks): a box is the tasks of one "
             "kernel at %s, edges count dependences%s", ntasks, rr->nedge, ng,
             max, band == 1 ? "one dependence level"
                            : "a band of dependence levels",
             crit ? "; the critical path in bold" : "");
    head(f, rr, what);
    fputs("  node [shape=box, style=\"filled,rounded\", "
          "fontname=\"Helvetica\", fontsize=10, penwidth=0.8];\n", f);
    bool pending = false;
    for (size_t i = 0; i < ng; i++) {
        const group_t *gr = &g[i];
        const char *name = gr->kidx >= 0
            ? strtab_get(rr->str, rr->kernel[gr->kidx].task_name) : "not run";
        fprintf(f, "  g%zu [label=\"", i);
        escape_dot(f, name);
        fprintf(f, " x %zu\\nlevel%s %u", gr->n, gr->lo == gr->hi ? "" : "s",
                gr->lo);
        if (gr->hi != gr->lo)
            fprintf(f, "-%u", gr->hi);
        if (gr->failed)
            fprintf(f, "\\n%zu failed", gr->failed);
        fputc('"', f);
        if (gr->kidx >= 0)
            fprintf(f, ", fillcolor=\"%s\", fontcolor=\"%s\"",
                    palette_colour((size_t)gr->kidx, col),
                    palette_text_colour((size_t)gr->kidx));
        else {
            fputs(", fillcolor=\"#ffffff\", style=\"filled,rounded,dashed\"", f);
            pending = true;
        }
        if (gr->failed)
            fprintf(f, ", color=\"%s\", penwidth=3", PALETTE_FAILED);
        else if (gr->crit)
            fputs(", penwidth=2.5", f);
        fprintf(f, ", tooltip=\"%zu tasks of ", gr->n);
        escape_dot(f, gr->kidx >= 0 ? strtab_get(rr->str, rr->kernel[gr->kidx].name)
                                 : "no kernel yet (never started)");
        fprintf(f, "\\n%s of run time in total\"];\n",
                fmt_duration(a, sizeof(a), (double)gr->run_ns * NS));
    }
    size_t np = 0;
    for (size_t i = 0; i < rr->nedge; i++) {
        const redge_t *e = &rr->edge[i];
        size_t kf = ti[e->from].kidx >= 0 ? (size_t)ti[e->from].kidx : nk - 1;
        size_t kt = ti[e->to].kidx >= 0 ? (size_t)ti[e->to].kidx : nk - 1;
        uint64_t a1 = (uint64_t)gid[(level[e->from] / band) * nk + kf];
        uint64_t b1 = (uint64_t)gid[(level[e->to] / band) * nk + kt];
        if (a1 != b1)
            pairs[np++] = (gedge_t){a1 << 32 | b1,
                                    crit && crit[e->from] && crit[e->to]};
    }
    qsort(pairs, np, sizeof(*pairs), cmp_gedge);
    for (size_t i = 0; i < np;) {
        size_t j = i;
        bool bold = false;
        for (; j < np && pairs[j].key == pairs[i].key; j++)
            bold |= pairs[j].crit;
        size_t from = (size_t)(pairs[i].key >> 32);
        size_t to = (size_t)(pairs[i].key & 0xffffffffu);
        size_t n = j - i;
        double w = 1;
        for (size_t m = n; m > 1; m /= 4)
            w += 0.7;
        fprintf(f, "  g%zu -> g%zu [penwidth=%.1f, tooltip=\"%zu "
                "dependence%s\"", from, to, w, n, n == 1 ? "" : "s");
        /* flat edges (inside a band) stay unlabelled: dot cannot route
         * labelled flat edges both ways between two boxes */
        if (n > 1 && g[from].lo / band != g[to].lo / band)
            fprintf(f, ", label=\"%zu\"", n);
        if (bold)
            fputs(", color=\"#000000\"", f);
        fputs("];\n", f);
        i = j;
    }
    /* a row of the picture per band of levels: edges inside a band are
     * drawn flat instead of pushing boxes down */
    for (size_t b = 0; b < nbands; b++) {
        fputs("  { rank=same;", f);
        for (size_t k = 0; k < nk; k++)
            if (gid[b * nk + k] >= 0)
                fprintf(f, " g%d;", gid[b * nk + k]);
        fputs(" }\n", f);
    }
    legend(f, rr, pending);
    nodes = (long)ng;
out:
    if (nodes < 0)
        errno = ENOMEM;
    free(level);
    free(gid);
    free(g);
    free(pairs);
    return nodes;
}

long dagdot_write(const runrec_t *rr, const char *path,
                  const dagdot_opts_t *o, tess_error_t *err)
{
    size_t max = o && o->max_tasks ? o->max_tasks : 200, ntasks = 0;
    bool *crit = NULL;
    uint64_t cp;
    size_t ncp;
    tinfo_t *ti;
    long nodes;

    if (!rr->has_edges) {
        errno = ENOENT;
        return tess_errprintf(err, "%s: no edges.csv in %s: this run "
                              "recorded no dependences", path, rr->run_dir);
    }
    if (!(ti = task_info(rr)) ||
        runrec_critical_path(rr, &cp, &ncp, &crit) < 0) {
        free(ti);
        errno = ENOMEM;
        return tess_errprintf(err, "%s: out of memory", path);
    }
    for (size_t id = 1; id <= rr->max_task; id++)
        ntasks += ti[id].present;
    outfile_t out;
    if (outfile_open(&out, path, err) < 0) {
        int e = errno;
        free(ti);
        free(crit);
        errno = e;
        return -1;
    }
    FILE *f = out.f;
    nodes = ntasks <= max ? write_tasks(f, rr, ti, crit, ntasks)
                          : write_groups(f, rr, ti, crit, ntasks, max);
    if (nodes >= 0)
        fputs("}\n", f);
    free(ti);
    free(crit);
    return outfile_close(&out, nodes >= 0, ENOMEM, err) < 0 ? -1 : nodes;
}
