/* run.c - tess_run: submission, progress, waits, and the public API. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/namelist.h"
#include "engine/dot.h"
#include "engine/kclass.h"
#include "io/h5input.h"
#include "io/h5result.h"
#include "runtime/run.h"

struct tess_run {
    tess_config_t cfg;
    dag_t *dag;
    kreg_t *kernels;
    exec_t *exec;
    dot_t *dot;
    kclasses_t *classes;
    char archs[256];  /* the executor's workers' architectures */
    int max_slots;
    int64_t max_memory_mb;
    char *workdir;
    int own_workdir;
    uint64_t in_flight; /* submitted, not yet completed */
    uint64_t running;   /* handed to the executor, not yet completed */
    uint64_t done_ok;   /* completed successfully */
    uint64_t not_run;   /* given up because the run was stopped */
    int stopped;        /* past the deadline: no task starts any more */
    int failed;
    char error[512];
};

void tess_config_init(tess_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_in_flight = 1u << 16;
}

static void run_fail(tess_run_t *run, const char *fmt, const char *detail)
{
    if (run->error[0])
        return; /* the first error is the one that explains the others */
    snprintf(run->error, sizeof(run->error), fmt, detail);
}

/* ---- dag hooks ---------------------------------------------------------- */

static void hook_version_free(void *ctx, dag_version_t *v)
{
    tess_run_t *run = ctx;
    run->exec->ops->version_free(run->exec, v);
}

static void hook_trace_task(void *ctx, const dag_task_t *t)
{
    tess_run_t *run = ctx;
    dot_task(run->dot, t->id, kreg_name(run->kernels, t->kernel),
             t->flags & TESS_PRIORITY);
}

static void hook_trace_edge(void *ctx, uint64_t from, const dag_task_t *to,
                            const dag_version_t *v)
{
    tess_run_t *run = ctx;
    dot_edge(run->dot, from, to->id, v->data->name, v->number);
}

/* ---- life cycle --------------------------------------------------------- */

