/*
 * wf_check.c - drive the workflow front end without a run (for tests).
 *
 *   wf_check validate WF.xml [OPTIONS]   load + wf_validate(); "WF.xml: ok"
 *   wf_check expand WF.xml [OPTIONS]     print the flattened program, one
 *                                         declaration / call per line
 * Options: --param NAME=VALUE (repeatable), --kernel-path DIRS,
 *          --run-dir DIR, --checks LIST (inputs,kernels,expand,resources,
 *          store | all | none), --store DIR (wf_set_store()),
 *          --count (expand: count only, print time and peak RSS),
 *          --limit STEPS (expansion limit),
 *          --resources ARCHS:MAXCPUS (wf_set_resources(): ARCHS a
 *          ','-separated list or '-' for unknown, MAXCPUS 0 for unknown).
 * expand prints, after the kernel: arch=A if constrained, cpus=N if not 1,
 * impl ARCH=lib:symbol per implementation.
 * Exit: 0 ok, 2 bad input (message "file:line:col: ..." on stderr),
 *       1 other failures (out of memory).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/clock.h"
#include "workflow/wf.h"

typedef struct printer {
    char **names; /* by handle */
    size_t n, cap;
    uint64_t calls, arrays, files, deletes, syncs;
    int quiet;
} printer_t;

static int remember(printer_t *p, const char *name, tess_data_t *out)
{
    if (p->quiet) {
        *out = ++p->n;
        return 0;
    }
    if (p->n + 1 >= p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        char **v = realloc(p->names, cap * sizeof(*v));
        if (!v)
            return -1;
        p->names = v;
        p->cap = cap;
    }
    p->names[++p->n] = strdup(name);
    *out = p->n;
    return 0;
}

static const char *hname(const printer_t *p, tess_data_t h)
{
    return h && h <= p->n && p->names ? p->names[h] : "?";
}

static int on_array(void *ctx, const wf_array_decl_t *d, tess_data_t *out,
                    tess_error_t *err)
{
    printer_t *p = ctx;
    p->arrays++;
    if (remember(p, d->name, out) < 0)
        return tess_errprintf(err, "out of memory");
    if (p->quiet)
        return 0;
    printf("array %" PRIu64 " %s %s [", *out, d->name,
           tess_type_name(d->type));
    for (int k = 0; k < d->rank; k++)
        printf("%s%" PRId64, k ? "," : "", d->shape[k]);
    printf("]");
    if (d->source_file)
        printf(" from %s:%s", d->source_file, d->source_dataset);
    printf("%s\n", d->local ? " local" : "");
    return 0;
}

static int on_file(void *ctx, const wf_file_decl_t *d, tess_data_t *out,
                   tess_error_t *err)
{
    printer_t *p = ctx;
    p->files++;
    if (remember(p, d->name, out) < 0)
        return tess_errprintf(err, "out of memory");
    if (!p->quiet)
        printf("file %" PRIu64 " %s %s\n", *out, d->name, d->path);
    return 0;
}

static int on_task(void *ctx, const wf_task_call_t *c, tess_error_t *err)
{
    printer_t *p = ctx;
    static const char *dn[] = {"?", "in", "out", "inout"};
    p->calls++;
    if (p->quiet)
        return 0;
    printf("task %" PRIu64 " %s %s%s", c->seq, c->task, c->kernel,
           c->flags & TESS_PRIORITY ? " priority" : "");
    if (c->arch)
        printf(" arch=%s", c->arch);
    if (c->cpus != 1)
        printf(" cpus=%d", c->cpus);
    for (int i = 0; i < c->nimpls; i++)
        printf(" impl %s=%s", c->impls[i].arch, c->impls[i].kernel);
    printf(" (");
    for (int i = 0; i < c->nparams; i++) {
        const tess_param_t *a = &c->params[i];
        printf("%s", i ? ", " : "");
        switch (a->kind) {
        case TESS_P_DATA:
            printf("%s %s#%" PRIu64, dn[a->dir <= 3 ? a->dir : 0],
                   hname(p, a->data), a->data);
            if (a->rank) {
                printf("[");
                for (int k = 0; k < a->rank; k++)
                    printf("%s%" PRId64 ":%" PRId64, k ? "," : "", a->start[k],
                           a->start[k] + a->count[k]);
                printf("]");
            }
            break;
        case TESS_P_INT:
            printf("%" PRId64, a->value.i);
            break;
        case TESS_P_DOUBLE:
            printf("%.17g", a->value.d);
            break;
        case TESS_P_STRING:
            printf("\"%s\"", a->value.s);
            break;
        }
    }
    printf(")\n");
    (void)err;
    return 0;
}

