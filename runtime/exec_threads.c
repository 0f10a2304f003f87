/*
 * exec_threads.c - the local executor: slots of this process.
 *
 * Versions live in memory: each array version is a dense buffer of the box
 * it wrote (v->payload, NULL meaning zeros for an initial value), each file
 * version a path (a renamed copy under workdir for versions > 0). A task's
 * inputs are gathered from the pieces the dag recorded at submission.
 *
 * Kernels run on the slot threads (kernels/runner.h) or, for tasks that ask
 * for isolation (and by default in the `tessera` command), in the slot's
 * executor process (kernels/sandbox.h): inputs are gathered into the
 * slot's shared arena and outputs copied out of it. In-process, an IN
 * parameter read entirely from one version of the same box uses that
 * buffer directly.
 *
 * Idle slots and the waiting engine sleep (after a short bounded spin).
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/box.h"
#include "base/clock.h"
#include "engine/kclass.h"
#include "engine/pool.h"
#include "io/filever.h"
#include "io/h5frag.h"
#include "kernels/args.h"
#include "kernels/runner.h"
#include "kernels/sandbox.h"
#include "proto/backoff.h"
#include "runtime/exec.h"

#define MSG_LEN 512
#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

/* What a slot needs of a task, read on the engine thread, and what it
 * reports back. */
struct tjob {
    runner_job_t base; /* first: the runner's link */
    dag_task_t *t;
    tess_kernel_f fn;
    const char *kernel;
    int isolate;
    uint32_t timeout_ms;
    int64_t memory_mb;
    int state;         /* enum exec_state */
    int32_t code;
    uint64_t start_ns, end_ns;
    char msg[MSG_LEN];
};

typedef struct xthreads {
    exec_t base;
    const kreg_t *kernels;
    char *workdir;
    pool_t *jobs; /* engine thread only */
    runner_t *runner;
    sandbox_t *sandbox;
    int nslots;
    int isolate_default;
    uint64_t done;
    char host[64];
    char *run_dir;    /* outputs > INLINE_MAX also become fragment files */
    unsigned frag_flags;
} xthreads_t;

/* Values up to this size the journal keeps; larger ones are fragments. */
#define INLINE_MAX (64 * 1024)

/* ---- running one task (slot threads) ---------------------------------------- */

/* Gather the pieces read by parameter dp into dst (dense, of dp's box). */
static void gather(const dag_param_t *dp, void *dst, size_t elsize)
{
    int r = dp->rank;
    int64_t vstart[TESS_MAX_RANK], dstart[TESS_MAX_RANK];
    for (uint32_t s = 0; s < dp->nsrc; s++) {
        const dag_src_t *src = &dp->src[s];
        const dag_version_t *v = src->v;
        if (!v->payload)
            continue; /* zeros: dst was zero-filled */
        for (int d = 0; d < r; d++) {
            vstart[d] = src->box[d] - v->box[d];
            dstart[d] = src->box[d] - dp->box[d];
        }
        box_copy(elsize, r, v->payload, v->box + r, vstart, dst, dp->box + r,
                 dstart, src->box + r);
    }
}

static int sources_have_zeros(const dag_param_t *dp)
{
    for (uint32_t s = 0; s < dp->nsrc; s++)
        if (!dp->src[s].v->payload)
            return 1;
    return 0;
}

/* The one version and box dp reads, if it reads exactly one whole version. */
static void *direct_input(const dag_param_t *dp)
{
    if (dp->nsrc != 1)
        return NULL;
    const dag_src_t *s = &dp->src[0];
    int r = dp->rank;
    if (memcmp(s->box, dp->box, 2 * sizeof(int64_t) * (size_t)r) != 0 ||
        memcmp(s->v->box, dp->box, 2 * sizeof(int64_t) * (size_t)r) != 0)
        return NULL;
    return s->v->payload;
}

static size_t param_bytes(const dag_param_t *dp)
{
    region_t reg;
    box_get(dp->rank, dp->box, &reg);
    return (size_t)region_volume(&reg) * tess_type_size(dp->data->type);
}

