/* wfopts.c - options shared by the workflow commands. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/cmd.h"

static int parse_int(const char *opt, const char *s, int min, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > 1 << 20) {
        fprintf(stderr, "tessera: %s: '%s' is not a number >= %d\n", opt, s,
                min);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int wfopts_parse(int argc, char **argv, unsigned allow, wfopts_t *o)
{
    int allow_run = (allow & WFOPTS_RUN) != 0;
    memset(o, 0, sizeof(*o));
    o->workers = -1;
    o->params = calloc((size_t)argc + 1, sizeof(*o->params));
    if (!o->params) {
        fprintf(stderr, "tessera: out of memory\n");
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--param") == 0 || strcmp(a, "-p") == 0 ||
                    strcmp(a, "--kernel-path") == 0 ||
                    strcmp(a, "--store") == 0 ||
                    (allow_run && (strcmp(a, "-n") == 0 ||
                                   strcmp(a, "--workers") == 0 ||
                                   strcmp(a, "--slots") == 0 ||
                                   strcmp(a, "--run-dir") == 0 ||
                                   strcmp(a, "--dot") == 0));
        if ((allow & WFOPTS_RUN) && strcmp(a, "--overwrite") == 0) {
            o->overwrite = 1;
            continue;
        }
        if ((allow & WFOPTS_RUN) && strcmp(a, "--resume") == 0) {
            o->resume_only = 1; /* set by tessera resume */
            continue;
        }
        if ((allow & WFOPTS_VERBOSE) && (strcmp(a, "--verbose") == 0 ||
                                         strcmp(a, "-v") == 0)) {
            o->verbose = 1;
            continue;
        }
        if (a[0] != '-') {
            if (o->workflow) {
                fprintf(stderr, "tessera %s: unexpected argument '%s'\n",
                        argv[0], a);
                return -1;
            }
            o->workflow = a;
            continue;
        }
        if (!takes) {
            fprintf(stderr, "tessera %s: unknown option '%s' (see tessera %s "
                    "--help)\n", argv[0], a, argv[0]);
            return -1;
        }
        if (!v) {
            fprintf(stderr, "tessera %s: %s needs a value\n", argv[0], a);
            return -1;
        }
        i++;
        if (strcmp(a, "--param") == 0 || strcmp(a, "-p") == 0) {
            tess_error_t err;
            /* wf_param_override_parse splits in place: parse a copy so
             * argv stays intact (it is passed on to the MPI ranks). */
            char *copy = strdup(v);
            if (!copy ||
                wf_param_override_parse(copy, &o->params[o->nparams], &err) < 0) {
                fprintf(stderr, "tessera: %s\n", copy ? err.text : "out of memory");
                free(copy);
                return -1;
            }
            o->nparams++;
        } else if (strcmp(a, "--kernel-path") == 0) {
            o->kernel_path = v;
        } else if (strcmp(a, "--store") == 0) {
            /* absolute, so the ranks of the job and a resume find it
             * whatever their directory */
            char abs[PATH_MAX];
            free(o->store_abs);
            o->store_abs = realpath(v, abs) ? strdup(abs) : NULL;
            o->store = o->store_abs ? o->store_abs : v;
        } else if (strcmp(a, "--run-dir") == 0) {
            o->run_dir = v;
        } else if (strcmp(a, "--dot") == 0) {
            o->dot = v;
        } else if (strcmp(a, "--slots") == 0) {
            if (parse_int(a, v, 1, &o->slots) < 0)
                return -1;
        } else if (parse_int(a, v, 0, &o->workers) < 0) {
            return -1;
        }
    }
    if (!o->workflow) {
        fprintf(stderr, "tessera %s: no workflow file given (see tessera %s "
                "--help)\n", argv[0], argv[0]);
        return -1;
    }
    return 0;
}

void wfopts_free(wfopts_t *o)
{
    for (size_t i = 0; i < o->nparams; i++)
        free((char *)o->params[i].name); /* the strdup'ed "NAME=VALUE" */
    free(o->params);
    free(o->store_abs);
    memset(o, 0, sizeof(*o));
}

wf_t *wfopts_load(const wfopts_t *o, unsigned flags)
{
    return wfopts_load2(o, flags, NULL, 0, 0);
}

wf_t *wfopts_load2(const wfopts_t *o, unsigned flags, const char *archs,
                   int max_slots, int64_t max_memory_mb)
{
    tess_error_t err;
    wf_t *wf = wf_load(o->workflow, o->params, o->nparams, &err);
    if (!wf || (o->kernel_path && wf_set_kernel_path(wf, o->kernel_path) < 0) ||
        (o->store && wf_set_store(wf, o->store) < 0) ||
        wf_set_wait_objects(wf, o->wait_objects) < 0 ||
        ((archs || max_slots) && wf_set_resources(wf, archs, max_slots) < 0) ||
        wf_set_max_memory(wf, max_memory_mb) < 0 ||
        (flags && wf_validate(wf, flags, &err) < 0)) {
        fprintf(stderr, "%s\n", err.text);
        wf_destroy(wf);
        return NULL;
    }
    return wf;
}
