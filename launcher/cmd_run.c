/*
 * cmd_run.c - `tessera run`.
 *
 * Outside an MPI job, the command validates the workflow (exit 2 before
 * anything runs if it is bad), makes the run directory, and starts itself
 * as an MPI job through a launch backend: rank 0 is the engine, the other
 * ranks are workers. Inside the job (TESS_IN_JOB=1), rank 0 expands the
 * workflow into the run and writes the results; the others serve tasks.
 * -n 0 runs everything in this process on threads.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <libgen.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "io/rundir.h"
#include "launcher/runconf.h"
#include "io/runstatus.h"
#include "runtime/run.h"
#include "launcher/cmd.h"
#include "launcher/launch.h"
#include "launcher/logopts.h"
#include "launcher/progress.h"
#include "runtime/spmd.h"
#include "mpi_worker/worker.h"

/* A run that stopped (wall time, cancelled, killed) says how to continue
 * it: "; continue with: tessera resume DIR" appended to msg (of size len),
 * and said on out (NULL: not). */
static void resume_hint(const char *run_dir, char *msg, size_t len,
                        FILE *out)
{
    char cmd[PATH_MAX + 64];
    /* quoted when the shell would split it */
    int plain = strspn(run_dir, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                "QRSTUVWXYZ0123456789/._-+,:=@%") ==
                strlen(run_dir) && !strchr(run_dir, '\'');
    snprintf(cmd, sizeof(cmd), plain ? "tessera resume %s"
                                     : "tessera resume '%s'", run_dir);
    size_t n = strlen(msg);
    if (!strstr(msg, cmd) && n < len)
        snprintf(msg + n, len - n, "%scontinue with: %s", n ? "; " : "", cmd);
    if (out)
        fprintf(out, "tessera: continue with: %s\n", cmd);
}

/* Expand wf into run, write its results and destroy run (which also ends
 * the workers). 0, 1 (run failed) or 2. */
static int execute(tess_run_t *run, wf_t *wf, const char *run_dir, double t0)
{
    tess_error_t err;
    int rc = 0;
    run_set_name(run, wf_name(wf));
    /* the launcher's dry run counted the calls: progress can say how many
     * are left */
    const char *total = getenv("TESS_TASKS_TOTAL");
    if (wf_call_count(wf))
        run_set_total(run, (int64_t)wf_call_count(wf));
    else if (total && *total)
        run_set_total(run, strtoll(total, NULL, 10));
    wf_run_sink_t *sink = wf_run_sink_create(run, wf, &err);
    if (!sink) {
        fprintf(stderr, "%s\n", err.text);
        tess_run_destroy(run, NULL); /* also releases the workers */
        return 2;
    }
    if (wf_expand(wf, wf_run_sink_ops(), sink, &err) < 0) {
        /* Bad input found while expanding (it names its place), or a task
         * that could not be submitted. */
        fprintf(stderr, "%s\n", err.text);
        rc = errno == EINVAL ? 2 : 1;
    }
    size_t n = wf_result_count(wf);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/results.h5", run_dir);
    if (rc == 0 && n > 0) {
        tess_data_t *d = calloc(n, sizeof(*d));
        char params[4096];
        wf_params_text(wf, params, sizeof(params));
        for (size_t i = 0; d && i < n; i++)
            d[i] = wf_result_data(wf, i);
        /* the code that made the results: kernel libraries by SHA-256 */
        char *kernels = runconf_kernels(wf);
        if (!d || run_write_results(run, path, (int)n, d, wf_name(wf), params,
                                    kernels, &err) < 0) {
            /* a result no task writes and nothing initialises is the
             * workflow's fault (EINVAL), as bad input found earlier is */
            rc = d && errno == EINVAL ? 2 : 1;
            fprintf(stderr, "tessera: %s\n", d ? err.text : "out of memory");
        }
        free(kernels);
        free(d);
    }
    /* every task ends before the record does, also after a failure (with
     * cancel-successors the independent tasks go on) */
    if (tess_barrier(run, &err) < 0 && rc == 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        rc = 1;
    }
    /* completed only once its files are published too: a run killed
     * before resumes and publishes them */
    if (rc == 0 && run_publish_files(run, &err) < 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        rc = 1;
    }
    tess_stats_t st;
    tess_run_stats(run, &st);
    /* the record: how the run ended, with the first error if any */
    char why[sizeof(err.text)];
    snprintf(why, sizeof(why), "%s", rc && !tess_run_error(run)[0]
                                         ? err.text
                                         : tess_run_error(run));
    const char *state = run_state(run);
    if (rc == 1 && (strcmp(state, "stopped-wall-time") == 0 ||
                    strcmp(state, "cancelled") == 0))
        resume_hint(run_dir, why, sizeof(why), stderr);
    run_write_status(run, rc == 0                       ? "completed"
                          : strcmp(state, "running") ? state
                                                     : "failed",
                     rc, why);
    if (tess_run_destroy(run, &err) < 0 && rc == 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        rc = 1;
    }
    wf_run_sink_destroy(sink);
    if (rc == 0 && logopts_level() >= LOGOPTS_INFO)
        printf("tessera: workflow '%s': %llu tasks in %.2f s\n"
               "tessera: results: %s\n",
               wf_name(wf), (unsigned long long)st.completed, clock_mono_s() - t0,
               n ? path : "(no results declared)");
    return rc;
}

