/* gantt.c - the Gantt chart of a run as SVG (see gantt.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/escape.h"
#include "report/fmt.h"
#include "report/gantt.h"
#include "report/outfile.h"
#include "report/palette.h"

#define NS 1e-9
#define LEFT 180        /* row labels */
#define RIGHT 64        /* busy share of each row */
#define TOP 84          /* title lines */
#define LEGEND_COL 310  /* width of a legend column */

typedef struct chart {
    const runrec_t *rr;
    FILE *f;
    int width, plot_w, row_h, bar_h;
    double span;       /* seconds shown */
    double min_w;      /* narrowest bar drawn, pixels (per row) */
    bool *on_path;     /* critical path by task id, NULL without edges */
    long bars;
} chart_t;

static double xpos(const chart_t *c, uint64_t ns)
{
    double t = ns > c->rr->t0 ? (double)(ns - c->rr->t0) * NS : 0;
    return LEFT + t / c->span * c->plot_w;
}

static double rel(const chart_t *c, uint64_t ns)
{
    return ns > c->rr->t0 ? (double)(ns - c->rr->t0) * NS : 0;
}

static int row_y(const chart_t *c, int lane)
{
    return TOP + lane * c->row_h;
}

/* The details of an attempt, for its <title>. */
static void task_title(const chart_t *c, const rtask_t *t)
{
    const runrec_t *rr = c->rr;
    char a[32], b[32], d[32];
    FILE *f = c->f;
    fprintf(f, "<title>task %" PRIu64 ": ", t->task);
    escape_xml(f, strtab_get(rr->str, t->name));
    fputs("\nkernel ", f);
    escape_xml(f, strtab_get(rr->str, t->kernel));
    fprintf(f, "\nworker %d (", t->worker);
    escape_xml(f, strtab_get(rr->str, t->node));
    fputs(", ", f);
    escape_xml(f, strtab_get(rr->str, t->arch));
    fprintf(f, ") slot %d\nstarted at +%s, ran %s", t->slot,
            fmt_duration(a, sizeof(a), rel(c, t->start_ns)),
            fmt_duration(b, sizeof(b), (double)runrec_run_ns(t) * NS));
    if (t->submit_ns && t->ready_ns >= t->submit_ns &&
        t->start_ns >= t->ready_ns)
        fprintf(f, "\nsubmitted at +%s, waited %s for inputs and %s for a slot",
                fmt_duration(a, sizeof(a), rel(c, t->submit_ns)),
                fmt_duration(b, sizeof(b),
                             (double)(t->ready_ns - t->submit_ns) * NS),
                fmt_duration(d, sizeof(d),
                             (double)(t->start_ns - t->ready_ns) * NS));
    if (rr->has_submit)
        fprintf(f, "\nread %s, wrote %s, %" PRIu64 " input%s from memory",
                fmt_bytes(a, sizeof(a), t->bytes_in),
                fmt_bytes(b, sizeof(b), t->bytes_out), t->cache_hits,
                t->cache_hits == 1 ? "" : "s");
    fprintf(f, "\nattempt %u: %s", t->attempt, runrec_state_name(t->state));
    if (t->message) {
        fputs(": ", f);
        escape_xml(f, t->message);
    }
    if (c->on_path && c->on_path[t->task])
        fputs("\non the critical path", f);
    fputs("</title>", f);
}

