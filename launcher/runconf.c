/* runconf.c - a run's identity and launch, for resuming it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/sha256.h"
#include "launcher/runconf.h"

/* A growing string. */
struct str {
    char *s;
    size_t len, cap;
    int oom;
};

static void add(struct str *b, const char *fmt, const char *a,
                const char *c, const char *d)
{
    char line[3 * PATH_MAX + 256];
    int n = snprintf(line, sizeof(line), fmt, a, c, d);
    if (n < 0 || b->oom)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, line, (size_t)n + 1);
    b->len += (size_t)n;
}

static const char *hash_of(const char *path, char hex[65])
{
    if (sha256_file(path, hex) < 0)
        snprintf(hex, 65, "unreadable");
    return hex;
}

char *runconf_kernels(const wf_t *wf)
{
    struct str b = {0};
    char hex[65];
    add(&b, "%s", "", "", "");
    for (size_t i = 0; i < wf_kernel_lib_count(wf); i++) {
        const char *lib, *path;
        if (wf_kernel_lib_get(wf, i, &lib, &path) == 0 && path)
            add(&b, "%s %s %s\n", lib, path, hash_of(path, hex));
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *runconf_identity(const wf_t *wf, tess_error_t *err)
{
    struct str b = {0};
    char hex[65], path[PATH_MAX];
    add(&b, "workflow_sha256: %s\n", hash_of(wf_path(wf), hex), "", "");
    /* files the workflow names by relative paths are relative to it */
    if (!getcwd(path, sizeof(path))) {
        tess_errprintf(err, "the current directory: %s", strerror(errno));
        free(b.s);
        return NULL;
    }
    add(&b, "cwd: %s\n", path, "", "");
    for (size_t i = 0; i < wf_param_count(wf); i++) {
        const char *name, *type, *value;
        if (wf_param_get(wf, i, &name, &type, &value) == 0)
            add(&b, "param: %s=%s\n", name, value, "");
    }
    for (size_t i = 0; i < wf_input_count(wf); i++) {
        const char *name;
        if (wf_input_get(wf, i, &name, path, sizeof(path)) == 0)
            add(&b, "input: %s %s %s\n", name, path, hash_of(path, hex));
    }
    for (size_t i = 0; i < wf_kernel_lib_count(wf); i++) {
        const char *lib, *kpath;
        if (wf_kernel_lib_get(wf, i, &lib, &kpath) == 0 && kpath)
            add(&b, "kernel_library: %s %s %s\n", lib, kpath,
                hash_of(kpath, hex));
    }
    if (b.oom || !b.s) {
        free(b.s);
        errno = ENOMEM;
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    return b.s;
}

int runconf_write(const char *run_dir, const wf_t *wf, const wfopts_t *o,
                  tess_error_t *err)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32], wfabs[PATH_MAX];
    char *id = runconf_identity(wf, err);
    if (!id)
        return -1;
    snprintf(path, sizeof(path), "%s/run.conf", run_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(id);
        return tess_errprintf(err, "%s: cannot write: %s", tmp,
                              strerror(errno));
    }
    if (!realpath(wf_path(wf), wfabs))
        snprintf(wfabs, sizeof(wfabs), "%s", wf_path(wf));
    fprintf(f, "format: 1\nworkflow: %s\n", wfabs);
    for (size_t i = 0; i < o->nparams; i++)
        fprintf(f, "override: %s=%s\n", o->params[i].name,
                o->params[i].value);
    fprintf(f, "workers: %d\nslots: %d\n", o->workers, o->slots);
    if (o->kernel_path)
        fprintf(f, "kernel_path: %s\n", o->kernel_path);
    if (o->store)
        fprintf(f, "store: %s\n", o->store);
    fputs(id, f);
    free(id);
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -1;
    if (rc < 0) {
        unlink(tmp);
        return tess_errprintf(err, "%s: cannot write: %s", path,
                              strerror(errno));
    }
    return 0;
}

/* The identity lines of RUN_DIR/run.conf, in order, into a new string. */
static char *stored_identity(const char *run_dir)
{
    char path[PATH_MAX], line[4 * PATH_MAX];
    snprintf(path, sizeof(path), "%s/run.conf", run_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    struct str b = {0};
    add(&b, "%s", "", "", "");
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "workflow_sha256: ", 17) ||
            !strncmp(line, "cwd: ", 5) ||
            !strncmp(line, "param: ", 7) || !strncmp(line, "input: ", 7) ||
            !strncmp(line, "kernel_library: ", 16))
            add(&b, "%s", line, "", "");
    fclose(f);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* The next line of *p (without its newline) into out; 0 at the end. */
static int next_line(const char **p, char *out, size_t len)
{
    if (!**p)
        return 0;
    size_t n = strcspn(*p, "\n");
    snprintf(out, len, "%.*s", (int)n, *p);
    *p += n + ((*p)[n] == '\n');
    return 1;
}

/* Explain how line `now` differs from line `was` (same kind first). */
static void explain(const char *was, const char *now, tess_error_t *why)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!strncmp(was, "workflow_sha256: ", 17)) {
        tess_errprintf(why, "the workflow file changed since the run started "
                       "(SHA-256 %.12s... then, %.12s... now)", was + 17,
                       !strncmp(now, "workflow_sha256: ", 17) ? now + 17 : "?");
    } else if (!strncmp(was, "cwd: ", 5) && !strncmp(now, "cwd: ", 5)) {
        tess_errprintf(why, "the run was started in %s, not in %s (files "
                       "named by relative paths would be other files; "
                       "tessera resume RUN_DIR goes there itself)", was + 5,
                       now + 5);
    } else if (!strncmp(was, "param: ", 7) && !strncmp(now, "param: ", 7)) {
        size_t n = strcspn(was + 7, "=");
        tess_errprintf(why, "parameter %.*s was %s when the run started, now "
                       "%s", (int)n, was + 7, was + 8 + n,
                       strchr(now + 7, '=') ? strchr(now + 7, '=') + 1 : "?");
    } else if (!strncmp(was, "input: ", 7) && !strncmp(now, "input: ", 7)) {
        if (sscanf(was + 7, "%*s %4095s", a) == 1 &&
            sscanf(now + 7, "%*s %4095s", b) == 1 && strcmp(a, b) != 0)
            tess_errprintf(why, "an input file is another one: %s then, %s "
                           "now", a, b);
        else
            tess_errprintf(why, "input file %s changed since the run started "
                           "(its content, by SHA-256)", a);
    } else if (!strncmp(was, "kernel_library: ", 16) &&
               !strncmp(now, "kernel_library: ", 16)) {
        if (sscanf(was + 16, "%*s %4095s", a) != 1)
            a[0] = '\0';
        tess_errprintf(why, "kernel library %s changed since the run started "
                       "(its content, by SHA-256)", a);
    } else {
        tess_errprintf(why, "the workflow's parameters, inputs or kernels "
                       "are not the ones of the run ('%s' then, '%s' now)",
                       was, now);
    }
}

