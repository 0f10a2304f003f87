/* chrome.c - Chrome trace-event JSON (see chrome.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report/chrome.h"
#include "report/escape.h"
#include "report/outfile.h"

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    escape_json(f, s);
    fputc('"', f);
}

/* Before an event: a comma unless it is the first. */
static void sep(FILE *f, bool *first)
{
    fputs(*first ? "\n" : ",\n", f);
    *first = false;
}

/* Microseconds since the origin, with nanosecond digits. */
static double us(const runrec_t *rr, uint64_t ns)
{
    return ns > rr->t0 ? (double)(ns - rr->t0) / 1e3 : 0;
}

static void metadata(FILE *f, const runrec_t *rr, bool *first)
{
    for (size_t i = 0; i < rr->nlane; i++) {
        const rlane_t *l = &rr->lane[i];
        if (i == 0 || l->worker != rr->lane[i - 1].worker) {
            sep(f, first);
            fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,"
                    "\"tid\":0,\"args\":{\"name\":\"worker %d (", l->worker,
                    l->worker);
            escape_json(f, strtab_get(rr->str, l->node));
            fputs(", ", f);
            escape_json(f, strtab_get(rr->str, l->arch));
            fputs(")\"}}", f);
            sep(f, first);
            fprintf(f, "{\"name\":\"process_sort_index\",\"ph\":\"M\","
                    "\"pid\":%d,\"tid\":0,\"args\":{\"sort_index\":%d}}",
                    l->worker, l->worker);
        }
        sep(f, first);
        fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,"
                "\"tid\":%d,\"args\":{\"name\":\"slot %d\"}}", l->worker,
                l->slot, l->slot);
        sep(f, first);
        fprintf(f, "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%d,"
                "\"tid\":%d,\"args\":{\"sort_index\":%d}}", l->worker, l->slot,
                l->slot);
    }
}

long chrome_write(const runrec_t *rr, const char *path, tess_error_t *err)
{
    outfile_t out;
    long n = 0;
    if (outfile_open(&out, path, err) < 0)
        return -1;
    FILE *f = out.f;
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"tool\":\"tessera "
          "report\",\"run_dir\":", f);
    json_str(f, rr->run_dir);
    if (rr->has_status) {
        fputs(",\"workflow\":", f);
        json_str(f, rr->status.workflow);
        fputs(",\"state\":", f);
        json_str(f, rr->status.state);
    }
    fprintf(f, ",\"origin_unix_ns\":\"%" PRIu64 "\"},\n\"traceEvents\":[",
            rr->t0);
    bool first = true;
    metadata(f, rr, &first);
    for (size_t i = 0; i < rr->nrow; i++) {
        const rtask_t *t = &rr->row[i];
        if (t->lane < 0)
            continue;
        sep(f, &first);
        fputs("{\"name\":", f);
        json_str(f, strtab_get(rr->str, t->name));
        fputs(",\"cat\":", f);
        json_str(f, strtab_get(rr->str, t->kernel));
        fprintf(f, ",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,"
                "\"tid\":%d,%s\"args\":{\"task\":%" PRIu64 ",\"kernel\":",
                us(rr, t->start_ns), (double)runrec_run_ns(t) / 1e3,
                t->worker, t->slot,
                t->state == RS_OK ? "" : "\"cname\":\"terrible\",", t->task);
        json_str(f, strtab_get(rr->str, t->kernel));
        fputs(",\"node\":", f);
        json_str(f, strtab_get(rr->str, t->node));
        fputs(",\"arch\":", f);
        json_str(f, strtab_get(rr->str, t->arch));
        fprintf(f, ",\"attempt\":%u,\"state\":", t->attempt);
        json_str(f, strtab_get(rr->str, t->state_name));
        fputs(",\"message\":", f);
        json_str(f, t->message ? t->message : "");
        if (t->submit_ns)
            fprintf(f, ",\"submitted_us\":%.3f", us(rr, t->submit_ns));
        if (t->ready_ns)
            fprintf(f, ",\"ready_us\":%.3f", us(rr, t->ready_ns));
        fprintf(f, ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
                ",\"cache_hits\":%" PRIu64 "}}", t->bytes_in, t->bytes_out,
                t->cache_hits);
        n++;
    }
    fputs("\n]}\n", f);
    return outfile_close(&out, 1, 0, err) < 0 ? -1 : n;
}