/* The path a file parameter's kernel sees; the version it writes gets its
 * renamed path (INOUT: a copy of the version read first). */
static int prepare_file(xthreads_t *xt, dag_param_t *dp, const char **path,
                        tess_error_t *err)
{
    const dag_version_t *in = dp->nsrc ? dp->src[0].v : NULL;
    if (dp->dir == TESS_IN) {
        *path = in->payload;
        return 0;
    }
    char *p = filever_path(xt->workdir, dp->data->id, dp->out->number,
                           dp->data->name);
    if (!p)
        return tess_errprintf(err, "out of memory");
    dp->out->payload = p;
    *path = p;
    if (dp->dir == TESS_INOUT)
        return filever_copy(in->payload, p, err);
    unlink(p);
    return 0;
}

/* Arguments of task t; array buffers in memory of this process (tmp[i]:
 * what to free afterwards). */
static int args_inproc(xthreads_t *xt, dag_task_t *t, struct tess_arg *a,
                       void **tmp, tess_error_t *err)
{
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        a[i].kind = (tess_param_kind_t)dp->kind;
        a[i].dir = (tess_dir_t)dp->dir;
        if (dp->kind == TESS_P_INT)
            a[i].value.i = dp->value.i;
        else if (dp->kind == TESS_P_DOUBLE)
            a[i].value.d = dp->value.d;
        else if (dp->kind == TESS_P_STRING)
            a[i].value.s = dp->value.s;
        if (dp->kind != TESS_P_DATA)
            continue;
        a[i].type = dp->data->type;
        a[i].rank = dp->rank;
        a[i].start = dp->box;
        a[i].count = dp->box + dp->rank;
        if (dp->data->kind == DAG_FILE) {
            if (prepare_file(xt, dp, &a[i].path, err) < 0)
                return -1;
            continue;
        }
        size_t bytes = param_bytes(dp);
        void *buf = NULL;
        if (dp->dir == TESS_IN && (buf = direct_input(dp)) != NULL) {
            a[i].buf = buf;
            continue;
        }
        /* Zero-filled when some input is an implicit zero value or when the
         * kernel only writes (OUT): a kernel that skips elements then
         * leaves zeros, never garbage. */
        int zero = dp->dir == TESS_OUT || sources_have_zeros(dp);
        buf = zero ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
        if (!buf)
            return tess_errprintf(err, "parameter %d: out of memory (%zu "
                                  "bytes)", i, bytes);
        if (dp->dir != TESS_OUT)
            gather(dp, buf, tess_type_size(dp->data->type));
        tmp[i] = buf;
        a[i].buf = buf;
    }
    return 0;
}

/* Arguments of task t inside the slot's arena (for its executor process):
 * buffers, boxes, strings and paths; the message buffer first. */