static void bar(chart_t *c, const rtask_t *t)
{
    char col[8];
    double x0 = xpos(c, t->start_ns), x1 = xpos(c, t->end_ns);
    double w = x1 - x0 < c->min_w ? c->min_w : x1 - x0;
    if (w > 3)
        w -= 0.8; /* a hairline gap between back-to-back tasks */
    int y = row_y(c, t->lane) + (c->row_h - c->bar_h) / 2;
    bool failed = t->state != RS_OK;
    bool crit = c->on_path && c->on_path[t->task] && !failed;
    fprintf(c->f, "<rect class=\"task\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
            "height=\"%d\" fill=\"%s\"", x0, y, w, c->bar_h,
            palette_colour((size_t)t->kidx, col));
    if (failed)
        fprintf(c->f, " stroke=\"%s\" stroke-width=\"2\" fill-opacity=\"0.6\"",
                PALETTE_FAILED);
    else if (crit)
        fputs(" stroke=\"#000\" stroke-width=\"1\"", c->f);
    fputc('>', c->f);
    task_title(c, t);
    fputs("</rect>\n", c->f);
    c->bars++;
    /* a label only where it fits: about 6.5 px per character */
    if (c->row_h >= 13 && w >= 30) {
        char label[64];
        const char *name = strtab_get(c->rr->str, t->name);
        const char *colon = strrchr(name, ':'); /* "lib:symbol" names */
        snprintf(label, sizeof(label), "%" PRIu64 " %s", t->task,
                 colon ? colon + 1 : name);
        size_t fit = (size_t)((w - 6) / 6.5);
        if (strlen(label) > fit) {
            snprintf(label, sizeof(label), "%" PRIu64, t->task);
            if (strlen(label) > fit)
                return;
        }
        fprintf(c->f, "<text x=\"%.2f\" y=\"%d\" font-size=\"10\" fill=\"%s\" "
                "pointer-events=\"none\">", x0 + 3,
                y + c->bar_h / 2 + 4, palette_text_colour((size_t)t->kidx));
        escape_xml(c->f, label);
        fputs("</text>\n", c->f);
    }
}

/* Several consecutive tasks of one kernel within a pixel: one bar at least
 * a pixel wide, as opaque as the tasks fill it (busy_ns of its span), so
 * that idle time stays visible in a dense row. */
static void merged_bar(chart_t *c, const rtask_t *first, uint64_t end_ns,
                       size_t n, uint64_t busy_ns)
{
    char col[8], a[32], b[32];
    double x0 = xpos(c, first->start_ns), x1 = xpos(c, end_ns);
    double w = x1 - x0 < 1 ? 1 : x1 - x0;
    double fill = (double)busy_ns / (w * c->span / c->plot_w / NS);
    int y = row_y(c, first->lane) + (c->row_h - c->bar_h) / 2;
    fprintf(c->f, "<rect class=\"tasks\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
            "height=\"%d\" fill=\"%s\" fill-opacity=\"%.2f\"><title>%zu tasks "
            "of ", x0, y, w, c->bar_h, palette_colour((size_t)first->kidx, col),
            fill < 0.15 ? 0.15 : fill > 1 ? 1 : fill, n);
    escape_xml(c->f, strtab_get(c->rr->str, first->kernel));
    fprintf(c->f, " from +%s to +%s (each under a pixel wide), busy %.0f%% "
            "of that time</title></rect>\n",
            fmt_duration(a, sizeof(a), rel(c, first->start_ns)),
            fmt_duration(b, sizeof(b), rel(c, end_ns)),
            100 * (double)busy_ns / (double)(end_ns - first->start_ns + 1));
    c->bars++;
}

static const runrec_t *order_rr;