static int on_barrier(void *ctx, tess_error_t *err)
{
    printer_t *p = ctx;
    p->syncs++;
    if (!p->quiet)
        printf("barrier\n");
    (void)err;
    return 0;
}

static int on_wait(void *ctx, tess_data_t data, const char *name, int is_file,
                   tess_error_t *err)
{
    printer_t *p = ctx;
    p->syncs++;
    if (!p->quiet)
        printf("wait %s %s#%" PRIu64 "\n", is_file ? "file" : "array", name,
               data);
    (void)err;
    return 0;
}

static int on_delete(void *ctx, tess_data_t data, tess_error_t *err)
{
    printer_t *p = ctx;
    p->deletes++;
    if (!p->quiet)
        printf("delete %s#%" PRIu64 "\n", hname(p, data), data);
    (void)err;
    return 0;
}

static int on_object(void *ctx, const wf_object_decl_t *d, tess_data_t *out,
                     tess_error_t *err)
{
    printer_t *p = ctx;
    p->arrays++;
    if (remember(p, d->name, out) < 0)
        return tess_errprintf(err, "out of memory");
    if (p->quiet)
        return 0;
    printf("persistent %" PRIu64 " %s %s %s %s [", *out, d->name, d->object,
           d->create ? "create" : "read", tess_type_name(d->type));
    for (int k = 0; k < d->rank; k++)
        printf("%s%" PRId64, k ? "," : "", d->shape[k]);
    printf("]");
    if (d->nblocks)
        printf(" blocks=%" PRId64, d->nblocks);
    if (d->wait > 0)
        printf(" wait=%g", d->wait);
    printf("\n");
    return 0;
}

static int on_complete(void *ctx, tess_data_t obj, tess_error_t *err)
{
    printer_t *p = ctx;
    p->syncs++;
    if (!p->quiet)
        printf("complete %s#%" PRIu64 "\n", hname(p, obj), obj);
    (void)err;
    return 0;
}

static int on_delete_object(void *ctx, const char *object, tess_error_t *err)
{
    printer_t *p = ctx;
    p->deletes++;
    if (!p->quiet)
        printf("delete-object %s\n", object);
    (void)err;
    return 0;
}

static const wf_sink_ops_t printer_ops = {
    .declare_array = on_array,
    .declare_file = on_file,
    .task = on_task,
    .barrier = on_barrier,
    .wait = on_wait,
    .delete_data = on_delete,
    .declare_object = on_object,
    .complete = on_complete,
    .delete_object = on_delete_object,
};

static int usage(void)
{
    fprintf(stderr,
            "usage: wf_check validate|expand WF.xml [--param NAME=VALUE]... "
            "[--kernel-path DIRS] [--run-dir DIR] [--checks LIST] [--count] "
            "[--limit STEPS] [--resources ARCHS:MAXCPUS] [--store DIR]\n");
    return 2;
}

/* "ARCHS:MAXCPUS" ('-' for unknown architectures); modifies @p arg. */
static int set_resources(wf_t *wf, char *arg)
{
    char *colon = strrchr(arg, ':');
    *colon = '\0';
    return wf_set_resources(wf, strcmp(arg, "-") == 0 ? NULL : arg,
                            atoi(colon + 1));
}

