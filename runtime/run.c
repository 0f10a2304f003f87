/* run.c - tess_run: submission, progress, failures, waits, the public API. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/hash.h"
#include "base/namelist.h"
#include "engine/dot.h"
#include "engine/kclass.h"
#include "io/h5frag.h"
#include "io/h5input.h"
#include "io/h5result.h"
#include "io/h5trace.h"
#include "io/rundir.h"
#include "io/runstatus.h"
#include "runtime/journal.h"
#include "runtime/persist.h"
#include "runtime/record.h"
#include "runtime/run.h"

/* Why nothing new starts any more. */
enum stop_reason { RUN_GOING = 0, STOP_FAILURE, STOP_DEADLINE, STOP_CANCEL };

struct tess_run {
    tess_config_t cfg;
    dag_t *dag;
    kreg_t *kernels;
    exec_t *exec;
    dot_t *dot;
    record_t *record;
    kclasses_t *classes;
    char archs[256];  /* the executor's workers' architectures */
    int max_slots;
    int64_t max_memory_mb;
    char *workdir;
    int own_workdir;
    uint64_t in_flight; /* submitted, not yet completed */
    uint64_t running;   /* handed to the executor, not yet completed */
    /* how tasks ended */
    uint64_t done_ok, failed, cancelled, not_run, ignored, retried, replayed;
    int stop;           /* enum stop_reason: no task starts any more */
    volatile sig_atomic_t cancel_signal; /* tess_run_cancel() (any thread,
                                            signal handlers): the signal */
    int status_final;   /* the last status was written */
    int program_status; /* the program's exit status (run_set_exit) */
    char name[256];     /* for the record: workflow or program */
    int64_t total;      /* tasks the program will submit, -1 unknown */
    double started;     /* wall clock */
    double next_status; /* monotonic: when to rewrite status.txt */
    double rate_t0;     /* tasks per second over the last period */
    uint64_t rate_n0;
    double rate;
    rundir_lock_t lock; /* when the run owns its directory itself */
    journal_t *journal; /* completed tasks, with a run directory */
    int replaying;      /* the journal has tasks of an earlier run */
    uint64_t journal_ids;  /* distinct tasks in it */
    uint64_t matched;      /* of those, found with the same identity */
    int keep_outputs;   /* destroying a run that did not complete: its
                           files stay for a resume */
    int published;      /* files published, no task submitted since */
    persist_t *persist; /* persistent objects of the store, NULL: none */
    char error[1024];
};

const char tess_undefined[] = "undefined";

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
    char path[4096 + 64];
    /* Versions die when no task needs them any more: their files go once
     * the journal says so durably. Once a task failed or the run stopped,
     * a version also dies when its readers fail or are not run; a resume
     * runs them, and needs it: from then on files stay. */
    if (run->journal && v->number > 0 && !run->keep_outputs &&
        !run_failed(run) &&
        run->exec->ops->version_path(run->exec, v, path, sizeof(path)) == 0)
        journal_drop(run->journal, v->data->id, v->number, path);
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
    record_edge(run->record, from, to->id, v->data->name, v->number);
}

/* ---- life cycle --------------------------------------------------------- */