static int args_arena(xthreads_t *xt, int slot, dag_task_t *t,
                      struct tess_arg *a, char **msg, tess_error_t *err)
{
    size_t need = ALIGN16(MSG_LEN);
    for (int i = 0; i < t->nparams; i++) {
        const dag_param_t *dp = &t->params[i];
        if (dp->kind == TESS_P_STRING)
            need += ALIGN16(strlen(dp->value.s) + 1);
        else if (dp->kind == TESS_P_DATA && dp->data->kind == DAG_FILE)
            need += ALIGN16(PATH_MAX);
        else if (dp->kind == TESS_P_DATA)
            need += ALIGN16(2 * sizeof(int64_t) * (size_t)dp->rank) +
                    ALIGN16(param_bytes(dp));
    }
    uint8_t *at = sandbox_reserve(xt->sandbox, slot, need, t->nparams);
    if (!at)
        return tess_errprintf(err, "out of memory (%zu bytes of arguments)",
                              need);
    *msg = (char *)at;
    (*msg)[0] = '\0';
    at += ALIGN16(MSG_LEN);
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        a[i].kind = (tess_param_kind_t)dp->kind;
        a[i].dir = (tess_dir_t)dp->dir;
        if (dp->kind == TESS_P_INT) {
            a[i].value.i = dp->value.i;
        } else if (dp->kind == TESS_P_DOUBLE) {
            a[i].value.d = dp->value.d;
        } else if (dp->kind == TESS_P_STRING) {
            size_t n = strlen(dp->value.s) + 1;
            memcpy(at, dp->value.s, n);
            a[i].value.s = (const char *)at;
            at += ALIGN16(n);
        }
        if (dp->kind != TESS_P_DATA)
            continue;
        a[i].type = dp->data->type;
        a[i].rank = dp->rank;
        if (dp->data->kind == DAG_FILE) {
            const char *path;
            if (prepare_file(xt, dp, &path, err) < 0)
                return -1;
            snprintf((char *)at, PATH_MAX, "%s", path);
            a[i].path = (const char *)at;
            at += ALIGN16(PATH_MAX);
            continue;
        }
        int64_t *box = (int64_t *)(void *)at;
        memcpy(box, dp->box, 2 * sizeof(int64_t) * (size_t)dp->rank);
        at += ALIGN16(2 * sizeof(int64_t) * (size_t)dp->rank);
        a[i].start = box;
        a[i].count = box + dp->rank;
        size_t bytes = param_bytes(dp);
        a[i].buf = at;
        at += ALIGN16(bytes);
        if (dp->dir == TESS_OUT || sources_have_zeros(dp))
            memset(a[i].buf, 0, bytes);
        if (dp->dir != TESS_OUT)
            gather(dp, a[i].buf, tess_type_size(dp->data->type));
    }
    return 0;
}

/* Outputs of a successful isolated task: out of the arena into versions. */
static int copy_outputs(dag_task_t *t, const struct tess_arg *a,
                        tess_error_t *err)
{
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        if (dp->kind != TESS_P_DATA || !dp->out || dp->data->kind == DAG_FILE)
            continue;
        size_t bytes = param_bytes(dp);
        void *buf = malloc(bytes ? bytes : 1);
        if (!buf)
            return tess_errprintf(err, "out of memory (%zu bytes)", bytes);
        memcpy(buf, a[i].buf, bytes);
        dp->out->payload = buf;
    }
    return 0;
}

/* A run that can be resumed keeps its large outputs in fragment files, as
 * MPI workers do (small ones go into the journal). */
static int persist_outputs(xthreads_t *xt, dag_task_t *t,
                           const struct tess_arg *a, tess_error_t *err)
{
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        if (dp->kind != TESS_P_DATA || !dp->out || dp->data->kind == DAG_FILE ||
            param_bytes(dp) <= INLINE_MAX)
            continue;
        char path[PATH_MAX];
        if (h5frag_path(path, sizeof(path), xt->run_dir, dp->data->id,
                        dp->out->number) < 0)
            return tess_errprintf(err, "fragment path too long");
        if (h5frag_write2(path, dp->data->type, dp->rank, dp->box,
                          dp->box + dp->rank, a[i].buf, xt->frag_flags,
                          err) < 0)
            return -1;
    }
    return 0;
}

static int state_of(int sandbox_state)
{
    switch (sandbox_state) {
    case SANDBOX_OK:
        return EXEC_OK;
    case SANDBOX_FAILED:
        return EXEC_FAILED;
    case SANDBOX_CRASHED:
        return EXEC_CRASHED;
    case SANDBOX_TIMEOUT:
        return EXEC_TIMEOUT;
    }
    return EXEC_ERROR;
}