static int fail(const tess_error_t *err)
{
    fprintf(stderr, "%s\n", err->text);
    return errno == ENOMEM ? 1 : 2;
}

int main(int argc, char **argv)
{
    wf_param_override_t ov[256];
    size_t nov = 0;
    const char *kpath = NULL, *run_dir = NULL, *checks = "all", *store = NULL;
    char *resources = NULL;
    int count = 0;
    unsigned long long limit = 0;
    tess_error_t err = {{0}};

    if (argc < 3)
        return usage();
    const char *cmd = argv[1], *file = argv[2];
    int expand = strcmp(cmd, "expand") == 0;
    if (!expand && strcmp(cmd, "validate") != 0)
        return usage();
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--count") == 0) {
            count = 1;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        if (strcmp(a, "--param") == 0) {
            if (nov == sizeof(ov) / sizeof(ov[0]))
                return usage();
            if (wf_param_override_parse(argv[++i], &ov[nov++], &err) < 0)
                return fail(&err);
        } else if (strcmp(a, "--kernel-path") == 0) {
            kpath = argv[++i];
        } else if (strcmp(a, "--run-dir") == 0) {
            run_dir = argv[++i];
        } else if (strcmp(a, "--store") == 0) {
            store = argv[++i];
        } else if (strcmp(a, "--checks") == 0) {
            checks = argv[++i];
        } else if (strcmp(a, "--resources") == 0) {
            resources = argv[++i];
            if (!strrchr(resources, ':'))
                return usage();
        } else if (strcmp(a, "--limit") == 0) {
            limit = strtoull(argv[++i], NULL, 10);
        } else {
            return usage();
        }
    }
    unsigned flags = 0;
    if (strstr(checks, "all"))
        flags = WF_CHECK_ALL;
    if (strstr(checks, "inputs"))
        flags |= WF_CHECK_INPUTS;
    if (strstr(checks, "kernels"))
        flags |= WF_CHECK_KERNELS;
    if (strstr(checks, "expand"))
        flags |= WF_CHECK_EXPAND;
    if (strstr(checks, "resources"))
        flags |= WF_CHECK_RESOURCES;
    if (strstr(checks, "store"))
        flags |= WF_CHECK_STORE;

    double t0 = clock_mono_s();
    wf_t *wf = wf_load(file, ov, nov, &err);
    if (!wf)
        return fail(&err);
    double t1 = clock_mono_s();
    if ((kpath && wf_set_kernel_path(wf, kpath) < 0) ||
        (run_dir && wf_set_run_dir(wf, run_dir) < 0) ||
        (store && wf_set_store(wf, store) < 0) ||
        wf_set_expand_limit(wf, limit) < 0 ||
        (resources && set_resources(wf, resources) < 0)) {
        wf_destroy(wf);
        return 1;
    }
    int rc = 0;
    if (!expand) {
        if (wf_validate(wf, flags, &err) < 0)
            rc = fail(&err);
        else
            printf("%s: ok\n", file);
    } else {
        printer_t p = {.quiet = count};
        if ((flags & WF_CHECK_KERNELS) &&
            wf_validate(wf, WF_CHECK_KERNELS, &err) < 0) {
            rc = fail(&err);
        } else if (wf_expand(wf, &printer_ops, &p, &err) < 0) {
            fflush(stdout);
            rc = fail(&err);
        }
        double t2 = clock_mono_s();
        if (count && rc == 0) {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            printf("calls %" PRIu64 " arrays %" PRIu64 " files %" PRIu64
                   " deletes %" PRIu64 " load %.3f s expand %.3f s "
                   "(%.1f ns/call) maxrss %ld KiB\n",
                   p.calls, p.arrays, p.files, p.deletes, t1 - t0, t2 - t1,
                   p.calls ? (t2 - t1) * 1e9 / (double)p.calls : 0.0,
                   ru.ru_maxrss);
        }
        for (size_t i = 1; p.names && i <= p.n; i++)
            free(p.names[i]);
        free(p.names);
    }
    wf_destroy(wf);
    return rc;
}