static void config_for(const wfopts_t *o, const char *run_dir,
                       tess_config_t *cfg)
{
    const char *deadline = getenv("TESS_DEADLINE");
    const char *margin = getenv("TESS_DEADLINE_MARGIN");
    tess_config_init(cfg);
    cfg->run_dir = run_dir;
    cfg->dot_path = o->dot;
    /* the command runs workflows as production: a crashing kernel fails
     * its task, also on threads (-n 0) */
    cfg->isolation = TESS_ISOLATION_PROCESS;
    cfg->nthreads = o->slots;
    /* Set by the Slurm backend from the job's end time. */
    if (deadline)
        cfg->deadline = strtod(deadline, NULL);
    if (margin)
        cfg->deadline_margin = strtod(margin, NULL);
}

/* SIGINT/SIGTERM/SIGHUP during a run: the run stops as cancelled (at the
 * time limit, Slurm's SIGTERM: stopped at the wall-time limit). */
static tess_run_t *volatile cancel_target;
static volatile sig_atomic_t cancel_pending;

static void on_cancel(int sig)
{
    cancel_pending = sig;
    if (cancel_target)
        tess_run_cancel(cancel_target, sig);
}

static void catch_cancel(tess_run_t *run)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_cancel;
    sigemptyset(&sa.sa_mask);
    cancel_target = run;
    if (run && cancel_pending)
        tess_run_cancel(run, cancel_pending);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* The engine could not start the run (its workers did not): the record
 * says why, as the run's last word. */
static void start_failed(const char *run_dir, const wf_t *wf, int rc,
                         const char *why)
{
    static runstatus_t st;
    tess_error_t ignored;
    if (runstatus_read(run_dir, &st, &ignored) < 0) {
        runstatus_init(&st);
        snprintf(st.run_dir, sizeof(st.run_dir), "%s", run_dir);
        snprintf(st.workflow, sizeof(st.workflow), "%s", wf_name(wf));
    }
    snprintf(st.state, sizeof(st.state), "failed");
    snprintf(st.message, sizeof(st.message), "%s", why);
    st.exit_status = rc;
    st.ended = st.updated = (double)time(NULL);
    runstatus_write(run_dir, &st, &ignored);
}

/* Inside the MPI job: every rank comes here. */
static int run_in_job(const wfopts_t *o)
{
    int provided, rank, rc;
    /* every rank dies with what started it (mpirun, which dies with the
     * launcher): no rank outlives a killed run */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        return 1;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        fprintf(stderr, "tessera: cannot initialise MPI\n");
        return 2;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) {
        worker_opts_t wo = {.slots = o->slots, .kernel_path = o->kernel_path};
        rc = worker_main(MPI_COMM_WORLD, &wo);
        MPI_Finalize();
        return rc;
    }
    double t0 = clock_mono_s();
    wf_t *wf = wfopts_load(o, WF_CHECK_INPUTS | WF_CHECK_KERNELS);
    tess_config_t cfg;
    tess_error_t err;
    config_for(o, o->run_dir, &cfg);
    catch_cancel(NULL);
    tess_run_t *run = wf ? spmd_run_create(&cfg, &err) : NULL;
    if (wf && !run) {
        /* a worker that cannot start, or none that reports: the run ends
         * here, with the reason in the record */
        rc = errno == EBUSY ? 2 : 1;
        fprintf(stderr, "tessera: %s\n", err.text);
        start_failed(o->run_dir, wf, rc, err.text);
    } else {
        catch_cancel(run);
        rc = run ? execute(run, wf, o->run_dir, t0) : 2;
    }
    cancel_target = NULL;
    wf_destroy(wf);
    if ((rc != 0 && !run) || cancel_pending) {
        /* The workers wait for an engine that will not come, or run tasks
         * of a cancelled run: the record is written, end the job now. */
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, rc ? rc : 1);
    }
    MPI_Finalize();
    return rc;
}