static int by_lane_start(const void *a, const void *b)
{
    const rtask_t *x = &order_rr->row[*(const size_t *)a];
    const rtask_t *y = &order_rr->row[*(const size_t *)b];
    if (x->lane != y->lane)
        return x->lane < y->lane ? -1 : 1;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

static int draw_bars(chart_t *c, size_t max_bars)
{
    const runrec_t *rr = c->rr;
    size_t n = 0, *idx = malloc((rr->nrow + 1) * sizeof(*idx));
    if (!idx)
        return -1;
    for (size_t i = 0; i < rr->nrow; i++)
        if (rr->row[i].lane >= 0)
            idx[n++] = i;
    order_rr = rr;
    qsort(idx, n, sizeof(*idx), by_lane_start);
    bool merge = n > max_bars;
    double px = c->span / c->plot_w / NS; /* nanoseconds per pixel */
    size_t lane_end = 0;
    for (size_t k = 0; k < n;) {
        const rtask_t *t = &rr->row[idx[k]];
        size_t j = k + 1;
        uint64_t end = t->end_ns, busy = runrec_run_ns(t);
        if (k >= lane_end) {
            /* a row with fewer bars than pixels gets bars of at least 0.4
             * px, so a short task stays visible; a denser row is drawn at
             * true widths, so that its colour tells how busy it is */
            for (lane_end = k; lane_end < n &&
                               rr->row[idx[lane_end]].lane == t->lane;
                 lane_end++)
                ;
            c->min_w = (double)(lane_end - k) < c->plot_w / 2.0 ? 0.4 : 0;
        }
        if (merge && t->state == RS_OK && (double)runrec_run_ns(t) < px) {
            /* extend while the group stays under a pixel and has no gap
             * of half a pixel: nothing visible is hidden */
            while (j < n) {
                const rtask_t *u = &rr->row[idx[j]];
                if (u->lane != t->lane || u->kidx != t->kidx ||
                    u->state != RS_OK ||
                    (double)(u->end_ns - t->start_ns) >= px ||
                    (double)u->start_ns - (double)end > px / 2)
                    break;
                if (u->end_ns > end)
                    end = u->end_ns;
                busy += runrec_run_ns(u);
                j++;
            }
        }
        if (j - k > 1)
            merged_bar(c, t, end, j - k, busy);
        else
            bar(c, t);
        k = j;
    }
    free(idx);
    return 0;
}

/* A tick step of 1, 2 or 5 times a power of ten giving about 10 ticks. */
static double tick_step(double span)
{
    double raw = span / 10, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void tick_label(char *buf, size_t len, double v, double step)
{
    /* decimals enough to tell ticks apart: 0.5 s, 0.25 ms, ... */
#define DECIMALS(unit_step) \
    ((int)ceil(-log10(unit_step) - 1e-9) > 0 ? (int)ceil(-log10(unit_step) - 1e-9) : 0)
    if (step >= 60 && v >= 60)
        snprintf(buf, len, "%dm%02d", (int)(v / 60), (int)fmod(v, 60));
    else if (step >= 0.1)
        snprintf(buf, len, "%.*f s", DECIMALS(step), v);
    else if (step >= 1e-4)
        snprintf(buf, len, "%.*f ms", DECIMALS(step * 1e3), v * 1e3);
    else
        snprintf(buf, len, "%.*f us", DECIMALS(step * 1e6), v * 1e6);
#undef DECIMALS
}

static void draw_axis(chart_t *c, int y0, int y1)
{
    double step = tick_step(c->span);
    FILE *f = c->f;
    char label[32];
    fprintf(f, "<g class=\"axis\" font-size=\"11\" fill=\"#333\">\n");
    for (int i = 0; i * step <= c->span * (1 + 1e-9) && i < 1000; i++) {
        double v = i * step, x = LEFT + v / c->span * c->plot_w;
        fprintf(f, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" "
                "stroke=\"#c8c8c8\" stroke-width=\"0.6\"/>\n", x, y0, x, y1 + 5);
        tick_label(label, sizeof(label), v, step);
        fprintf(f, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                x, y1 + 18, label);
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
            LEFT, y1, LEFT + c->plot_w, y1);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since the "
            "first %s</text>\n</g>\n", LEFT + c->plot_w / 2, y1 + 34,
            c->rr->has_submit ? "submission" : "start");
}

/* Row backgrounds (their grey is idle time), worker bands and labels. */
static void draw_rows(chart_t *c)
{
    const runrec_t *rr = c->rr;
    FILE *f = c->f;
    char pct[16];
    for (size_t i = 0; i < rr->nlane;) {
        size_t j = i;
        while (j < rr->nlane && rr->lane[j].worker == rr->lane[i].worker)
            j++;
        int y0 = row_y(c, (int)i), y1 = row_y(c, (int)j);
        uint64_t busy = 0;
        for (size_t k = i; k < j; k++) {
            int y = row_y(c, (int)k);
            busy += rr->lane[k].busy_ns;
            fprintf(f, "<rect class=\"idle\" x=\"%d\" y=\"%d\" width=\"%d\" "
                    "height=\"%d\" fill=\"#e9ecef\"/>\n", LEFT, y, c->plot_w,
                    c->row_h > 3 ? c->row_h - 1 : c->row_h);
            if (c->row_h >= 11) {
                fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
                        "text-anchor=\"end\" fill=\"#555\">slot %d</text>\n",
                        LEFT - 6, y + c->row_h / 2 + 4, rr->lane[k].slot);
                fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
                        "fill=\"#555\">%s</text>\n", LEFT + c->plot_w + 6,
                        y + c->row_h / 2 + 4,
                        fmt_percent(pct, sizeof(pct),
                                    (double)rr->lane[k].busy_ns * NS, c->span));
            }
        }
        /* the worker's name, and its busy share when rows are too thin */
        int mid = (y0 + y1) / 2 + 4;
        if (c->row_h >= 11)
            mid = y0 + c->row_h / 2 + 4;
        if (y1 - y0 >= 10) {
            fprintf(f, "<text x=\"8\" y=\"%d\" font-size=\"11\" "
                    "font-weight=\"bold\" fill=\"#222\">worker %d <tspan "
                    "font-weight=\"normal\" fill=\"#555\">", mid,
                    rr->lane[i].worker);
            escape_xml(f, strtab_get(rr->str, rr->lane[i].node));
            fputs("</tspan></text>\n", f);
            if (c->row_h < 11)
                fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
                        "fill=\"#555\">%s</text>\n", LEFT + c->plot_w + 6, mid,
                        fmt_percent(pct, sizeof(pct), (double)busy * NS,
                                    c->span * (double)(j - i)));
        }
        if (i > 0)
            fprintf(f, "<line x1=\"4\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                    "stroke=\"#888\" stroke-width=\"0.8\"/>\n", y0,
                    c->width - 4, y0);
        i = j;
    }
}

