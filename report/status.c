/* status.c - RUN_DIR/status.txt read back (see status.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/status.h"

void status_clear(status_t *st)
{
    int saved = errno;
    free(st->workflow);
    free(st->run_dir);
    free(st->state);
    free(st->host);
    free(st->job);
    free(st->message);
    for (size_t i = 0; i < st->nworker; i++) {
        free(st->worker[i].node);
        free(st->worker[i].arch);
        free(st->worker[i].now);
    }
    free(st->worker);
    memset(st, 0, sizeof(*st));
    errno = saved;
}

char *status_unescape(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            char c = p[1];
            char r = c == '\\' ? '\\' : c == 'n' ? '\n' : c == 't' ? '\t'
                   : c == 'r' ? '\r' : 0;
            if (r) {
                *o++ = r;
                p++;
                continue;
            }
        }
        *o++ = *p;
    }
    *o = '\0';
    return s;
}

time_t status_parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return -1;
    return timegm(&tm);
}

int status_finished(const status_t *st)
{
    return st->state && st->state[0] && strcmp(st->state, "running") != 0;
}

/* A count or "-": -1 if not a number. */
static int64_t num(const char *v)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return errno || end == v || *end ? -1 : (int64_t)n;
}

static double real(const char *v)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    return errno || end == v || *end ? -1 : d;
}

/* Replace *dst by a copy of @p v. */
static int set(char **dst, const char *v)
{
    char *c = strdup(v);
    if (!c)
        return -1;
    free(*dst);
    *dst = c;
    return 0;
}

/* "RANK NODE ARCH SLOTS RUNNING DONE [what runs]" */
static int add_worker(status_t *st, char *v)
{
    status_worker_t w = {.slots = -1, .running = -1, .done = -1};
    char *save = NULL, *tok[6];
    int n = 0;
    for (; n < 6 && (tok[n] = strtok_r(n ? NULL : v, " \t", &save)); n++)
        ;
    if (n < 1)
        return 0; /* an empty worker line says nothing */
    char *rest = save ? save + strspn(save, " \t") : NULL;
    w.rank = (int)num(tok[0]);
    if (n > 3)
        w.slots = (int)num(tok[3]);
    if (n > 4)
        w.running = (int)num(tok[4]);
    if (n > 5)
        w.done = num(tok[5]);
    if (!(w.node = strdup(n > 1 ? tok[1] : "")) ||
        !(w.arch = strdup(n > 2 ? tok[2] : "")) ||
        !(w.now = strdup(n > 5 && rest ? status_unescape(rest) : "")))
        goto oom;
    status_worker_t *ws = realloc(st->worker, (st->nworker + 1) * sizeof(*ws));
    if (!ws)
        goto oom;
    st->worker = ws;
    st->worker[st->nworker++] = w;
    return 0;
oom:
    free(w.node);
    free(w.arch);
    free(w.now);
    return -1;
}

int status_load(const char *path, status_t *st, tess_error_t *err)
{
    memset(st, 0, sizeof(*st));
    st->pid = -1;
    st->started = st->updated = st->ended = -1;
    st->elapsed_s = st->tasks_per_s = -1;
    st->tasks_submitted = st->tasks_total = st->tasks_done = -1;
    st->tasks_running = st->tasks_ready = st->tasks_waiting = -1;
    st->tasks_failed = st->tasks_cancelled = st->tasks_not_run = -1;
    st->workers = st->exit_status = -1;
    char **strs[] = {&st->workflow, &st->run_dir, &st->state, &st->host,
                     &st->job, &st->message};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (set(strs[i], "") < 0)
            goto oom;

    FILE *f = fopen(path, "r");
    if (!f)
        return tess_errprintf(err, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int has_state = 0, rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *k = line;
        char *v = colon + 1;
        if (*v == ' ')
            v++;
#define IS(name) (strcmp(k, name) == 0)
        if (IS("format"))
            st->format = (int)num(v);
        else if (IS("workflow"))
            rc = set(&st->workflow, v);
        else if (IS("run_dir"))
            rc = set(&st->run_dir, v);
        else if (IS("state")) {
            rc = set(&st->state, v);
            has_state = 1;
        } else if (IS("host"))
            rc = set(&st->host, v);
        else if (IS("job"))
            rc = set(&st->job, v);
        else if (IS("pid"))
            st->pid = (long)num(v);
        else if (IS("started"))
            st->started = status_parse_time(v);
        else if (IS("updated"))
            st->updated = status_parse_time(v);
        else if (IS("ended"))
            st->ended = status_parse_time(v);
        else if (IS("elapsed_s"))
            st->elapsed_s = real(v);
        else if (IS("tasks_submitted"))
            st->tasks_submitted = num(v);
        else if (IS("tasks_total"))
            st->tasks_total = num(v);
        else if (IS("tasks_done") || (IS("tasks_completed") && st->format == 0))
            st->tasks_done = num(v);
        else if (IS("tasks_running"))
            st->tasks_running = num(v);
        else if (IS("tasks_ready"))
            st->tasks_ready = num(v);
        else if (IS("tasks_waiting"))
            st->tasks_waiting = num(v);
        else if (IS("tasks_failed"))
            st->tasks_failed = num(v);
        else if (IS("tasks_cancelled"))
            st->tasks_cancelled = num(v);
        else if (IS("tasks_not_run"))
            st->tasks_not_run = num(v);
        else if (IS("tasks_per_s"))
            st->tasks_per_s = real(v);
        else if (IS("workers"))
            st->workers = (int)num(v);
        else if (IS("worker"))
            rc = add_worker(st, v);
        else if (IS("exit_status"))
            st->exit_status = (int)num(v);
        else if (IS("message"))
            rc = set(&st->message, status_unescape(v));
#undef IS
    }
    int read_error = ferror(f) ? errno : 0;
    free(line);
    fclose(f);
    if (rc < 0)
        goto oom;
    if (read_error) {
        errno = read_error;
        return tess_errprintf(err, "%s: %s", path, strerror(errno));
    }
    if (!has_state) {
        errno = EINVAL;
        return tess_errprintf(err, "%s: not a run status file (no \"state:\" "
                              "line)", path);
    }
    return 0;
oom:
    errno = ENOMEM;
    return tess_errprintf(err, "%s: out of memory", path);
}