/* The directories of the workflow's kernel libraries, ':'-joined. */
static char *kernel_dirs(const wf_t *wf, const char *extra)
{
    size_t cap = 1024, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    const char *parts[3] = {extra, getenv("TESS_KERNEL_PATH"), NULL};
    for (size_t i = 0; i < wf_kernel_lib_count(wf) + 2; i++) {
        char buf[PATH_MAX];
        const char *dir = NULL;
        if (i < 2) {
            dir = parts[i];
        } else {
            const char *lib, *path;
            if (wf_kernel_lib_get(wf, i - 2, &lib, &path) < 0 || !path)
                continue;
            snprintf(buf, sizeof(buf), "%s", path);
            dir = dirname(buf);
        }
        if (!dir || !*dir)
            continue;
        size_t n = strlen(dir);
        if (len + n + 2 > cap) {
            cap = (len + n + 2) * 2;
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                return NULL;
            }
            s = t;
        }
        len += (size_t)sprintf(s + len, "%s%s", len ? ":" : "", dir);
    }
    return s;
}

/* The run directory: the one asked for (checked; an earlier run there is
 * resumed when it is the same workflow, parameters, inputs and kernels and
 * did not complete, replaced with --overwrite, else refused), or a new one
 * with a unique name; locked for this process; absolute in out (ranks may
 * start elsewhere). *resume tells whether it continues a run. -1 after
 * printing why. */
static int make_run_dir(const wfopts_t *o, const wf_t *wf, char *out,
                        size_t len, rundir_lock_t *lock, int *resume)
{
    tess_error_t err;
    const char *job = getenv("SLURM_JOB_ID");
    if (o->run_dir) {
        snprintf(out, len, "%s", o->run_dir);
        if (rundir_prepare(out, &err) < 0)
            goto fail;
    } else if (job && *job) {
        /* in a job: named after it, so the job's output finds it; a job
         * Slurm requeued takes its first attempt's directory (and resumes
         * the run there) */
        const char *restarts = getenv("SLURM_RESTART_COUNT");
        int again = restarts && atoi(restarts) > 0;
        int k = 1;
        for (;; k++) {
            if (k == 1)
                snprintf(out, len, "tessera-run.%s.%s", wf_name(wf), job);
            else
                snprintf(out, len, "tessera-run.%s.%s.%d", wf_name(wf), job, k);
            if (mkdir(out, 0777) == 0 || (again && k == 1 && errno == EEXIST))
                break;
            if (errno != EEXIST || k > 1000) {
                tess_errprintf(&err, "run directory %s: %s", out,
                               strerror(errno));
                goto fail;
            }
        }
    } else {
        char prefix[300];
        snprintf(prefix, sizeof(prefix), "tessera-run.%s", wf_name(wf));
        if (rundir_make_unique(prefix, out, len, &err) < 0)
            goto fail;
    }
    /* a new directory gets the same checks (free space) */
    if (!o->run_dir && rundir_prepare(out, &err) < 0) {
        rmdir(out);
        goto fail;
    }
    if (rundir_lock(out, lock, &err) < 0)
        goto fail;
    *resume = 0;
    if (rundir_has_run(out)) {
        /* an earlier run: replaced (--overwrite), continued (same
         * workflow, parameters, inputs and kernels, not completed), or
         * refused with the reason */
        static runstatus_t st;
        tess_error_t why;
        int known = runstatus_read(out, &st, &why) == 0;
        if (o->overwrite) {
            if (rundir_clear(out, &err) < 0) {
                rundir_unlock(lock);
                goto fail;
            }
        } else if (known && strcmp(st.state, "completed") == 0) {
            errno = EEXIST;
            tess_errprintf(&err, "run directory %s holds a completed run of "
                           "'%s' (results in %s/results.h5); use --overwrite "
                           "to run it again there, or choose another "
                           "--run-dir", out, st.workflow, out);
            rundir_unlock(lock);
            goto fail;
        } else if (known && st.workflow[0] &&
                   strcmp(st.workflow, wf_name(wf)) != 0) {
            errno = EINVAL;
            tess_errprintf(&err, "run directory %s holds a run (%s) that "
                           "cannot be resumed with this workflow: it is a "
                           "run of workflow '%s', not '%s'; use --overwrite "
                           "to start over there, or choose another "
                           "--run-dir", out, st.state, st.workflow,
                           wf_name(wf));
            rundir_unlock(lock);
            goto fail;
        } else if (runconf_compare(out, wf, &why) != 0) {
            errno = EINVAL;
            tess_errprintf(&err, "run directory %s holds a run (%s) that "
                           "cannot be resumed with this workflow: %s; use "
                           "--overwrite to start over there, or choose "
                           "another --run-dir", out,
                           known ? st.state : "state unknown", why.text);
            rundir_unlock(lock);
            goto fail;
        } else {
            *resume = 1;
        }
    } else if (o->resume_only) {
        errno = ENOENT;
        tess_errprintf(&err, "%s holds no run to resume", out);
        rundir_unlock(lock);
        goto fail;
    }
    char abs[PATH_MAX];
    if (realpath(out, abs))
        snprintf(out, len, "%s", abs);
    return 0;
fail:
    fprintf(stderr, "tessera: %s\n", err.text);
    return -1;
}