static void draw_header(chart_t *c, size_t nbars_expected)
{
    const runrec_t *rr = c->rr;
    const status_t *st = &rr->status;
    FILE *f = c->f;
    char a[32], b[32];
    uint64_t busy = 0;
    for (size_t i = 0; i < rr->nlane; i++)
        busy += rr->lane[i].busy_ns;
    int workers = 0;
    for (size_t i = 0; i < rr->nlane; i++)
        workers += i == 0 || rr->lane[i].worker != rr->lane[i - 1].worker;
    fputs("<text x=\"8\" y=\"24\" font-size=\"17\" font-weight=\"bold\" "
          "fill=\"#222\">", f);
    escape_xml(f, rr->has_status && st->workflow[0] ? st->workflow : "Tessera run");
    if (rr->has_status) {
        fputs(" <tspan font-weight=\"normal\" fill=\"#555\">(", f);
        escape_xml(f, st->state);
        fputs(")</tspan>", f);
    }
    fputs("</text>\n", f);
    fprintf(f, "<text x=\"8\" y=\"44\" font-size=\"12\" fill=\"#333\">%zu "
            "task attempts on %zu slot%s of %d worker%s, makespan %s, "
            "slots busy %s of the time", nbars_expected, rr->nlane,
            rr->nlane == 1 ? "" : "s", workers, workers == 1 ? "" : "s",
            fmt_duration(a, sizeof(a), c->span),
            fmt_percent(b, sizeof(b), (double)busy * NS,
                        c->span * (double)rr->nlane));
    uint64_t cp;
    size_t ncp;
    if (runrec_critical_path(rr, &cp, &ncp, NULL) == 0)
        fprintf(f, "; critical path %s (%s of the makespan)",
                fmt_duration(a, sizeof(a), (double)cp * NS),
                fmt_percent(b, sizeof(b), (double)cp * NS, c->span));
    fputs("</text>\n", f);
    fputs("<text x=\"8\" y=\"62\" font-size=\"11\" fill=\"#666\">", f);
    escape_xml(f, rr->run_dir);
    fputs(" \xe2\x80\x94 hover a bar for its task; grey is idle time", f);
    if (rr->slots_inferred)
        fputs("; slots inferred (the trace has none)", f);
    fputs("</text>\n", f);
}