static void run_job(void *ctx, runner_job_t *rj, int slot)
{
    xthreads_t *xt = ctx;
    struct tjob *j = (struct tjob *)rj;
    dag_task_t *t = j->t;
    int n = t->nparams;
    tess_error_t err;
    struct tess_arg stack_args[16];
    void *stack_tmp[16];
    struct tess_arg *a = stack_args;
    void **tmp = stack_tmp;
    char *msg = j->msg;
    j->state = EXEC_ERROR;
    j->msg[0] = '\0';
    j->start_ns = clock_wall_ns();
    if (n > 16) {
        a = calloc((size_t)n, sizeof(*a));
        tmp = calloc((size_t)n, sizeof(*tmp));
        if (!a || !tmp) {
            snprintf(j->msg, MSG_LEN, "out of memory");
            goto out;
        }
    }
    memset(a, 0, sizeof(*a) * (size_t)n);
    memset(tmp, 0, sizeof(*tmp) * (size_t)n);
    int isolate = j->isolate && sandbox_isolates(xt->sandbox);
    if ((isolate ? args_arena(xt, slot, t, a, &msg, &err)
                 : args_inproc(xt, t, a, tmp, &err)) < 0) {
        snprintf(j->msg, MSG_LEN, "%s", err.text);
        goto out;
    }
    struct tess_args args = {.kernel = j->kernel, .task_id = t->id, .n = n,
                             .a = a, .msg = msg, .msglen = MSG_LEN};
    sandbox_call_t call = {.kernel = j->kernel, .fn = j->fn, .args = &args,
                           .isolate = isolate, .timeout_ms = j->timeout_ms,
                           .memory_mb = j->memory_mb};
    sandbox_result_t res;
    j->start_ns = clock_wall_ns();
    sandbox_run(xt->sandbox, slot, &call, &res);
    j->end_ns = clock_wall_ns();
    j->state = state_of(res.state);
    j->code = res.code;
    if (msg != j->msg)
        snprintf(j->msg, MSG_LEN, "%s", msg);
    if (j->state == EXEC_OK && xt->run_dir &&
        persist_outputs(xt, t, a, &err) < 0) {
        j->state = EXEC_ERROR;
        snprintf(j->msg, MSG_LEN, "%s", err.text);
    }
    if (j->state == EXEC_OK) {
        if (isolate && copy_outputs(t, a, &err) < 0) {
            j->state = EXEC_ERROR;
            snprintf(j->msg, MSG_LEN, "%s", err.text);
        } else if (!isolate) {
            /* the buffers of written versions are theirs now */
            for (int i = 0; i < n; i++) {
                dag_param_t *dp = &t->params[i];
                if (dp->kind == TESS_P_DATA && dp->out &&
                    dp->data->kind != DAG_FILE) {
                    dp->out->payload = tmp[i];
                    tmp[i] = NULL;
                }
            }
        }
    }
out:
    if (!j->end_ns)
        j->end_ns = clock_wall_ns();
    for (int i = 0; i < n && tmp; i++)
        free(tmp[i]);
    if (a != stack_args)
        free(a);
    if (tmp != stack_tmp)
        free(tmp);
}

/* ---- engine-thread side --------------------------------------------------- */

static int xt_dispatch(exec_t *x, dag_task_t *list)
{
    xthreads_t *xt = (xthreads_t *)x;
    runner_job_t *head = NULL, *tail = NULL;
    for (dag_task_t *t = list; t; t = t->next) {
        struct tjob *j = pool_alloc(xt->jobs);
        if (!j) {
            runner_push(xt->runner, head);
            return -1; /* tasks stay with the engine; it fails the run */
        }
        const kclass_t *c = t->kclass;
        uint32_t k = c ? kclass_kernel_for(c, "default") : t->kernel;
        memset(j, 0, offsetof(struct tjob, msg));
        j->t = t;
        j->fn = kreg_fn(xt->kernels, k);
        j->kernel = kreg_name(xt->kernels, k);
        j->timeout_ms = c ? c->timeout_ms : 0;
        j->memory_mb = c ? c->memory_mb : 0;
        j->isolate = c && c->isolation == TESS_ISOLATION_PROCESS   ? 1
                     : c && c->isolation == TESS_ISOLATION_NONE    ? 0
                                                                    : xt->isolate_default;
        if (j->timeout_ms)
            j->isolate = 1;
        t->exec = j;
        if (tail)
            tail->next = &j->base;
        else
            head = &j->base;
        tail = &j->base;
    }
    runner_push(xt->runner, head);
    return 0;
}