static int make_workdir(tess_run_t *run, tess_error_t *err)
{
    if (run->cfg.run_dir) {
        size_t n = strlen(run->cfg.run_dir) + 16;
        if (!(run->workdir = malloc(n)))
            return tess_errprintf(err, "out of memory");
        mkdir(run->cfg.run_dir, 0755);
        snprintf(run->workdir, n, "%s/files", run->cfg.run_dir);
        if (mkdir(run->workdir, 0755) < 0 && errno != EEXIST)
            return tess_errprintf(err, "%s: cannot create: %s", run->workdir,
                                  strerror(errno));
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    size_t n = strlen(tmp ? tmp : "/tmp") + 32;
    if (!(run->workdir = malloc(n)))
        return tess_errprintf(err, "out of memory");
    snprintf(run->workdir, n, "%s/tessera.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(run->workdir))
        return tess_errprintf(err, "%s: cannot create: %s", run->workdir,
                              strerror(errno));
    run->own_workdir = 1;
    return 0;
}

static exec_t *make_threads(void *arg, tess_run_t *run, tess_error_t *err)
{
    (void)arg;
    return exec_threads_create(run->cfg.nthreads, run->kernels, run->workdir,
                               err);
}

tess_run_t *tess_run_create(const tess_config_t *cfg, tess_error_t *err)
{
    return run_create(cfg, make_threads, NULL, err);
}

const char *run_dir(const tess_run_t *run)
{
    return run->cfg.run_dir;
}

const char *tess_run_dir(const tess_run_t *run)
{
    return run->cfg.run_dir;
}

const char *run_workdir(const tess_run_t *run)
{
    return run->workdir;
}

exec_t *run_exec(tess_run_t *run)
{
    return run->exec;
}

tess_run_t *run_create(const tess_config_t *cfg, run_exec_f make_exec,
                       void *arg, tess_error_t *err)
{
    tess_run_t *run = calloc(1, sizeof(*run));
    if (!run) {
        tess_errprintf(err, "out of memory");
        return NULL;
    }
    if (cfg)
        run->cfg = *cfg;
    else
        tess_config_init(&run->cfg);
    if (run->cfg.nthreads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        run->cfg.nthreads = n > 0 ? (int)n : 1;
    }
    if (run->cfg.max_in_flight == 0)
        run->cfg.max_in_flight = 1u << 16;
    if (run->cfg.deadline_margin <= 0)
        run->cfg.deadline_margin = 30;
    /* Strings in the config are borrowed by the caller only until here. */
    run->cfg.dot_path = NULL;
    run->cfg.run_dir = NULL;
    if (cfg && cfg->run_dir && !(run->cfg.run_dir = strdup(cfg->run_dir))) {
        tess_errprintf(err, "out of memory");
        goto error;
    }

    dag_hooks_t hooks = {.ctx = run, .version_free = hook_version_free};
    if (cfg && cfg->dot_path) {
        if (!(run->dot = dot_open(cfg->dot_path, err)))
            goto error;
        hooks.trace_task = hook_trace_task;
        hooks.trace_edge = hook_trace_edge;
    }
    if (make_workdir(run, err) < 0)
        goto error;
    run->kernels = kreg_create();
    run->dag = dag_create(&hooks);
    run->classes = kclasses_create();
    if (!run->kernels || !run->dag || !run->classes ||
        kreg_add_path(run->kernels, getenv("TESS_KERNEL_PATH")) < 0) {
        tess_errprintf(err, "out of memory");
        goto error;
    }
    run->exec = make_exec(arg, run, err);
    if (!run->exec)
        goto error;
    run->exec->ops->describe(run->exec, run->archs, sizeof(run->archs),
                             &run->max_slots, &run->max_memory_mb);
    return run;
error:
    tess_run_destroy(run, NULL);
    return NULL;
}

static int publish_files(tess_run_t *run, tess_error_t *err);

int tess_run_destroy(tess_run_t *run, tess_error_t *err)
{
    int saved = errno, rc = 0;
    if (!run)
        return 0;
    if (run->exec) {
        if (tess_barrier(run, err) < 0)
            rc = -1;
        if (publish_files(run, rc ? NULL : err) < 0)
            rc = -1;
    }
    /* The dag frees versions through the executor: dag first. */
    dag_destroy(run->dag);
    if (run->exec)
        run->exec->ops->destroy(run->exec);
    kreg_destroy(run->kernels);
    kclasses_destroy(run->classes);
    if (dot_close(run->dot) < 0 && rc == 0) {
        tess_errprintf(err, "%s: writing the graph failed", "dot");
        rc = -1;
    }
    if (run->own_workdir)
        rmdir(run->workdir);
    free(run->workdir);
    free((char *)run->cfg.run_dir);
    free(run);
    errno = saved;
    return rc;
}

kreg_t *run_kernels(tess_run_t *run)
{
    return run->kernels;
}

int tess_register_kernel(tess_run_t *run, const char *name, tess_kernel_f fn)
{
    return kreg_register(run->kernels, name, fn);
}

const char *tess_run_error(const tess_run_t *run)
{
    return run->error;
}

void tess_run_stats(const tess_run_t *run, tess_stats_t *st)
{
    dag_stats_t ds;
    dag_get_stats(run->dag, &ds);
    st->submitted = ds.submitted;
    st->completed = ds.completed;
    st->edges = ds.edges;
    st->versions = ds.versions;
    st->live_tasks = ds.live_tasks;
    st->peak_live_tasks = ds.peak_live_tasks;
    st->live_versions = ds.live_versions;
    st->engine_bytes = ds.bytes;
}

/* ---- progress ----------------------------------------------------------- */

/* Why tasks end without running once the deadline stopped the run. */
static const char not_run_msg[] = "not run: the run was stopped";

/* A task is over, run or not: the dag learns it, the counters follow. */
static void task_over(tess_run_t *run, dag_task_t *t, int ok, const char *msg)
{
    if (!ok) {
        run->failed = 1;
        /* Tasks not run because of the deadline are reported by its own
         * message (stop_at_deadline), not as failures. */
        if (msg != not_run_msg && !(run->stopped && !msg)) {
            char buf[400];
            snprintf(buf, sizeof(buf), "task %llu (%s) failed: %s",
                     (unsigned long long)t->id,
                     kreg_name(run->kernels, t->kernel),
                     msg ? msg : "cancelled");
            run_fail(run, "%s", buf);
        }
    }
    dag_complete(run->dag, t, ok);
    run->in_flight--;
    run->done_ok += ok != 0;
    run->not_run += msg == not_run_msg;
}

/* Completion of a task the executor ran. */
static void on_done(void *ctx, dag_task_t *t, int ok, const char *msg)
{
    tess_run_t *run = ctx;
    run->running--;
    task_over(run, t, ok, msg);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Stopped (deadline or failure), once nothing runs: every remaining task
 * is reported as not run (their successors follow as their inputs fail).
 * After a failure, the failure stays the run's message. */
static void stop_at_deadline(tess_run_t *run)
{
    dag_task_t *t;
    run->failed = 1;
    while ((t = dag_pop_ready(run->dag)) != NULL)
        task_over(run, t, 0, not_run_msg);
    char buf[300];
    snprintf(buf, sizeof(buf),
             "stopped %.0f s before the wall-time limit: %llu tasks done, "
             "%llu not run; the results are incomplete",
             run->cfg.deadline - wall_now(), (unsigned long long)run->done_ok,
             (unsigned long long)run->not_run);
    run_fail(run, "%s", buf); /* unless a task failed first */
}

/* Hand every ready task to the executor; doomed ones (an input failed)
 * complete as failed here without running. */
static int dispatch_ready(tess_run_t *run)
{
    dag_task_t *head = NULL, *tail = NULL, *t;
    /* A failed task stops the run (its results are unusable anyway), as
     * does the approaching wall-time limit: nothing new starts. */
    if (!run->stopped &&
        (run->failed || (run->cfg.deadline > 0 &&
                         wall_now() >= run->cfg.deadline -
                                           run->cfg.deadline_margin))) {
        run->stopped = 1;
        /* Dispatched but not started: they will not start now. */
        run->exec->ops->unqueue(run->exec, on_done, run, not_run_msg);
    }
    if (run->stopped) {
        if (run->running == 0)
            stop_at_deadline(run);
        return 0;
    }
    while ((t = dag_pop_ready(run->dag)) != NULL) {
        if (t->flags & DAG_TASK_DOOMED) {
            task_over(run, t, 0, "an input could not be computed");
            continue;
        }
        run->running++;
        t->next = NULL;
        if (tail)
            tail->next = t;
        else
            head = t;
        tail = t;
    }
    if (head && run->exec->ops->dispatch(run->exec, head) < 0) {
        run->failed = 1;
        run_fail(run, "%s", "executor: cannot dispatch tasks (out of memory)");
        return -1;
    }
    return 0;
}

int run_progress(tess_run_t *run, int block)
{
    if (dispatch_ready(run) < 0)
        return -1;
    if (run->in_flight == 0)
        return 0;
    /* Only sleep when something runs that will wake us. */
    int n = run->exec->ops->poll(run->exec, block && run->running > 0,
                                 on_done, run);
    if (n < 0)
        return -1;
    /* Completions may have made tasks ready. */
    return dispatch_ready(run);
}

/* ---- data ---------------------------------------------------------------- */

tess_data_t tess_array(tess_run_t *run, const char *name, tess_type_t type,
                       int rank, const int64_t *shape, const void *init,
                       tess_error_t *err)
{
    dag_version_t *v0;
    if (!name) {
        errno = EINVAL;
        tess_errprintf(err, "array without a name");
        return 0;
    }
    dag_data_t *d = dag_array(run->dag, name, type, rank, shape, &v0, err);
    if (!d)
        return 0;
    void *copy = NULL;
    if (init) {
        region_t full;
        region_full(&full, rank, shape);
        size_t bytes = (size_t)region_volume(&full) * tess_type_size(type);
        copy = malloc(bytes ? bytes : 1);
        if (!copy) {
            dag_delete(run->dag, d);
            errno = ENOMEM;
            tess_errprintf(err, "array '%s': out of memory (%zu bytes)", name,
                           bytes);
            return 0;
        }
        memcpy(copy, init, bytes);
    }
    if (run->exec->ops->init_version(run->exec, v0, copy, err) < 0) {
        dag_delete(run->dag, d);
        return 0;
    }
    return d->id;
}

tess_data_t tess_file(tess_run_t *run, const char *path, tess_error_t *err)
{
    dag_version_t *v0;
    if (!path || !*path) {
        errno = EINVAL;
        tess_errprintf(err, "file without a path");
        return 0;
    }
    dag_data_t *d = dag_file(run->dag, path, &v0, err);
    if (!d)
        return 0;
    if (run->exec->ops->init_version(run->exec, v0, NULL, err) < 0) {
        dag_delete(run->dag, d);
        return 0;
    }
    return d->id;
}

int tess_delete(tess_run_t *run, tess_data_t data)
{
    dag_data_t *d = dag_data_get(run->dag, data);
    if (!d) {
        errno = ENOENT;
        return -1;
    }
    /* A file's last version is the user's file: publish it first. */
    if (d->kind == DAG_FILE && tess_wait_on_file(run, data, NULL) < 0)
        return -1;
    return dag_delete(run->dag, d);
}

const char *tess_run_archs(const tess_run_t *run)
{
    return run->archs;
}

/* The class of a task with options: kernels resolved, satisfiability
 * checked against the run's workers. NULL with err (and the run's error). */
static const kclass_t *task_class(tess_run_t *run, const char *kernel,
                                  uint32_t k, const tess_task_opts_t *o,
                                  tess_error_t *err)
{
    int cpus = o->cpus > 0 ? o->cpus : 1;
    if (o->nimpls < 0 || o->nimpls > 64) {
        errno = EINVAL;
        tess_errprintf(err, "task %s: %d implementations", kernel, o->nimpls);
        return NULL;
    }
    if (o->arch && !namelist_contains(run->archs, o->arch)) {
        errno = EINVAL;
        tess_errprintf(err, "task %s needs architecture '%s' but the workers "
                       "have: %s", kernel, o->arch, run->archs);
        return NULL;
    }
    if (cpus > run->max_slots) {
        errno = EINVAL;
        tess_errprintf(err, "task %s needs %d cpus but workers have at most %d",
                       kernel, cpus, run->max_slots);
        return NULL;
    }
    if (o->memory_mb > 0 && run->max_memory_mb > 0 &&
        o->memory_mb > run->max_memory_mb) {
        errno = EINVAL;
        tess_errprintf(err, "task %s needs %lld MiB of memory but workers have "
                       "at most %lld", kernel, (long long)o->memory_mb,
                       (long long)run->max_memory_mb);
        return NULL;
    }
    const char *archs[64];
    uint32_t kernels[64];
    for (int i = 0; i < o->nimpls; i++) {
        if (!o->impls[i].arch || !o->impls[i].kernel) {
            errno = EINVAL;
            tess_errprintf(err, "task %s: implementation %d without arch or "
                           "kernel", kernel, i);
            return NULL;
        }
        archs[i] = o->impls[i].arch;
        if (kreg_resolve(run->kernels, o->impls[i].kernel, &kernels[i], err) < 0)
            return NULL;
    }
    const kclass_t *c = kclasses_intern(run->classes, k, o->arch, cpus,
                                        o->memory_mb, o->nimpls, archs,
                                        kernels);
    if (!c) {
        errno = ENOMEM;
        tess_errprintf(err, "task %s: out of memory", kernel);
    }
    return c;
}

uint64_t tess_submit2(tess_run_t *run, const char *kernel,
                      const tess_task_opts_t *opts, int nparams,
                      const tess_param_t *params, tess_error_t *err)
{
    tess_error_t local;
    uint32_t k;
    const kclass_t *kc = NULL;
    unsigned flags = opts ? opts->flags : 0;
    if (!err)
        err = &local;
    if (!kernel || kreg_resolve(run->kernels, kernel, &k, err) < 0) {
        if (!kernel)
            tess_errprintf(err, "task without a kernel name");
        run_fail(run, "%s", err->text);
        return 0;
    }
    if (opts && (opts->arch || opts->cpus > 1 || opts->memory_mb > 0 ||
                 opts->nimpls) &&
        !(kc = task_class(run, kernel, k, opts, err))) {
        run_fail(run, "%s", err->text);
        return 0;
    }
    /* Bound the tasks in flight, and so the engine's memory. */
    while (run->in_flight >= run->cfg.max_in_flight)
        if (run_progress(run, 1) < 0)
            break;
    dag_task_t *t = dag_submit(run->dag, k, kernel, flags, nparams, params,
                               err);
    if (!t) {
        run_fail(run, "%s", err->text);
        return 0;
    }
    t->kclass = kc;
    run->in_flight++;
    uint64_t id = t->id;
    run_progress(run, 0);
    return id;
}

uint64_t tess_submit(tess_run_t *run, const char *kernel, unsigned flags,
                     int nparams, const tess_param_t *params,
                     tess_error_t *err)
{
    tess_task_opts_t o = {.flags = flags};
    return tess_submit2(run, kernel, &o, nparams, params, err);
}

/* ---- waits ---------------------------------------------------------------- */

struct scan {
    int pending, failed, zeros;
};

static int scan_piece(void *ctx, dag_version_t *v, const region_t *piece)
{
    (void)piece;
    struct scan *s = ctx;
    if (v->state == DAG_V_PENDING)
        s->pending = 1;
    else if (v->state == DAG_V_FAILED)
        s->failed = 1;
    if (!v->payload)
        s->zeros = 1;
    return 0;
}

/* Wait until every piece of d is computed; -1 if one cannot be. */
static int wait_data(tess_run_t *run, dag_data_t *d, struct scan *s,
                     tess_error_t *err)
{
    for (;;) {
        memset(s, 0, sizeof(*s));
        dag_current(run->dag, d, NULL, scan_piece, s);
        if (s->failed) {
            errno = EIO;
            return tess_errprintf(err, "%s: its value could not be computed: %s",
                                  d->name, run->error);
        }
        if (!s->pending)
            return 0;
        if (run_progress(run, 1) < 0) {
            errno = EIO;
            return tess_errprintf(err, "%s: %s", d->name, run->error);
        }
    }
}

struct readctx {
    tess_run_t *run;
    dag_data_t *d;
    void *buf;
    tess_error_t *err;
};

static int read_piece(void *ctx, dag_version_t *v, const region_t *piece)
{
    struct readctx *rc = ctx;
    return rc->run->exec->ops->read(rc->run->exec, v, piece, rc->buf,
                                    rc->d->shape, piece->start, rc->err);
}

int tess_wait_on(tess_run_t *run, tess_data_t data, void *buf,
                 tess_error_t *err)
{
    struct scan s;
    dag_data_t *d = dag_data_get(run->dag, data);
    if (!d || d->kind != DAG_ARRAY) {
        errno = ENOENT;
        return tess_errprintf(err, "wait_on: handle %llu is not an array of "
                              "this run", (unsigned long long)data);
    }
    if (wait_data(run, d, &s, err) < 0)
        return -1;
    if (s.zeros) {
        region_t full;
        region_full(&full, d->rank, d->shape);
        memset(buf, 0, (size_t)region_volume(&full) * tess_type_size(d->type));
    }
    struct readctx rc = {run, d, buf, err};
    return dag_current(run->dag, d, NULL, read_piece, &rc) ? -1 : 0;
}

static int publish_piece(void *ctx, dag_version_t *v, const region_t *piece)
{
    (void)piece;
    struct readctx *rc = ctx;
    return rc->run->exec->ops->publish_file(rc->run->exec, v, rc->err);
}

int tess_wait_on_file(tess_run_t *run, tess_data_t data, tess_error_t *err)
{
    struct scan s;
    dag_data_t *d = dag_data_get(run->dag, data);
    if (!d || d->kind != DAG_FILE) {
        errno = ENOENT;
        return tess_errprintf(err, "wait_on_file: handle %llu is not a file "
                              "of this run", (unsigned long long)data);
    }
    if (wait_data(run, d, &s, err) < 0)
        return -1;
    struct readctx rc = {run, d, NULL, err};
    return dag_current(run->dag, d, NULL, publish_piece, &rc) ? -1 : 0;
}

static int publish_files(tess_run_t *run, tess_error_t *err)
{
    int rc = 0;
    uint64_t n = dag_data_count(run->dag);
    for (uint64_t id = 1; id <= n; id++) {
        dag_data_t *d = dag_data_get(run->dag, id);
        if (d && d->kind == DAG_FILE && tess_wait_on_file(run, id, err) < 0)
            rc = -1;
    }
    return rc;
}

int tess_barrier(tess_run_t *run, tess_error_t *err)
{
    while (run->in_flight > 0)
        if (run_progress(run, 1) < 0)
            break;
    if (run->failed) {
        errno = EIO;
        return tess_errprintf(err, "%s", run->error);
    }
    return 0;
}

/* ---- HDF5 inputs and results ---------------------------------------------- */

tess_data_t tess_array_h5(tess_run_t *run, const char *name, const char *path,
                          const char *dataset, tess_error_t *err)
{
    int rank;
    int64_t dims[TESS_MAX_RANK];
    tess_type_t type;
    if (h5input_probe(path, dataset, &rank, dims, &type, err) < 0)
        return 0;
    if (type == 0 || rank < 1) {
        errno = EINVAL;
        tess_errprintf(err, "%s: dataset %s: element type or rank not "
                       "supported (need u8, i32, i64, f32 or f64, rank 1..%d)",
                       path, dataset, TESS_MAX_RANK);
        return 0;
    }
    region_t full;
    region_full(&full, rank, dims);
    size_t bytes = (size_t)region_volume(&full) * tess_type_size(type);
    void *buf = malloc(bytes ? bytes : 1);
    if (!buf) {
        errno = ENOMEM;
        tess_errprintf(err, "%s: dataset %s: out of memory (%zu bytes)", path,
                       dataset, bytes);
        return 0;
    }
    tess_data_t d = 0;
    if (h5input_read(path, dataset, type, buf, err) == 0)
        d = tess_array(run, name, type, rank, dims, buf, err);
    free(buf);
    return d;
}

int tess_array_shape(tess_run_t *run, tess_data_t data, int64_t *shape,
                     tess_type_t *type)
{
    dag_data_t *d = dag_data_get(run->dag, data);
    if (!d || d->kind != DAG_ARRAY) {
        errno = ENOENT;
        return -1;
    }
    if (shape)
        memcpy(shape, d->shape, sizeof(int64_t) * (size_t)d->rank);
    if (type)
        *type = d->type;
    return d->rank;
}

struct export_ctx {
    tess_run_t *run;
    h5result_t *res;
    dag_data_t *d;
    tess_error_t *err;
};

/* One piece of the current value into the result dataset, through a buffer
 * of the piece's size (zeros need no write: the dataset's fill value). */
static int export_piece(void *ctx, dag_version_t *v, const region_t *piece)
{
    struct export_ctx *c = ctx;
    if (!v->payload)
        return 0;
    size_t bytes = (size_t)region_volume(piece) * tess_type_size(c->d->type);
    void *buf = malloc(bytes ? bytes : 1);
    int64_t zero[TESS_MAX_RANK] = {0};
    if (!buf)
        return tess_errprintf(c->err, "%s: out of memory", c->d->name);
    int rc = c->run->exec->ops->read(c->run->exec, v, piece, buf, piece->count,
                                     zero, c->err);
    if (rc == 0)
        rc = h5result_write_box(c->res, c->d->name, piece->start, piece->count,
                                buf, c->err);
    free(buf);
    return rc < 0 ? -1 : 0;
}

int tess_write_results(tess_run_t *run, const char *path, int n,
                       const tess_data_t *data, const char *workflow,
                       const char *params, tess_error_t *err)
{
    struct scan s;
    for (int i = 0; i < n; i++) {
        dag_data_t *d = dag_data_get(run->dag, data[i]);
        if (!d || d->kind != DAG_ARRAY) {
            errno = ENOENT;
            return tess_errprintf(err, "%s: result %d is not an array of this "
                                  "run", path, i);
        }
        if (wait_data(run, d, &s, err) < 0)
            return -1;
    }
    h5result_t *res = h5result_create(path, err);
    if (!res)
        return -1;
    if (h5result_set_provenance(res, workflow ? workflow : "", params ? params : "",
                                err) < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        dag_data_t *d = dag_data_get(run->dag, data[i]);
        struct export_ctx c = {run, res, d, err};
        if (h5result_add_array(res, d->name, d->type, d->rank, d->shape,
                               run->cfg.result_deflate,
                               err) < 0 ||
            dag_current(run->dag, d, NULL, export_piece, &c) != 0)
            goto fail;
    }
    if (h5result_commit(res, err) < 0)
        goto fail;
    h5result_destroy(res);
    return 0;
fail:
    h5result_abort(res);
    h5result_destroy(res);
    return -1;
}