/* Legend: kernels with their counts and time, then the markers. */
static int draw_legend(chart_t *c, int y)
{
    const runrec_t *rr = c->rr;
    FILE *f = c->f;
    int cols = (c->width - 16) / LEGEND_COL;
    char col[8], a[32];
    bool failures = false;
    for (size_t i = 0; i < rr->nrow && !failures; i++)
        failures = rr->row[i].lane >= 0 && rr->row[i].state != RS_OK;
    size_t items = rr->nkernel_ran + failures + (c->on_path != NULL);
    if (cols < 1)
        cols = 1;
    fprintf(f, "<g class=\"legend\" font-size=\"11\" fill=\"#222\">\n");
    for (size_t i = 0; i < items; i++) {
        int x = 8 + (int)(i % (size_t)cols) * LEGEND_COL;
        int yy = y + (int)(i / (size_t)cols) * 18;
        if (i < rr->nkernel_ran) {
            const rkernel_t *k = &rr->kernel[i];
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
                    "fill=\"%s\"/><text x=\"%d\" y=\"%d\">", x, yy,
                    palette_colour(i, col), x + 17, yy + 10);
            escape_xml(f, strtab_get(rr->str, k->name));
            fprintf(f, " <tspan fill=\"#666\">%zu, %s</tspan></text>\n",
                    k->count, fmt_duration(a, sizeof(a),
                                           (double)k->total_ns * NS));
        } else if (i == rr->nkernel_ran && failures) {
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
                    "fill=\"#bbb\" fill-opacity=\"0.6\" stroke=\"%s\" "
                    "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">failed "
                    "attempt</text>\n", x, yy, PALETTE_FAILED, x + 17, yy + 10);
        } else {
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
                    "fill=\"#bbb\" stroke=\"#000\" stroke-width=\"1\"/>"
                    "<text x=\"%d\" y=\"%d\">on the critical path</text>\n",
                    x, yy, x + 17, yy + 10);
        }
    }
    fputs("</g>\n", f);
    return y + (int)((items + (size_t)cols - 1) / (size_t)cols) * 18;
}

long gantt_write(const runrec_t *rr, const char *path, const gantt_opts_t *o,
                 tess_error_t *err)
{
    chart_t c = {.rr = rr, .width = o && o->width > 0 ? o->width : 1280};
    size_t max_bars = o && o->max_bars ? o->max_bars : 20000;
    size_t nbars = 0;
    for (size_t i = 0; i < rr->nrow; i++)
        nbars += rr->row[i].lane >= 0;
    if (c.width < LEFT + RIGHT + 100)
        c.width = LEFT + RIGHT + 100;
    c.plot_w = c.width - LEFT - RIGHT;
    c.span = (double)(rr->t1 - rr->t0) * NS;
    if (c.span <= 0)
        c.span = 1e-6;
    int fit = rr->nlane ? 640 / (int)rr->nlane : 22;
    c.row_h = fit > 22 ? 22 : fit < 2 ? 2 : fit;
    c.bar_h = c.row_h >= 8 ? c.row_h - 4 : c.row_h > 2 ? c.row_h - 1 : c.row_h;
    uint64_t cp;
    size_t ncp;
    if (runrec_critical_path(rr, &cp, &ncp, &c.on_path) < 0 &&
        errno != ENOENT)
        return tess_errprintf(err, "%s: %s", path, strerror(errno));

    int plot_bottom = TOP + (int)rr->nlane * c.row_h + (rr->nlane ? 0 : 30);
    int legend_rows = (int)((rr->nkernel_ran + 2 + (size_t)(c.width - 16) /
                             LEGEND_COL - 1) / ((size_t)(c.width - 16) /
                                                LEGEND_COL));
    int height = plot_bottom + 58 + legend_rows * 18 + 12;
    outfile_t out;
    if (outfile_open(&out, path, err) < 0) {
        int e = errno;
        free(c.on_path);
        errno = e;
        return -1;
    }
    FILE *f = c.f = out.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"Helvetica, "
            "Arial, sans-serif\">\n<title>Gantt chart of ", c.width, height,
            c.width, height);
    escape_xml(f, rr->run_dir);
    fputs("</title>\n<style>.task:hover,.tasks:hover{stroke:#000;"
          "stroke-width:2;stroke-opacity:1}</style>\n", f);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", c.width,
            height);
    draw_header(&c, nbars);
    if (!rr->nlane)
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#555\">"
                "no task has run yet</text>\n", LEFT, TOP + 18);
    draw_rows(&c);
    draw_axis(&c, TOP, plot_bottom);
    fputs("<g class=\"bars\">\n", f);
    int rc = draw_bars(&c, max_bars);
    fputs("</g>\n", f);
    if (nbars > max_bars && (size_t)c.bars < nbars)
        fprintf(f, "<text x=\"%d\" y=\"78\" font-size=\"11\" fill=\"#a33\">"
                "%zu attempts drawn as %ld bars: consecutive tasks of a kernel "
                "narrower than a pixel are merged</text>\n", LEFT, nbars,
                c.bars);
    draw_legend(&c, plot_bottom + 48);
    fputs("</svg>\n", f);
    free(c.on_path);
    return outfile_close(&out, rc == 0, ENOMEM, err) < 0 ? -1 : c.bars;
}