/* What the launcher does every 0.25 s while the job runs. */
struct tick {
    rundir_lock_t *lock;
    double last_touch;
};

static void on_tick(void *arg)
{
    struct tick *t = arg;
    double n = clock_mono_s();
    if (n - t->last_touch > 60) {
        rundir_touch(t->lock);
        t->last_touch = n;
    }
}

/* The message of the launcher's first record, which is no error. */
static const char starting_msg[] = "starting the MPI job";

/* The launcher's word on how the job ended: the engine's own final record
 * when it wrote one, else one made here from what the job left: the counts
 * of trace.csv (flushed more often than status.txt), every other task not
 * run, and the job's own explanation (mpirun's or srun's). Returns the
 * exit status of `tessera run`. */
static int final_record(const char *run_dir, const wf_t *wf,
                        const job_result_t *jr)
{
    static runstatus_t st;
    tess_error_t err;
    int have = runstatus_read(run_dir, &st, &err) == 0;
    int code = jr->exited ? jr->status : 128 + jr->status;
    if (have && st.exit_status >= 0 && jr->exited &&
        (code == 0 || code == 1 || code == 2) && !jr->signal_received)
        return code; /* the engine said it all */
    if (have && st.exit_status >= 0 && jr->signal_received &&
        (strcmp(st.state, "cancelled") == 0 ||
         strcmp(st.state, "stopped-wall-time") == 0))
        return 1; /* the engine stopped in time and said so */
    /* a signal that came after the engine completed the run (results
     * committed, files published) changes nothing: it is completed, and
     * a completed run is never replayed (its files are gone) */
    if (have && st.exit_status == 0 && strcmp(st.state, "completed") == 0)
        return 0;
    if (!have) {
        runstatus_init(&st);
        snprintf(st.run_dir, sizeof(st.run_dir), "%s", run_dir);
        snprintf(st.workflow, sizeof(st.workflow), "%s", wf_name(wf));
    }
    if (strcmp(st.message, starting_msg) == 0)
        st.message[0] = '\0';
    /* the run is over: what did not end is not run */
    uint64_t known = st.submitted;
    int64_t seen = runstatus_count_trace(run_dir, &st);
    if (seen > 0 && (uint64_t)seen > known)
        known = (uint64_t)seen;
    if (st.total >= 0 && (uint64_t)st.total > known)
        known = (uint64_t)st.total;
    uint64_t ended = st.done + st.failed + st.cancelled + st.not_run +
                     st.ignored;
    if (known > ended)
        st.not_run += known - ended;
    st.running = st.ready = st.waiting = 0;
    for (int i = 0; i < st.nworkers; i++)
        st.workers[i].running = 0;
    const char *deadline = getenv("TESS_DEADLINE");
    double dl = deadline ? strtod(deadline, NULL) : 0;
    double t = clock_wall_s();
    char why[900], log[64] = "";
    if (jr->signal_received && dl > 0 && t >= dl - 5) {
        snprintf(st.state, sizeof(st.state), "stopped-wall-time");
        snprintf(why, sizeof(why), "stopped at the wall-time limit (%s "
                 "reached the launcher): %llu tasks done, %llu not run",
                 strsignal(jr->signal_received),
                 (unsigned long long)st.done,
                 (unsigned long long)st.not_run);
    } else if (jr->signal_received) {
        snprintf(st.state, sizeof(st.state), "cancelled");
        snprintf(why, sizeof(why), "cancelled (%s): %llu tasks done, %llu "
                 "not run", strsignal(jr->signal_received),
                 (unsigned long long)st.done,
                 (unsigned long long)st.not_run);
    } else {
        snprintf(st.state, sizeof(st.state), "failed");
        snprintf(log, sizeof(log), " (see logs/launch.log)");
        if (jr->why[0])
            snprintf(why, sizeof(why), "the MPI job ended abnormally: %s",
                     jr->why);
        else if (jr->exited)
            snprintf(why, sizeof(why), "the MPI job ended abnormally: %s "
                     "exited with status %d", jr->what, jr->status);
        else
            snprintf(why, sizeof(why), "the MPI job ended abnormally: %s "
                     "was killed by signal %d (%s)", jr->what, jr->status,
                     strsignal(jr->status));
    }
    /* keep the engine's first error when it had one */
    if (st.message[0] && !jr->signal_received) {
        /* bounded by hand: the compiler cannot see that why is short */
        size_t used = strlen(why);
        int room = (int)(sizeof(why) - used) - (int)sizeof("; before that: ");
        if (room > 0)
            snprintf(why + used, sizeof(why) - used, "; before that: %.*s",
                     room, st.message);
    }
    snprintf(st.message, sizeof(st.message), "%s%s", why, log);
    /* stopped, cancelled or killed: it continues from its journal */
    resume_hint(run_dir, st.message, sizeof(st.message), NULL);
    st.exit_status = code == 2 && !jr->signal_received ? 2 : 1;
    st.ended = st.updated = t;
    st.pid = (long)getpid();
    runstatus_write(run_dir, &st, &err);
    fprintf(stderr, "tessera: %s\n", st.message);
    return st.exit_status;
}