int runconf_compare(const char *run_dir, const wf_t *wf, tess_error_t *why)
{
    char *was = stored_identity(run_dir);
    if (!was) {
        tess_errprintf(why, "%s/run.conf: cannot read what the run was: %s",
                       run_dir, strerror(errno));
        return -1;
    }
    tess_error_t err;
    char *now = runconf_identity(wf, &err);
    if (!now) {
        free(was);
        tess_errprintf(why, "%s", err.text);
        return -1;
    }
    const char *p = was, *q = now;
    char a[4 * PATH_MAX], b[4 * PATH_MAX];
    int rc = 0;
    for (;;) {
        int ha = next_line(&p, a, sizeof(a)), hb = next_line(&q, b, sizeof(b));
        if (!ha && !hb)
            break;
        if (ha != hb || strcmp(a, b) != 0) {
            explain(ha ? a : "(nothing)", hb ? b : "(nothing)", why);
            rc = 1;
            break;
        }
    }
    free(was);
    free(now);
    return rc;
}

static char *dupstr(const char *s, int *oom)
{
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

int runconf_args(const char *run_dir, char **argv, int max, tess_error_t *err)
{
    char path[PATH_MAX], line[4 * PATH_MAX];
    snprintf(path, sizeof(path), "%s/run.conf", run_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return tess_errprintf(err, "%s: %s: is it a run directory?", path,
                              strerror(errno));
    int n = 0, oom = 0, have_wf = 0;
    argv[n++] = dupstr("run", &oom);
    while (fgets(line, sizeof(line), f) && n + 2 < max) {
        line[strcspn(line, "\n")] = '\0';
        const char *v = strchr(line, ':');
        if (!v || v[1] != ' ')
            continue;
        v += 2;
        if (!strncmp(line, "workflow: ", 10)) {
            argv[n++] = dupstr(v, &oom);
            have_wf = 1;
        } else if (!strncmp(line, "override: ", 10)) {
            argv[n++] = dupstr("--param", &oom);
            argv[n++] = dupstr(v, &oom);
        } else if (!strncmp(line, "workers: ", 9) && atoi(v) >= 0) {
            argv[n++] = dupstr("-n", &oom);
            argv[n++] = dupstr(v, &oom);
        } else if (!strncmp(line, "slots: ", 7) && atoi(v) > 0) {
            argv[n++] = dupstr("--slots", &oom);
            argv[n++] = dupstr(v, &oom);
        } else if (!strncmp(line, "kernel_path: ", 13)) {
            argv[n++] = dupstr("--kernel-path", &oom);
            argv[n++] = dupstr(v, &oom);
        } else if (!strncmp(line, "store: ", 7)) {
            argv[n++] = dupstr("--store", &oom);
            argv[n++] = dupstr(v, &oom);
        }
    }
    fclose(f);
    if (oom || !have_wf) {
        runconf_free_args(argv, n);
        return tess_errprintf(err, "%s: %s", path,
                              oom ? "out of memory" : "names no workflow");
    }
    return n;
}

int runconf_cwd(const char *run_dir, char *buf, size_t len)
{
    char path[PATH_MAX], line[2 * PATH_MAX];
    snprintf(path, sizeof(path), "%s/run.conf", run_dir);
    FILE *f = fopen(path, "r");
    int rc = -1;
    if (!f)
        return -1;
    while (rc < 0 && fgets(line, sizeof(line), f))
        if (!strncmp(line, "cwd: ", 5)) {
            line[strcspn(line, "\n")] = '\0';
            rc = snprintf(buf, len, "%s", line + 5) < (int)len ? 0 : -1;
        }
    fclose(f);
    if (rc < 0)
        errno = ENOENT;
    return rc;
}

void runconf_free_args(char **argv, int n)
{
    for (int i = 0; i < n; i++)
        free(argv[i]);
}