static void report(xthreads_t *xt, struct tjob *j, exec_done_f done, void *ctx)
{
    dag_task_t *t = j->t;
    t->exec = NULL;
    t->next = NULL;
    int ran = j->state != EXEC_NOT_RUN;
    exec_result_t r = {.state = j->state, .code = j->code, .msg = j->msg,
                       .worker = ran ? 0 : -1, .windex = ran ? 0 : -1,
                       .slot = j->base.slot,
                       .node = xt->host, .arch = "default",
                       .kernel = j->kernel, .start_ns = ran ? j->start_ns : 0,
                       .end_ns = ran ? j->end_ns : 0};
    xt->done += ran;
    pool_free(xt->jobs, j);
    done(ctx, t, &r);
}

static int xt_poll(exec_t *x, int block, exec_done_f done, void *ctx)
{
    xthreads_t *xt = (xthreads_t *)x;
    runner_job_t *list = runner_take_done(xt->runner);
    /* bounded: the run looks at its deadline, cancellation and status file
     * between waits */
    if (!list && block && runner_wait_done(xt->runner, 500000000L))
        list = runner_take_done(xt->runner);
    int n = 0;
    while (list) {
        struct tjob *j = (struct tjob *)list;
        list = list->next;
        report(xt, j, done, ctx);
        n++;
    }
    return n;
}

static int xt_unqueue(exec_t *x, exec_done_f done, void *ctx, const char *msg)
{
    xthreads_t *xt = (xthreads_t *)x;
    runner_job_t *list = runner_take_queued(xt->runner);
    int n = 0;
    while (list) {
        struct tjob *j = (struct tjob *)list;
        list = list->next;
        j->state = EXEC_NOT_RUN;
        snprintf(j->msg, MSG_LEN, "%s", msg);
        report(xt, j, done, ctx);
        n++;
    }
    return n;
}

static int xt_read(exec_t *x, const dag_version_t *v, const region_t *piece,
                   void *dst, const int64_t *dst_shape,
                   const int64_t *dst_start, tess_error_t *err)
{
    (void)x;
    int r = v->data->rank;
    int64_t vstart[TESS_MAX_RANK];
    if (!v->payload)
        return 0; /* zeros; the caller zero-filled dst */
    for (int d = 0; d < r; d++)
        vstart[d] = piece->start[d] - v->box[d];
    if (box_copy(tess_type_size(v->data->type), r, v->payload, v->box + r,
                 vstart, dst, dst_shape, dst_start, piece->count) < 0)
        return tess_errprintf(err, "%s: internal error copying version %u",
                              v->data->name, v->number);
    return 0;
}

static int xt_publish_file(exec_t *x, const dag_version_t *v,
                           tess_error_t *err)
{
    (void)x;
    if (v->number == 0 || !v->payload)
        return 0; /* the user's file itself */
    return filever_publish(v->payload, v->data->name, err);
}

static int xt_init_version(exec_t *x, dag_version_t *v, void *buf,
                           tess_error_t *err)
{
    (void)x;
    if (v->data->kind == DAG_FILE) {
        if (!(v->payload = strdup(v->data->name)))
            return tess_errprintf(err, "out of memory");
        return 0;
    }
    v->payload = buf;
    return 0;
}

static size_t version_bytes(const dag_version_t *v)
{
    region_t reg;
    box_get(v->data->rank, v->box, &reg);
    return (size_t)region_volume(&reg) * tess_type_size(v->data->type);
}

static void xt_version_free(exec_t *x, dag_version_t *v)
{
    xthreads_t *xt = (xthreads_t *)x;
    int keep = x->keep_files && v->number > 0;
    if (v->data->kind == DAG_FILE && v->number > 0 && v->payload && !keep)
        unlink(v->payload);
    if (v->data->kind != DAG_FILE && xt->run_dir && v->number > 0 &&
        v->payload && !keep && version_bytes(v) > INLINE_MAX) {
        char path[PATH_MAX];
        if (h5frag_path(path, sizeof(path), xt->run_dir, v->data->id,
                        v->number) == 0)
            h5frag_remove(path);
    }
    free(v->payload);
    v->payload = NULL;
}