int cmd_run(int argc, char **argv)
{
    wfopts_t o;
    int rc;
    if (wfopts_parse(argc, argv, WFOPTS_RUN, &o) < 0) {
        wfopts_free(&o);
        return 2;
    }
    /* a consumer may start before its producer */
    o.wait_objects = 1;
    if (launch_in_job()) {
        rc = run_in_job(&o);
        wfopts_free(&o);
        return rc;
    }

    double t0 = clock_mono_s();
    /* Everything that can be checked is checked before anything starts,
     * including that every task can run on the workers this launch gets. */
    const launch_ops_t *backend = launch_select();
    launch_req_t probe = {.workers = o.workers < 0 ? 0 : o.workers,
                          .slots = o.slots};
    char archs[256];
    int max_slots = 0;
    int64_t max_mem = 0;
    tess_error_t rerr;
    if (o.workers == 0) { /* this process: the local backend's view */
        int rc0 = launch_local.resources(&probe, archs, sizeof(archs),
                                         &max_slots, &max_mem, &rerr);
        snprintf(archs, sizeof(archs), "default");
        (void)rc0;
    } else if (backend->resources(&probe, archs, sizeof(archs), &max_slots,
                                  &max_mem, &rerr) < 0) {
        fprintf(stderr, "tessera: %s\n", rerr.text);
        wfopts_free(&o);
        return 2;
    }
    wf_t *wf = wfopts_load2(&o, WF_CHECK_ALL, archs, max_slots, max_mem);
    char run_dir[PATH_MAX];
    rundir_lock_t lock;
    int resume = 0;
    tess_error_t cerr;
    if (!wf ||
        make_run_dir(&o, wf, run_dir, sizeof(run_dir), &lock, &resume) < 0) {
        wf_destroy(wf);
        wfopts_free(&o);
        return 2;
    }
    /* what this run is, to resume it later (kept when resuming) */
    if (!resume && runconf_write(run_dir, wf, &o, &cerr) < 0) {
        fprintf(stderr, "tessera: %s\n", cerr.text);
        rundir_unlock(&lock);
        wf_destroy(wf);
        wfopts_free(&o);
        return 2;
    }
    if (resume) {
        setenv("TESS_RESUME", "1", 1);
        fprintf(stderr, "tessera: resuming the run in %s\n", run_dir);
    } else {
        setenv("TESS_RESUME", "0", 1);
    }
    char ntasks[32];
    snprintf(ntasks, sizeof(ntasks), "%llu",
             (unsigned long long)wf_call_count(wf));
    setenv("TESS_TASKS_TOTAL", ntasks, 1);
    /* the job acts for this process, which owns the directory */
    char pidtext[32];
    snprintf(pidtext, sizeof(pidtext), "%ld", (long)getpid());
    setenv("TESS_RUNDIR_TOKEN", lock.token, 1);
    setenv("TESS_LAUNCHER_PID", pidtext, 1);
    if (o.workers == 0) {
        tess_config_t cfg;
        tess_error_t err;
        config_for(&o, run_dir, &cfg);
        catch_cancel(NULL);
        tess_run_t *run = tess_run_create(&cfg, &err);
        if (!run) {
            fprintf(stderr, "tessera: %s\n", err.text);
            rc = 1;
        } else {
            catch_cancel(run);
            progress_t *prog = progress_start(run_dir, stderr);
            rc = execute(run, wf, run_dir, t0);
            progress_stop(prog);
        }
        cancel_target = NULL;
        wf_destroy(wf);
        wfopts_free(&o);
        rundir_unlock(&lock);
        return rc;
    }

    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *kpath = kernel_dirs(wf, o.kernel_path);
    if (n <= 0 || !kpath) {
        fprintf(stderr, "tessera: cannot find my own executable\n");
        free(kpath);
        wf_destroy(wf);
        rundir_unlock(&lock);
        wfopts_free(&o);
        return 2;
    }
    self[n] = '\0';
    /* Ranks get the same arguments plus the run directory chosen here. */
    char **args = calloc((size_t)argc + 6, sizeof(char *));
    int na = 0;
    if (!args) {
        free(kpath);
        wf_destroy(wf);
        rundir_unlock(&lock);
        wfopts_free(&o);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "--run-dir") == 0 ||
             strcmp(argv[i], "--store") == 0) && i + 1 < argc) {
            i++;
            continue;
        }
        args[na++] = argv[i];
    }
    args[na++] = (char *)"--run-dir";
    args[na++] = run_dir;
    if (o.store) {
        args[na++] = (char *)"--store";
        args[na++] = (char *)o.store;
    }
    args[na] = NULL;
    /* a record from the first moment: the engine replaces it; and the
     * directory of the job's log (launch.log) */
    {
        char logs[PATH_MAX + 8];
        snprintf(logs, sizeof(logs), "%s/logs", run_dir);
        mkdir(logs, 0777);
        static runstatus_t st;
        tess_error_t ignored;
        runstatus_init(&st);
        snprintf(st.workflow, sizeof(st.workflow), "%s", wf_name(wf));
        snprintf(st.run_dir, sizeof(st.run_dir), "%s", run_dir);
        snprintf(st.state, sizeof(st.state), "running");
        gethostname(st.host, sizeof(st.host) - 1);
        st.pid = (long)getpid();
        const char *job = getenv("SLURM_JOB_ID");
        snprintf(st.job, sizeof(st.job), "%s", job ? job : "");
        st.started = st.updated = (double)time(NULL);
        snprintf(st.message, sizeof(st.message), "%s", starting_msg);
        runstatus_write(run_dir, &st, &ignored);
    }
    struct tick tk = {&lock, clock_mono_s()};
    launch_req_t req = {.self = self, .argc = na, .argv = args,
                        .workers = o.workers < 0 ? 0 : o.workers,
                        .slots = o.slots, .run_dir = run_dir,
                        .kernel_path = kpath, .tick = on_tick,
                        .tick_arg = &tk};
    tess_error_t err;
    logopts_msg(LOGOPTS_DEBUG, "run directory %s, %s launch, %d worker%s",
                run_dir, backend->name, req.workers ? req.workers : 1,
                req.workers == 1 || !req.workers ? "" : "s");
    /* the live progress line while the job runs (see progress.h) */
    progress_t *prog = progress_start(run_dir, stderr);
    job_result_t jr;
    if (backend->run(&req, &jr, &err) < 0) {
        fprintf(stderr, "tessera: %s\n", err.text);
        memset(&jr, 0, sizeof(jr));
        jr.exited = 1;
        jr.status = 1;
        snprintf(jr.why, sizeof(jr.why), "%s", err.text);
    }
    progress_stop(prog);
    rc = final_record(run_dir, wf, &jr);
    if (rc == 0 && jr.leader_hung) /* the run is complete; the job was not */
        fprintf(stderr, "tessera: warning: %s\n", jr.why);
    if (rc == 0 && logopts_level() >= LOGOPTS_INFO)
        printf("tessera: done in %.2f s (%s launch)\n", clock_mono_s() - t0,
               backend->name);
    wf_destroy(wf);
    rundir_unlock(&lock);
    free(args);
    free(kpath);
    wfopts_free(&o);
    return rc;
}
