/* meta.c - the metadata file of a store object (format in meta.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/box.h"
#include "base/types.h"
#include "io/runstatus.h"
#include "store/fsops.h"
#include "store/meta.h"

/* A meta file is small; anything larger is not one. */
#define META_MAX (1u << 20)

char *meta_utc_now(char *buf, size_t len)
{
    return runstatus_time((double)time(NULL), buf, len);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

void meta_free(meta_t *m)
{
    free(m->workflow);
    free(m->run);
    free(m->params);
    m->workflow = m->run = m->params = NULL;
}

int meta_init(meta_t *m, const char *name, const char *id,
              const tess_store_spec_t *spec)
{
    struct passwd pw, *res = NULL;
    char pwbuf[1024];

    memset(m, 0, sizeof(*m));
    m->format = META_FORMAT;
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->id, sizeof(m->id), "%s", id);
    m->type = spec->type;
    m->rank = spec->rank;
    m->has_shape = spec->shape != NULL;
    for (int d = 0; m->has_shape && d < spec->rank; d++)
        m->shape[d] = spec->shape[d];
    m->nblocks_expected = spec->nblocks;
    m->sync = !(spec->flags & TESS_STORE_NOSYNC);
    m->uid = (long)geteuid();
    if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
        snprintf(m->user, sizeof(m->user), "%s", pw.pw_name);
    else
        snprintf(m->user, sizeof(m->user), "uid%ld", m->uid);
    if (gethostname(m->host, sizeof(m->host)) < 0)
        snprintf(m->host, sizeof(m->host), "unknown");
    m->host[sizeof(m->host) - 1] = '\0';
    m->pid = (long)getpid();
    meta_utc_now(m->created, sizeof(m->created));
    m->nblocks = m->bytes = -1;
    m->workflow = dup_or_empty(spec->workflow);
    m->run = dup_or_empty(spec->run);
    m->params = dup_or_empty(spec->params);
    if (!m->workflow || !m->run || !m->params) {
        meta_free(m);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/* "key: value\n" with the value escaped as in status.txt (one line,
 * whatever the text) in @p buf (room for 4 bytes per byte of any value);
 * "-" for an empty value. */
static void put(FILE *f, const char *key, const char *value, char *buf,
                size_t len)
{
    fprintf(f, "%s: %s\n", key,
            value && value[0] ? runstatus_escape(value, buf, len) : "-");
}

static void put_int(FILE *f, const char *key, int64_t v, bool known)
{
    if (known)
        fprintf(f, "%s: %" PRId64 "\n", key, v);
    else
        fprintf(f, "%s: -\n", key);
}

static size_t longest(size_t n, const char *s)
{
    size_t k = s ? strlen(s) : 0;
    return k > n ? k : n;
}

int meta_write(const meta_t *m, const char *objdir, bool sync)
{
    char shape[200];
    fsops_text_t t;
    size_t n = longest(longest(longest(256, m->workflow), m->run), m->params);
    size_t len = 4 * n + 1;
    char *buf = malloc(len);
    FILE *f = buf ? fsops_text_open(&t) : NULL;

    if (!f) {
        free(buf);
        errno = ENOMEM;
        return -1;
    }
    fprintf(f, "format: %d\n", m->format);
    put(f, "name", m->name, buf, len);
    put(f, "id", m->id, buf, len);
    put(f, "state", m->complete ? "complete" : "building", buf, len);
    put(f, "type", tess_type_name(m->type), buf, len);
    fprintf(f, "rank: %d\n", m->rank);
    put(f, "shape", m->has_shape ? box_format_shape(shape, sizeof(shape),
                                                    m->rank, m->shape)
                                 : "", buf, len);
    put_int(f, "nblocks_expected", m->nblocks_expected,
            m->nblocks_expected > 0);
    put(f, "sync", m->sync ? "yes" : "no", buf, len);
    put(f, "lock", m->lock ? "yes" : "no", buf, len);
    put(f, "user", m->user, buf, len);
    fprintf(f, "uid: %ld\n", m->uid);
    put(f, "host", m->host, buf, len);
    fprintf(f, "pid: %ld\n", m->pid);
    put(f, "created", m->created, buf, len);
    put(f, "workflow", m->workflow, buf, len);
    put(f, "run", m->run, buf, len);
    put(f, "params", m->params, buf, len);
    put(f, "completed", m->completed, buf, len);
    put_int(f, "blocks", m->nblocks, m->complete);
    put_int(f, "bytes", m->bytes, m->complete);
    free(buf);
    return fsops_text_commit(&t, objdir, META_FILE, sync);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *v = x;
    return true;
}

/* "100x500" into rank extents (>= 0). */
static bool parse_shape(const char *s, int rank, int64_t *shape)
{
    for (int d = 0; d < rank; d++) {
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (errno || end == s || x < 0)
            return false;
        shape[d] = x;
        if (d < rank - 1 && *end != 'x')
            return false;
        s = end + (d < rank - 1);
        if (d == rank - 1 && *end)
            return false;
    }
    return true;
}

static void copy_field(char *dst, size_t len, const char *v)
{
    snprintf(dst, len, "%s", strcmp(v, "-") == 0 ? "" : v);
}

static int replace_str(char **dst, const char *v)
{
    char *s = strdup(strcmp(v, "-") == 0 ? "" : v);
    if (!s)
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

int meta_read(meta_t *m, const char *objdir, tess_error_t *err)
{
    char path[PATH_MAX], *text = NULL, *save = NULL;
    const char *shape = NULL, *bad = NULL;
    int lineno = 0, e;
    meta_t n;

    memset(&n, 0, sizeof(n));
    n.nblocks = n.bytes = -1;
    snprintf(path, sizeof(path), "%s/" META_FILE, objdir);
    if (fsops_read_file(path, META_MAX, &text, NULL) < 0) {
        e = errno;
        meta_free(m);
        memset(m, 0, sizeof(*m));
        errno = e;
        return tess_errprintf(err, "%s: %s", path, strerror(e));
    }
    for (char *line = strtok_r(text, "\n", &save); line && !bad;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strstr(line, ": ");
        lineno++;
        if (!colon) {
            bad = "not a 'key: value' line";
            break;
        }
        *colon = '\0';
        char *k = line, *v = colon + 2;
        runstatus_unescape(v);
        int64_t x;
        if (strcmp(k, "format") == 0) {
            if (!parse_i64(v, &x) || x < 1)
                bad = "bad format";
            else
                n.format = (int)(x > INT_MAX ? INT_MAX : x);
        } else if (strcmp(k, "name") == 0) {
            copy_field(n.name, sizeof(n.name), v);
        } else if (strcmp(k, "id") == 0) {
            copy_field(n.id, sizeof(n.id), v);
        } else if (strcmp(k, "state") == 0) {
            if (strcmp(v, "complete") == 0)
                n.complete = true;
            else if (strcmp(v, "building") != 0)
                bad = "unknown state";
        } else if (strcmp(k, "type") == 0) {
            if (!(n.type = types_parse(v)))
                bad = "unknown element type";
        } else if (strcmp(k, "rank") == 0) {
            if (!parse_i64(v, &x) || x < 1 || x > TESS_MAX_RANK)
                bad = "bad rank";
            else
                n.rank = (int)x;
        } else if (strcmp(k, "shape") == 0) {
            shape = v; /* parsed once the rank is known */
        } else if (strcmp(k, "nblocks_expected") == 0) {
            if (strcmp(v, "-") != 0 && (!parse_i64(v, &x) || x < 0))
                bad = "bad nblocks_expected";
            else
                n.nblocks_expected = strcmp(v, "-") == 0 ? 0 : x;
        } else if (strcmp(k, "sync") == 0) {
            n.sync = strcmp(v, "no") != 0;
        } else if (strcmp(k, "lock") == 0) {
            n.lock = strcmp(v, "yes") == 0;
        } else if (strcmp(k, "user") == 0) {
            copy_field(n.user, sizeof(n.user), v);
        } else if (strcmp(k, "uid") == 0) {
            n.uid = parse_i64(v, &x) ? (long)x : -1;
        } else if (strcmp(k, "host") == 0) {
            copy_field(n.host, sizeof(n.host), v);
        } else if (strcmp(k, "pid") == 0) {
            n.pid = parse_i64(v, &x) ? (long)x : -1;
        } else if (strcmp(k, "created") == 0) {
            copy_field(n.created, sizeof(n.created), v);
        } else if (strcmp(k, "completed") == 0) {
            copy_field(n.completed, sizeof(n.completed), v);
        } else if (strcmp(k, "blocks") == 0) {
            n.nblocks = parse_i64(v, &x) && x >= 0 ? x : -1;
        } else if (strcmp(k, "bytes") == 0) {
            n.bytes = parse_i64(v, &x) && x >= 0 ? x : -1;
        } else if ((strcmp(k, "workflow") == 0 && replace_str(&n.workflow, v))
                   || (strcmp(k, "run") == 0 && replace_str(&n.run, v))
                   || (strcmp(k, "params") == 0
                       && replace_str(&n.params, v))) {
            bad = "out of memory";
        } /* other keys: a newer writer's additions, ignored */
        if (shape && n.rank && !bad && strcmp(k, "shape") == 0) {
            n.has_shape = strcmp(shape, "-") != 0;
            if (n.has_shape && !parse_shape(shape, n.rank, n.shape))
                bad = "bad shape";
        }
    }
    if (!bad && shape && !n.rank)
        bad = "shape before rank";
    if (!bad && n.format > META_FORMAT) {
        free(text);
        meta_free(&n);
        meta_free(m);
        memset(m, 0, sizeof(*m));
        errno = EPROTO;
        return tess_errprintf(err, "%s: object format %d, this Tessera reads "
                              "formats 1 to %d", path, n.format, META_FORMAT);
    }
    if (!bad && (!n.format || !n.id[0] || !n.type || !n.rank))
        bad = "format, id, type or rank missing", lineno = 0;
    if (!bad && ((!n.workflow && replace_str(&n.workflow, "-"))
                 || (!n.run && replace_str(&n.run, "-"))
                 || (!n.params && replace_str(&n.params, "-"))))
        bad = "out of memory";
    free(text);
    meta_free(m);
    if (bad) {
        meta_free(&n);
        memset(m, 0, sizeof(*m));
        errno = EPROTO;
        if (lineno)
            return tess_errprintf(err, "%s:%d: %s (not a Tessera object "
                                  "metadata file)", path, lineno, bad);
        return tess_errprintf(err, "%s: %s (not a Tessera object metadata "
                              "file)", path, bad);
    }
    *m = n;
    return 0;
}