static void xt_locate(exec_t *x, const dag_version_t *v, exec_vloc_t *loc)
{
    xthreads_t *xt = (xthreads_t *)x;
    memset(loc, 0, sizeof(*loc));
    if (!v->payload) {
        loc->kind = EXEC_V_ZERO;
    } else if (v->data->kind == DAG_FILE) {
        loc->kind = EXEC_V_FILE;
        loc->path = v->payload;
    } else if (xt->run_dir && version_bytes(v) > INLINE_MAX) {
        loc->kind = EXEC_V_FRAG;
    } else {
        loc->kind = EXEC_V_INLINE;
        loc->bytes = v->payload;
        loc->len = version_bytes(v);
    }
}

static int xt_adopt(exec_t *x, dag_version_t *v, const exec_vloc_t *loc,
                    tess_error_t *err)
{
    xthreads_t *xt = (xthreads_t *)x;
    v->payload = NULL;
    if (loc->kind == EXEC_V_ZERO)
        return 0;
    if (loc->kind == EXEC_V_FILE) {
        if (!(v->payload = strdup(loc->path ? loc->path : "")))
            return tess_errprintf(err, "out of memory");
        return 0;
    }
    size_t bytes = version_bytes(v);
    void *buf = malloc(bytes ? bytes : 1);
    if (!buf)
        return tess_errprintf(err, "out of memory (%zu bytes)", bytes);
    if (loc->kind == EXEC_V_INLINE) {
        if (loc->len != bytes) {
            free(buf);
            return tess_errprintf(err, "%s: the journal holds %zu bytes of "
                                  "version %u, not %zu", v->data->name,
                                  loc->len, v->number, bytes);
        }
        memcpy(buf, loc->bytes, bytes);
    } else {
        /* values are kept in memory here: read the fragment back */
        char path[PATH_MAX];
        int r = v->data->rank;
        int64_t zero[TESS_MAX_RANK] = {0};
        if (!xt->run_dir ||
            h5frag_path(path, sizeof(path), xt->run_dir, v->data->id,
                        v->number) < 0 ||
            h5frag_read(path, v->data->type, r, v->box, v->box + r, buf,
                        v->box + r, zero, err) < 0) {
            free(buf);
            return -1;
        }
    }
    v->payload = buf;
    return 0;
}

static int xt_version_path(exec_t *x, const dag_version_t *v, char *buf,
                           size_t len)
{
    xthreads_t *xt = (xthreads_t *)x;
    if (!v->payload)
        return -1;
    if (v->data->kind == DAG_FILE)
        return snprintf(buf, len, "%s", (const char *)v->payload) < (int)len
                   ? 0
                   : -1;
    if (xt->run_dir && version_bytes(v) > INLINE_MAX)
        return h5frag_path(buf, len, xt->run_dir, v->data->id, v->number);
    return -1;
}

static int xt_fill_defaults(exec_t *x, dag_task_t *t, tess_error_t *err)
{
    (void)x;
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        if (dp->kind != TESS_P_DATA || !dp->out)
            continue;
        if (dp->data->kind != DAG_FILE) {
            free(dp->out->payload); /* zeros */
            dp->out->payload = NULL;
            continue;
        }
        if (!dp->out->payload)
            continue;
        const char *from = dp->dir == TESS_INOUT ? dp->src[0].v->payload
                                                 : "/dev/null";
        if (filever_copy(from, dp->out->payload, err) < 0)
            return -1;
    }
    return 0;
}

static void xt_describe(exec_t *x, char *archs, size_t len, int *max_slots,
                        int64_t *max_memory_mb)
{
    xthreads_t *xt = (xthreads_t *)x;
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    snprintf(archs, len, "default");
    *max_slots = xt->nslots;
    *max_memory_mb = pages > 0 && size > 0
                         ? (int64_t)pages * size / (1024 * 1024) : 0;
}