static int make_workdir(tess_run_t *run, tess_error_t *err)
{
    if (run->cfg.run_dir) {
        size_t n = strlen(run->cfg.run_dir) + 16;
        if (!(run->workdir = malloc(n)))
            return tess_errprintf(err, "out of memory");
        if (mkdir(run->cfg.run_dir, 0755) < 0 && errno != EEXIST)
            return tess_errprintf(err, "run directory %s: cannot create: %s",
                                  run->cfg.run_dir, strerror(errno));
        snprintf(run->workdir, n, "%s/files", run->cfg.run_dir);
        if (mkdir(run->workdir, 0755) < 0 && errno != EEXIST)
            return tess_errprintf(err, "%s: cannot create: %s", run->workdir,
                                  strerror(errno));
        snprintf(run->workdir, n, "%s/logs", run->cfg.run_dir);
        if (mkdir(run->workdir, 0755) < 0 && errno != EEXIST)
            return tess_errprintf(err, "%s: cannot create: %s", run->workdir,
                                  strerror(errno));
        snprintf(run->workdir, n, "%s/files", run->cfg.run_dir);
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

int run_resuming(const tess_run_t *run)
{
    const char *r = getenv("TESS_RESUME");
    return run->cfg.resume || (r && strcmp(r, "1") == 0);
}

/* The journal: a new one, or the one of the run being resumed (whose
 * half-written files are removed first: every file left is complete). */
static int open_journal(tess_run_t *run, tess_error_t *err)
{
    char path[4096 + 16];
    const char *off = getenv("TESS_JOURNAL");
    if (off && strcmp(off, "0") == 0)
        return 0; /* a measuring aid: no journal, nothing to resume from */
    snprintf(path, sizeof(path), "%s/journal", run->cfg.run_dir);
    int resume = run_resuming(run) && access(path, F_OK) == 0;
    static runstatus_t rs; /* large; engine thread */
    tess_error_t ignored;
    if (resume && runstatus_read(run->cfg.run_dir, &rs, &ignored) == 0 &&
        strcmp(rs.state, "completed") == 0) {
        /* its end dropped every version, final ones included: nothing
         * of it can be replayed */
        errno = EEXIST;
        return tess_errprintf(err, "run directory %s holds a completed run: "
                              "nothing to resume (its results are in "
                              "results.h5); choose another directory to run "
                              "again", run->cfg.run_dir);
    }
    if (resume && rundir_clean_temps(run->cfg.run_dir, err) < 0)
        return -1;
    if (!(run->journal = journal_open(run->cfg.run_dir, resume, err)))
        return -1;
    journal_stats_t st;
    journal_stats(run->journal, &st);
    run->replaying = resume && st.tasks > 0;
    run->journal_ids = st.tasks - st.duplicates;
    /* until the earlier run's tasks are all matched, this could be another
     * program: nothing of the earlier run is removed */
    journal_hold(run->journal, run->replaying);
    return 0;
}

static exec_t *make_threads(void *arg, tess_run_t *run, tess_error_t *err)
{
    (void)arg;
    char logs[4096 + 8];
    if (run->cfg.run_dir)
        snprintf(logs, sizeof(logs), "%s/logs", run->cfg.run_dir);
    return exec_threads_create(run->cfg.nthreads, run->kernels, run->workdir,
                               run->cfg.isolation,
                               run->cfg.run_dir ? logs : NULL,
                               run->cfg.run_dir, err);
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

dag_t *run_dag(tess_run_t *run)
{
    return run->dag;
}

persist_t **run_persist(tess_run_t *run)
{
    return &run->persist;
}

void run_set_name(tess_run_t *run, const char *name)
{
    snprintf(run->name, sizeof(run->name), "%s", name ? name : "");
}

void run_set_total(tess_run_t *run, int64_t total)
{
    run->total = total;
}

void run_set_exit(tess_run_t *run, int status)
{
    run->program_status = status;
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
    run->total = -1;
    run->lock.fd = -1;
    run->started = clock_wall_s();
    run->rate_t0 = clock_mono_s();
    /* the program's name until the caller gives a better one */
    FILE *comm = fopen("/proc/self/comm", "r");
    if (comm) {
        if (fgets(run->name, sizeof(run->name), comm))
            run->name[strcspn(run->name, "\n")] = '\0';
        fclose(comm);
    }
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
    }
    if (run->cfg.run_dir && rundir_token_ok(run->cfg.run_dir) &&
        getenv("TESS_RUNDIR_TOKEN") &&
        rundir_lock_engine(run->cfg.run_dir, &run->lock, err) < 0)
        goto error; /* run by `tessera run`: the engine's own lock */
    if (run->cfg.run_dir && !rundir_token_ok(run->cfg.run_dir)) {
        /* a program run directly (not by `tessera run`): it owns the
         * directory itself */
        if (rundir_prepare(run->cfg.run_dir, err) < 0 ||
            rundir_lock(run->cfg.run_dir, &run->lock, err) < 0)
            goto error;
        if (rundir_has_run(run->cfg.run_dir) && !run_resuming(run)) {
            errno = EEXIST;
            tess_errprintf(err, "run directory %s holds an earlier run: "
                           "choose another one or remove it",
                           run->cfg.run_dir);
            goto error;
        }
    }
    if (make_workdir(run, err) < 0)
        goto error;
    if (run->cfg.run_dir && open_journal(run, err) < 0)
        goto error;
    if (run->cfg.run_dir &&
        !(run->record = record_open(run->cfg.run_dir, run->replaying, err)))
        goto error;
    if (run->dot || run->record)
        hooks.trace_edge = hook_trace_edge;
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
    /* with a journal, files of dead versions go through it */
    run->exec->keep_files = run->journal != NULL;
    run->exec->ops->describe(run->exec, run->archs, sizeof(run->archs),
                             &run->max_slots, &run->max_memory_mb);
    if (run->cfg.run_dir)
        run_write_status(run, "running", -1, "");
    return run;
error:
    run->status_final = 1; /* nothing ran: the caller reports */
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
        if (!run->published && publish_files(run, rc ? NULL : err) < 0)
            rc = -1;
        /* objects of the store the run made are complete when it
         * succeeded, incomplete otherwise (a resume continues them) */
        if (persist_finish(run->persist, rc == 0 && !run_failed(run) &&
                                             !run->error[0],
                           rc ? NULL : err) < 0)
            rc = -1;
    }
    /* the last completions first: what follows (the trace, trace.h5) takes
     * time, and a stopped job may be killed during it */
    tess_error_t jerr;
    journal_flush(run->journal, 1, &jerr);
    if (record_close(run->record) < 0 && rc == 0) {
        tess_errprintf(err, "%s: writing trace.csv failed", run->cfg.run_dir);
        rc = -1;
    }
    if (run->record) {
        /* the trace as an HDF5 table too (a copy: trace.csv stays the
         * record, so a failure here only costs the copy) */
        tess_error_t terr;
        if (h5trace_write(run->cfg.run_dir, &terr) < 0)
            fprintf(stderr, "tessera: %s\n", terr.text);
    }
    run->record = NULL;
    if (run->cfg.run_dir && run->dag && !run->status_final) {
        /* the program's own verdict counts too (tess_mpi_main) */
        int code = run->program_status > 0 ? run->program_status : rc ? 1 : 0;
        const char *state = code == 0 ? "completed" : run_state(run);
        char msg[64];
        snprintf(msg, sizeof(msg), "the program ended with exit status %d",
                 code);
        run_write_status(run, strcmp(state, "running") ? state : "failed",
                         code, run->error[0] || !code ? run->error : msg);
    }
    run->keep_outputs = rc != 0 || run_failed(run);
    /* The dag frees versions through the executor: dag first. */
    dag_destroy(run->dag);
    run->dag = NULL;
    if (run->exec)
        run->exec->ops->destroy(run->exec);
    run->exec = NULL;
    if (journal_close(run->journal) < 0 && rc == 0) {
        tess_errprintf(err, "%s: writing the journal failed",
                       run->cfg.run_dir);
        rc = -1;
    }
    run->journal = NULL;
    persist_destroy(run->persist);
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
    rundir_unlock(&run->lock);
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

void tess_run_cancel(tess_run_t *run, int signal)
{
    run->cancel_signal = signal > 0 ? signal : SIGTERM;
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

/* ---- the record ------------------------------------------------------------ */

const char *run_state(const tess_run_t *run)
{
    switch (run->stop) {
    case STOP_DEADLINE:
        return "stopped-wall-time";
    case STOP_CANCEL:
        return "cancelled";
    case STOP_FAILURE:
        return "failed";
    }
    return run->failed || run->cancelled || run->not_run ? "failed"
                                                         : "running";
}

int run_write_status(tess_run_t *run, const char *state, int exit_status,
                     const char *message)
{
    static runstatus_t s; /* large: not on the stack; engine thread only */
    tess_error_t err;
    if (!run->cfg.run_dir)
        return 0;
    runstatus_init(&s);
    snprintf(s.workflow, sizeof(s.workflow), "%s", run->name);
    snprintf(s.run_dir, sizeof(s.run_dir), "%s", run->cfg.run_dir);
    snprintf(s.state, sizeof(s.state), "%s", state);
    gethostname(s.host, sizeof(s.host) - 1);
    const char *lp = getenv("TESS_LAUNCHER_PID"), *job = getenv("SLURM_JOB_ID");
    s.pid = lp ? strtol(lp, NULL, 10) : (long)getpid();
    snprintf(s.job, sizeof(s.job), "%s", job ? job : "");
    s.started = run->started;
    s.updated = clock_wall_s();
    if (exit_status >= 0)
        s.ended = s.updated;
    dag_stats_t ds;
    dag_get_stats(run->dag, &ds);
    s.submitted = ds.submitted;
    s.total = run->total;
    s.done = run->done_ok;
    s.running = run->running;
    s.ready = ds.ready;
    s.waiting = run->in_flight - run->running - ds.ready;
    s.failed = run->failed;
    s.cancelled = run->cancelled;
    s.not_run = run->not_run;
    if (exit_status >= 0) {
        /* the run is over: what did not end (stopped while running, or
         * never started) was not run */
        s.not_run += s.running + s.ready + s.waiting;
        s.running = s.ready = s.waiting = 0;
    }
    s.ignored = run->ignored;
    s.retried = run->retried;
    s.replayed = run->replayed;
    s.rate = run->rate;
    s.exit_status = exit_status;
    exec_worker_t w;
    for (int i = 0; run->exec && i < RUNSTATUS_MAX_WORKERS &&
                    run->exec->ops->worker_info(run->exec, i, &w) == 0;
         i++) {
        runstatus_worker_t *o = &s.workers[s.nworkers++];
        o->rank = w.rank;
        snprintf(o->node, sizeof(o->node), "%s", w.node);
        snprintf(o->arch, sizeof(o->arch), "%s", w.arch);
        o->slots = w.slots;
        o->running = w.running;
        o->done = w.done;
    }
    snprintf(s.message, sizeof(s.message), "%s", message ? message : "");
    if (exit_status >= 0)
        run->status_final = 1;
    return runstatus_write(run->cfg.run_dir, &s, &err);
}

static void stop_run(tess_run_t *run, int reason);

/* Every second: the rate, status.txt, the trace's buffers. */
static void periodic(tess_run_t *run)
{
    double now = clock_mono_s();
    tess_error_t err;
    /* the journal before the trace: a task trace.csv says ended is one
     * the journal has (unless the journal's write was torn) */
    if (run->journal && journal_flush(run->journal, 0, &err) < 0 &&
        !run->stop) {
        /* what completes cannot be recorded: stop while the record holds */
        run_fail(run, "%s", err.text);
        stop_run(run, STOP_FAILURE);
    }
    record_tick(run->record, now);
    if (now < run->next_status)
        return;
    run->next_status = now + 1.0;
    uint64_t n = run->done_ok + run->failed + run->ignored;
    if (now - run->rate_t0 >= 5.0) {
        run->rate = (double)(n - run->rate_n0) / (now - run->rate_t0);
        run->rate_t0 = now;
        run->rate_n0 = n;
    } else if (run->rate == 0 && now > run->rate_t0) {
        run->rate = (double)(n - run->rate_n0) / (now - run->rate_t0);
    }
    /* a final record (the launcher's, when the job is being killed) is
     * never replaced by progress */
    if (run->cfg.run_dir && !run->status_final &&
        !runstatus_is_final(run->cfg.run_dir))
        run_write_status(run, "running", -1, run->error);
}

/* ---- how a task ended ---------------------------------------------------------- */

static const char *task_name(const tess_run_t *run, const dag_task_t *t)
{
    return t->kclass && t->kclass->name ? t->kclass->name
                                        : kreg_name(run->kernels, t->kernel);
}

static const char *state_word(int state)
{
    switch (state) {
    case EXEC_OK: return "ok";
    case EXEC_TIMEOUT: return "timeout";
    case EXEC_CRASHED: return "crashed";
    case EXEC_NOT_RUN: return "not-run";
    }
    return "failed";
}

/* Stop: nothing new starts; tasks dispatched but not started come back. */
static void stop_run(tess_run_t *run, int reason)
{
    if (run->stop)
        return;
    run->stop = reason;
    static const char not_run_msg[] = "not run: the run was stopped";
    run->exec->ops->unqueue(run->exec, run_on_done, run, not_run_msg);
    if (reason == STOP_CANCEL) {
        char buf[300];
        snprintf(buf, sizeof(buf), "cancelled (%s): %llu tasks done, %llu "
                 "running were stopped", strsignal(run->cancel_signal),
                 (unsigned long long)run->done_ok,
                 (unsigned long long)run->running);
        run_fail(run, "%s", buf);
        run->next_status = 0; /* say it at once */
    }
}

/* A task is over for good: the dag learns it, the counters follow. */
static void task_final(tess_run_t *run, dag_task_t *t, int ok)
{
    dag_complete(run->dag, t, ok);
    run->in_flight--;
}

/* ---- the journal: identity, completion, replay ------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n--)
        h = (h ^ *b++) * 0x100000001b3ull;
    return h;
}

/* A task's identity across runs of one program: its sequence number (the
 * journal's key), its kernel, and every parameter: values, the data named
 * (handle and name), the region, and for what it reads the version and
 * piece of every source, and the identity of the first value where it
 * reads that. A program that submits the same calls in the same order
 * gives every task the same identity. */
static uint64_t task_ident(const tess_run_t *run, const dag_task_t *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const char *k = kreg_name(run->kernels, t->kernel);
    h = fnv(h, k, strlen(k) + 1);
    h = fnv(h, &t->nparams, sizeof(t->nparams));
    for (int i = 0; i < t->nparams; i++) {
        const dag_param_t *dp = &t->params[i];
        h = fnv(h, &dp->kind, 1);
        h = fnv(h, &dp->dir, 1);
        if (dp->kind == TESS_P_INT)
            h = fnv(h, &dp->value.i, sizeof(dp->value.i));
        else if (dp->kind == TESS_P_DOUBLE)
            h = fnv(h, &dp->value.d, sizeof(dp->value.d));
        else if (dp->kind == TESS_P_STRING)
            h = fnv(h, dp->value.s, strlen(dp->value.s) + 1);
        if (dp->kind != TESS_P_DATA)
            continue;
        h = fnv(h, &dp->data->id, sizeof(dp->data->id));
        h = fnv(h, dp->data->name, strlen(dp->data->name) + 1);
        h = fnv(h, dp->box, 2 * sizeof(int64_t) * (size_t)dp->rank);
        for (uint32_t src = 0; src < dp->nsrc; src++) {
            h = fnv(h, &dp->src[src].v->number, sizeof(uint32_t));
            h = fnv(h, dp->src[src].box,
                    2 * sizeof(int64_t) * (size_t)dp->rank);
            /* the first value counts for the tasks that read it (a file
             * the run itself published since, say, is no other input for
             * a task that only writes it) */
            if (dp->src[src].v->number == 0)
                h = fnv(h, &dp->data->init_ident,
                        sizeof(dp->data->init_ident));
        }
        if (dp->out)
            h = fnv(h, &dp->out->number, sizeof(uint32_t));
    }
    return h;
}

/* Task t completed (or its failure is ignored): what it produced goes into
 * the journal. */
static void journal_done(tess_run_t *run, dag_task_t *t)
{
    journal_out_t outs[64], *o = outs;
    int n = 0;
    for (int i = 0; i < t->nparams; i++)
        n += t->params[i].kind == TESS_P_DATA && t->params[i].out;
    if (n > 64 && !(o = calloc((size_t)n, sizeof(*o))))
        return; /* the task will run again at a resume */
    n = 0;
    for (int i = 0; i < t->nparams; i++) {
        dag_param_t *dp = &t->params[i];
        if (dp->kind != TESS_P_DATA || !dp->out)
            continue;
        exec_vloc_t loc;
        run->exec->ops->locate(run->exec, dp->out, &loc);
        o[n++] = (journal_out_t){.param = (uint16_t)i,
                                 .data_id = dp->data->id,
                                 .version = dp->out->number,
                                 .kind = (uint8_t)loc.kind,
                                 .bytes = loc.bytes, .len = loc.len,
                                 .path = loc.path};
    }
    journal_task(run->journal, t->id, task_ident(run, t), t->attempt, n, o);
    if (o != outs)
        free(o);
}

/* Task t is ready: if the journal of the run being resumed has it, with
 * every output still there, it completes now without running (1); 0 if it
 * must run; -1 if it is not the task the journal recorded (the program or
 * its inputs changed: continuing would mix two runs). */
static int replay(tess_run_t *run, dag_task_t *t)
{
    journal_task_t jt;
    int found = journal_lookup(run->journal, t->id, &jt);
    if (found <= 0)
        return 0;
    if (jt.hash != task_ident(run, t)) {
        char buf[400];
        snprintf(buf, sizeof(buf), "task %llu (%s) is not the task the "
                 "journal of this run recorded: the program, its parameters "
                 "or its inputs changed since the run stopped; resume with "
                 "the same ones, or start a new run",
                 (unsigned long long)t->id, task_name(run, t));
        run_fail(run, "%s", buf);
        return -1;
    }
    if (t->attempt <= 1 && ++run->matched == run->journal_ids)
        journal_hold(run->journal, 0); /* the same program, proven */
    /* every output must still exist (or have been dropped because no
     * later task needs it) */
    char path[4096 + 64];
    for (int k = 0; k < jt.nouts; k++) {
        const journal_out_t *o = &jt.outs[k];
        if (o->param >= t->nparams || !t->params[o->param].out ||
            t->params[o->param].out->number != o->version)
            return 0;
        int have = 1;
        if (o->kind == JOURNAL_FRAG)
            have = h5frag_path(path, sizeof(path), run->cfg.run_dir,
                               o->data_id, o->version) == 0 &&
                   access(path, F_OK) == 0;
        else if (o->kind == JOURNAL_FILE)
            have = o->path && access(o->path, F_OK) == 0;
        if (!have && !journal_dropped(run->journal, o->data_id, o->version))
            return 0;
    }
    tess_error_t err;
    for (int k = 0; k < jt.nouts; k++) {
        const journal_out_t *o = &jt.outs[k];
        exec_vloc_t loc = {.kind = o->kind, .bytes = o->bytes,
                           .len = (size_t)o->len, .path = o->path};
        if (run->exec->ops->adopt(run->exec, t->params[o->param].out, &loc,
                                  &err) < 0) {
            /* a dropped fragment no later task reads: nothing to adopt */
            if (journal_dropped(run->journal, o->data_id, o->version))
                continue;
            return 0;
        }
    }
    /* a block it wrote must be in the store: committed before the run
     * stopped, or now */
    char why[700];
    if (run->persist && persist_commit(run->persist, t, 1, why,
                                       sizeof(why)) < 0)
        return 0; /* run it again: its commit reports what is wrong */
    t->attempt = jt.attempt ? jt.attempt : 1;
    record_task(run->record, t, task_name(run, t), "replayed", NULL, "");
    run->replayed++;
    run->done_ok++;
    task_final(run, t, 1);
    return 1;
}

void run_on_done(void *ctx, dag_task_t *t, const exec_result_t *r)
{
    tess_run_t *run = ctx;
    const kclass_t *c = t->kclass;
    int policy = c ? c->on_failure : TESS_ON_FAILURE_FAIL;
    const char *name = task_name(run, t);
    exec_result_t failed_commit;
    char commit_msg[700];
    run->running--;
    /* The blocks of the store it wrote are committed before the journal
     * records the task: a resumed run never lacks a block of a task it
     * replays. A commit that fails fails the task. */
    if (r->state == EXEC_OK && run->persist &&
        persist_commit(run->persist, t, 0, commit_msg,
                       sizeof(commit_msg)) < 0) {
        failed_commit = *r;
        failed_commit.state = EXEC_ERROR;
        failed_commit.msg = commit_msg;
        r = &failed_commit;
    }
    if (r->state == EXEC_OK) {
        record_task(run->record, t, name, "ok", r, "");
        journal_done(run, t);
        run->done_ok++;
        task_final(run, t, 1);
        return;
    }
    if (r->state == EXEC_NOT_RUN) {
        record_task(run->record, t, name, "not-run", r, r->msg);
        run->not_run++;
        task_final(run, t, 0);
        return;
    }
    char why[700], what[300], where[128] = "";
    if (r->kernel && strcmp(r->kernel, name) != 0)
        snprintf(what, sizeof(what), "%s: %s", name, r->kernel);
    else
        snprintf(what, sizeof(what), "%s", name);
    if (r->worker > 0 && r->node && r->node[0])
        snprintf(where, sizeof(where), " on %s (rank %d)", r->node, r->worker);
    else if (r->worker >= 0 && r->node && r->node[0])
        snprintf(where, sizeof(where), " on %s", r->node);
    snprintf(why, sizeof(why), "task %llu (%s) failed%s%s: %s",
             (unsigned long long)t->id, what, where,
             t->attempt > 1 ? " again" : "",
             r->msg && r->msg[0] ? r->msg : "error");
    record_task(run->record, t, name, state_word(r->state), r, r->msg);
    if (policy == TESS_ON_FAILURE_RETRY && !run->stop &&
        t->attempt <= (c->retries > 0 ? c->retries : 1) && t->attempt < 255) {
        /* run it again, elsewhere if possible */
        t->attempt++;
        t->avoid = r->windex >= 0 ? r->windex + 1 : 0;
        run->retried++;
        dag_requeue(run->dag, t);
        return;
    }
    if (policy == TESS_ON_FAILURE_IGNORE) {
        tess_error_t err;
        if (run->exec->ops->fill_defaults(run->exec, t, &err) == 0 &&
            (!run->persist ||
             persist_commit(run->persist, t, 0, err.text,
                            sizeof(err.text)) == 0)) {
            run->ignored++;
            journal_done(run, t);
            task_final(run, t, 1);
            return;
        }
        snprintf(why + strlen(why), sizeof(why) - strlen(why),
                 "; its outputs could not take their defaults: %s", err.text);
    }
    run->failed++;
    run_fail(run, "%s", why);
    if (policy != TESS_ON_FAILURE_CANCEL_SUCCESSORS)
        stop_run(run, STOP_FAILURE); /* its results are unusable anyway */
    task_final(run, t, 0);
}

/* Stopped, once nothing runs: every remaining task is reported as not run
 * (their successors follow as their inputs fail). A task is cancelled
 * only if a task failed: else what doomed it is a predecessor the stop
 * left not run, and it is not run too. */
static void drain_stopped(tess_run_t *run)
{
    dag_task_t *t;
    while ((t = dag_pop_ready(run->dag)) != NULL) {
        int doomed = (t->flags & DAG_TASK_DOOMED) != 0 && run->failed > 0;
        record_task(run->record, t, task_name(run, t),
                    doomed ? "cancelled" : "not-run", NULL,
                    doomed ? "cancelled: an input could not be computed"
                           : "not run: the run was stopped");
        if (doomed)
            run->cancelled++;
        else
            run->not_run++;
        task_final(run, t, 0);
    }
    char buf[400];
    if (run->stop == STOP_DEADLINE) {
        snprintf(buf, sizeof(buf),
                 "stopped %.0f s before the wall-time limit: %llu tasks done, "
                 "%llu not run; the results are incomplete",
                 run->cfg.deadline - clock_wall_s(),
                 (unsigned long long)run->done_ok,
                 (unsigned long long)(run->not_run + run->cancelled));
        run_fail(run, "%s", buf); /* unless a task failed first */
    } else if (run->stop == STOP_CANCEL) {
        snprintf(buf, sizeof(buf),
                 "cancelled (%s): %llu tasks done, %llu not run",
                 strsignal(run->cancel_signal),
                 (unsigned long long)run->done_ok,
                 (unsigned long long)(run->not_run + run->cancelled));
        run_fail(run, "%s", buf);
    }
}

/* Hand every ready task to the executor; doomed ones (an input failed)
 * complete as cancelled here without running. */
static int dispatch_ready(tess_run_t *run)
{
    dag_task_t *head = NULL, *tail = NULL, *t;
    if (!run->stop) {
        if (run->cancel_signal && run->cfg.deadline > 0 &&
            clock_wall_s() >= run->cfg.deadline - 10)
            stop_run(run, STOP_DEADLINE); /* the time limit's SIGTERM */
        else if (run->cancel_signal)
            stop_run(run, STOP_CANCEL);
        else if (run->cfg.deadline > 0 &&
                 clock_wall_s() >= run->cfg.deadline - run->cfg.deadline_margin)
            stop_run(run, STOP_DEADLINE);
    }
    if (run->stop) {
        if (run->running == 0)
            drain_stopped(run);
        return 0;
    }
    while ((t = dag_pop_ready(run->dag)) != NULL) {
        if (run->replaying && !(t->flags & DAG_TASK_DOOMED)) {
            int rp = replay(run, t);
            if (rp == 1)
                continue;
            if (rp < 0) {
                /* not this program's journal: stop, and take back what
                 * this run wrote into it (the earlier run's record stays
                 * as it was) */
                journal_rewind(run->journal);
                run->keep_outputs = 1;
                run->stop = STOP_FAILURE;
                run->failed++;
                task_final(run, t, 0);
                continue;
            }
        }
        if (t->flags & DAG_TASK_DOOMED) {
            record_task(run->record, t, task_name(run, t), "cancelled", NULL,
                        "cancelled: an input could not be computed");
            run->cancelled++;
            task_final(run, t, 0);
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
        run_fail(run, "%s", "executor: cannot dispatch tasks (out of memory)");
        stop_run(run, STOP_FAILURE);
        return -1;
    }
    return 0;
}

int run_progress(tess_run_t *run, int block)
{
    if (dispatch_ready(run) < 0)
        return -1;
    if (run->stop == STOP_CANCEL ||
        (run->stop == STOP_DEADLINE && run->cancel_signal)) {
        /* cancelled, or the time limit's signal came while the running
         * tasks finish after a wall-time stop: no waiting for them */
        if (run->stop == STOP_DEADLINE) {
            char buf[300];
            snprintf(buf, sizeof(buf), "stopped at the wall-time limit (%s): "
                     "%llu tasks done, %llu running were stopped",
                     strsignal(run->cancel_signal),
                     (unsigned long long)run->done_ok,
                     (unsigned long long)run->running);
            run_fail(run, "%s", buf);
        }
        periodic(run);
        return -1;
    }
    periodic(run);
    if (run->in_flight == 0)
        return 0;
    /* Only sleep when something runs that will wake us. */
    int n = run->exec->ops->poll(run->exec, block && run->running > 0,
                                 run_on_done, run);
    if (n < 0) {
        run_fail(run, "%s", "executor: lost its workers");
        stop_run(run, STOP_FAILURE);
        return -1;
    }
    /* Completions may have made tasks ready. */
    return dispatch_ready(run);
}

int run_failed(const tess_run_t *run)
{
    return run->stop || run->failed || run->cancelled || run->not_run;
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
    d->init_ident = 0;
    if (init == TESS_UNDEFINED) {
        v0->undefined = 1;
        d->init_ident = 1;
    } else if (init) {
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
        /* a resume checks that the tasks it skips read the same values */
        if (run->journal)
            d->init_ident = hash64(HASH64_SEED, copy, bytes);
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
    /* its identity for a resume: size and modification time, as make
     * does (reading every input file again would cost a resume its
     * point); a missing file is its own identity */
    struct stat st;
    if (run->journal && stat(path, &st) == 0) {
        int64_t id[3] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
                         (int64_t)st.st_mtim.tv_nsec};
        d->init_ident = hash64(HASH64_SEED, id, sizeof(id));
    }
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
    if ((unsigned)o->on_failure > TESS_ON_FAILURE_IGNORE ||
        (unsigned)o->isolation > TESS_ISOLATION_NONE || o->retries < 0 ||
        o->retries > 100 || !(o->timeout >= 0) || o->timeout > 4e6) {
        errno = EINVAL;
        tess_errprintf(err, "task %s: bad options (on_failure %d, isolation "
                       "%d, retries %d, timeout %g)", kernel,
                       (int)o->on_failure, (int)o->isolation, o->retries,
                       o->timeout);
        return NULL;
    }
    kclass_impl_t impls[64];
    for (int i = 0; i < o->nimpls; i++) {
        if (!o->impls[i].arch || !o->impls[i].kernel) {
            errno = EINVAL;
            tess_errprintf(err, "task %s: implementation %d without arch or "
                           "kernel", kernel, i);
            return NULL;
        }
        impls[i].arch = (char *)o->impls[i].arch; /* copied by intern */
        if (kreg_resolve(run->kernels, o->impls[i].kernel, &impls[i].kernel,
                         err) < 0)
            return NULL;
    }
    kclass_t spec = {.kernel = k, .arch = (char *)o->arch, .cpus = cpus,
                     .memory_mb = o->memory_mb, .nimpls = o->nimpls,
                     .impls = impls, .name = (char *)o->name,
                     .on_failure = (uint8_t)o->on_failure,
                     .isolation = (uint8_t)o->isolation,
                     .retries = (uint16_t)o->retries,
                     .timeout_ms = (uint32_t)(o->timeout * 1000 + 0.5)};
    if (o->timeout > 0 && spec.timeout_ms == 0)
        spec.timeout_ms = 1;
    const kclass_t *c = kclasses_intern(run->classes, &spec);
    if (!c) {
        errno = ENOMEM;
        tess_errprintf(err, "task %s: out of memory", kernel);
    }
    return c;
}

/* The engine's refusals of a task say "task KERNEL: ..."; a task with a
 * name (tess_task_opts_t.name, XML call names) is "task NAME (KERNEL):
 * ...", as in trace.csv and the failure messages. */
static void name_task(tess_error_t *err, const char *kernel,
                      const tess_task_opts_t *opts)
{
    size_t k = strlen(kernel);
    if (!opts || !opts->name || strncmp(err->text, "task ", 5) != 0 ||
        strncmp(err->text + 5, kernel, k) != 0 || err->text[5 + k] != ':')
        return;
    char head[sizeof(err->text)];
    int n = snprintf(head, sizeof(head), "task %s (%s)", opts->name, kernel);
    size_t rest = strlen(err->text + 5 + k), cap = sizeof(err->text);
    if (n < 0 || (size_t)n + rest >= cap)
        return; /* too long to rename: the kernel's name stays */
    memmove(err->text + n, err->text + 5 + k, rest + 1);
    memcpy(err->text, head, (size_t)n);
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
                 opts->nimpls || opts->name || opts->on_failure ||
                 opts->retries || opts->timeout != 0 || opts->isolation) &&
        !(kc = task_class(run, kernel, k, opts, err))) {
        run_fail(run, "%s", err->text);
        return 0;
    }
    /* Bound the tasks in flight, and so the engine's memory. */
    while (run->in_flight >= run->cfg.max_in_flight)
        if (run_progress(run, 1) < 0)
            break;
    if (run->persist && persist_check(run->persist, nparams, params, err) < 0) {
        run_fail(run, "%s", err->text);
        return 0;
    }
    dag_task_t *t = dag_submit(run->dag, k, kernel, flags, nparams, params,
                               err);
    if (!t) {
        name_task(err, kernel, opts);
        run_fail(run, "%s", err->text);
        return 0;
    }
    t->kclass = kc;
    persist_submitted(run->persist, t);
    run->in_flight++;
    run->published = 0;
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
    int pending, failed, zeros, undefined;
    region_t undef; /* the first piece nobody wrote */
};

static int scan_piece(void *ctx, dag_version_t *v, const region_t *piece)
{
    struct scan *s = ctx;
    if (v->undefined && !s->undefined) {
        s->undefined = 1;
        s->undef = *piece;
    }
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
            /* at the time limit running tasks finish: wait for them, so
             * the record says how many ended, and why */
            while (run->stop == STOP_DEADLINE && run->in_flight > 0)
                if (run_progress(run, 1) < 0)
                    break;
            errno = EIO;
            if (run->stop == STOP_DEADLINE || run->stop == STOP_CANCEL)
                return tess_errprintf(err, "%s", run->error);
            return tess_errprintf(err, "%s could not be computed: %s",
                                  d->name, run->error);
        }
        if (s->undefined) {
            char buf[256];
            errno = EINVAL;
            return tess_errprintf(err, "%s%s was never written by a task, "
                                  "and array '%s' has no initial value",
                                  d->name, region_format(&s->undef, buf,
                                                         sizeof(buf)),
                                  d->name);
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
    run->published = rc == 0;
    return rc;
}

int run_publish_files(tess_run_t *run, tess_error_t *err)
{
    return tess_barrier(run, err) < 0 ? -1 : publish_files(run, err);
}

int tess_barrier(tess_run_t *run, tess_error_t *err)
{
    while (run->in_flight > 0)
        if (run_progress(run, 1) < 0)
            break;
    if (run_failed(run)) {
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
    return run_write_results(run, path, n, data, workflow, params, NULL, err);
}

int run_write_results(tess_run_t *run, const char *path, int n,
                      const tess_data_t *data, const char *workflow,
                      const char *params, const char *kernels,
                      tess_error_t *err)
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
                                err) < 0 ||
        (kernels && h5result_set_attr_string(res, "kernel_libraries", kernels,
                                             err) < 0) ||
        (run->replayed &&
         h5result_set_attr_int(res, "tasks_replayed", (int64_t)run->replayed,
                               err) < 0))
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