static int xt_worker_info(exec_t *x, int i, exec_worker_t *out)
{
    xthreads_t *xt = (xthreads_t *)x;
    if (i != 0)
        return -1;
    size_t running = 0;
    runner_counts(xt->runner, NULL, &running);
    out->rank = 0;
    snprintf(out->node, sizeof(out->node), "%s", xt->host);
    snprintf(out->arch, sizeof(out->arch), "default");
    out->slots = xt->nslots;
    out->running = (int)running;
    out->done = xt->done;
    out->pid = getpid();
    return 0;
}

static void xt_destroy(exec_t *x)
{
    xthreads_t *xt = (xthreads_t *)x;
    if (!xt)
        return;
    runner_destroy(xt->runner);
    sandbox_destroy(xt->sandbox);
    pool_destroy(xt->jobs);
    free(xt->workdir);
    free(xt->run_dir);
    free(xt);
}

static const exec_ops_t threads_ops = {
    .name = "threads",
    .dispatch = xt_dispatch,
    .poll = xt_poll,
    .unqueue = xt_unqueue,
    .read = xt_read,
    .publish_file = xt_publish_file,
    .init_version = xt_init_version,
    .version_free = xt_version_free,
    .describe = xt_describe,
    .worker_info = xt_worker_info,
    .fill_defaults = xt_fill_defaults,
    .locate = xt_locate,
    .adopt = xt_adopt,
    .version_path = xt_version_path,
    .destroy = xt_destroy,
};

exec_t *exec_threads_create(int nthreads, const kreg_t *kernels,
                            const char *workdir, tess_isolation_t isolation,
                            const char *log_dir, const char *run_dir,
                            tess_error_t *err)
{
    xthreads_t *xt = calloc(1, sizeof(*xt));
    if (!xt) {
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    xt->base.ops = &threads_ops;
    xt->kernels = kernels;
    xt->nslots = nthreads;
    xt->isolate_default = isolation == TESS_ISOLATION_PROCESS;
    gethostname(xt->host, sizeof(xt->host) - 1);
    xt->workdir = strdup(workdir);
    xt->jobs = pool_create(sizeof(struct tjob));
    const char *sync = getenv("TESS_FSYNC");
    xt->frag_flags = sync && strcmp(sync, "0") == 0 ? H5FRAG_NOSYNC : 0;
    if (run_dir && !(xt->run_dir = strdup(run_dir))) {
        tess_errprintf(err, "out of memory");
        xt_destroy(&xt->base);
        return NULL;
    }
    if (!xt->workdir || !xt->jobs) {
        tess_errprintf(err, "out of memory");
        xt_destroy(&xt->base);
        return NULL;
    }
    long spin_ns = backoff_spin_ns();
    const char *iso = getenv("TESS_ISOLATION");
    /* The executors' fork server first, before the slot threads. */
    /* a slot's share of the memory, as on MPI workers: TESS_MEMORY_MB,
     * else the machine's */
    const char *mem = getenv("TESS_MEMORY_MB");
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    int64_t total = mem && *mem ? strtoll(mem, NULL, 10) : 0;
    if (total <= 0)
        total = pages > 0 && psize > 0 ? (int64_t)pages * psize / (1024 * 1024)
                                       : 0;
    int64_t share = total / nthreads;
    sandbox_config_t sc = {.nslots = nthreads, .kernels = kernels,
                           .processes = isolation != TESS_ISOLATION_NONE &&
                                        !(iso && strcmp(iso, "none") == 0),
                           .spin_ns = spin_ns,
                           .memory_mb = share > 1024 ? share : 1024};
    if (!(xt->sandbox = sandbox_create(&sc, err)) ||
        (log_dir && sandbox_set_log(xt->sandbox, log_dir, "local.") < 0 &&
         tess_errprintf(err, "%s: cannot write executor logs: %s", log_dir,
                        strerror(errno))) ||
        !(xt->runner = runner_create(nthreads, run_job, xt, spin_ns, err))) {
        xt_destroy(&xt->base);
        return NULL;
    }
    return &xt->base;
}
