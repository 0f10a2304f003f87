/*
 * cmd.h - the subcommands of `tessera` and what they share: the options
 * naming a workflow (--param, --kernel-path).
 */
#ifndef TESS_LAUNCHER_CMD_H
#define TESS_LAUNCHER_CMD_H

#include <stddef.h>

#include "workflow/wf.h"

typedef struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
    const char *usage;
} cmd_t;

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_resume(int argc, char **argv);

#define CMD_RESUME_USAGE                                                     \
    "usage: tessera resume RUN_DIR [-n WORKERS] [--slots N] [--chain]\n"    \
    "Continue the run recorded in RUN_DIR (stopped at its wall-time limit,\n" \
    "cancelled, failed, or killed): the workflow and parameters it was\n"  \
    "started with run again; tasks its journal has as completed are not\n" \
    "run again and their outputs are reused. Refused (exit 2, with the\n"  \
    "reason) when the workflow, a parameter, an input file or a kernel\n"  \
    "library changed since. A completed run: nothing to do (exit 0).\n"    \
    "  --chain   as a follow-up job of tessera submit --chain: continue\n"  \
    "            only a run stopped at its time limit or killed; else do\n" \
    "            nothing and cancel the jobs after this one (chain.jobs)\n"
int cmd_report(int argc, char **argv);
int cmd_status(int argc, char **argv);

#define CMD_REPORT_USAGE                                                     \
    "usage: tessera report RUN_DIR [--gantt FILE.svg] [--dag FILE.dot]\n"    \
    "                      [--trace FILE.json] [--top N] [--dag-max N]\n"    \
    "Summarise a run (finished, or what has ended so far): state, makespan,\n"\
    "task time, utilisation per worker and slot, critical path against the\n"\
    "makespan, kernels, slowest tasks, data volume, failures and retries.\n" \
    "Also writes RUN_DIR/trace.h5 when it is missing or older than\n"       \
    "trace.csv.\n"                                                           \
    "  --gantt FILE.svg    Gantt chart: a row per worker slot, a bar per\n" \
    "                      task coloured by kernel (hover: its details)\n"  \
    "  --dag FILE.dot      the executed task graph (Graphviz), summarised\n"\
    "                      beyond --dag-max tasks (default 200)\n"          \
    "  --trace FILE.json   Chrome trace-event JSON (ui.perfetto.dev)\n"     \
    "  --top N             slowest tasks listed (default 5)\n"              \
    "Exit status: 0, 1 if an output could not be written, 2 usage or not\n"\
    "a run directory.\n"

#define CMD_STATUS_USAGE                                                     \
    "usage: tessera status RUN_DIR [--failures N]\n"                         \
    "Show a run's state from its directory, from any shell or node: counts,\n"\
    "rate, estimated time left, workers and how many tasks each runs,\n"   \
    "the last failures (--failures N, default 5).\n"                        \
    "Exit status: 0 completed, 1 failed, cancelled or stopped, 3 still\n"   \
    "running (or submitted and not started), 2 usage or not a run\n"        \
    "directory.\n"
int cmd_store(int argc, char **argv);

#define CMD_STORE_USAGE                                                      \
    "usage: tessera store ls [--store DIR]\n"                                \
    "       tessera store show [--store DIR] NAME\n"                         \
    "       tessera store rm [--store DIR] NAME...\n"                        \
    "       tessera store gc [--store DIR]\n"                                \
    "The named persistent objects of a store: ls lists them (name, state,\n" \
    "blocks, bytes, creation), show describes one and its blocks, rm\n"     \
    "deletes objects, gc removes what crashes left behind. The store is\n"  \
    "DIR, else $TESSERA_STORE, else ~/.tessera/store (see docs/store.md).\n"\
    "States: building, complete, incomplete (its producer ended without\n" \
    "completing it). Bad names and missing objects exit with status 2.\n"

#define CMD_SUBMIT_USAGE                                                      \
    "usage: tessera submit WORKFLOW.xml --nodes N --time TIME\n"              \
    "                      [--partition P] [--constraint F] [--account A]\n"  \
    "                      [--qos Q] [--job-name NAME]\n"                     \
    "                      [--sbatch OPTION]...\n"                            \
    "                      [--setup LINE]... [--chain N] [--dry-run]\n"       \
    "                      [-n|--workers WORKERS] [--slots N]\n"              \
    "                      [-p|--param NAME=VALUE]...\n"                      \
    "                      [--kernel-path DIR[:DIR...]] [--run-dir DIR]\n"    \
    "                      [--dot FILE] [--store DIR]\n"                      \
    "Validate WORKFLOW.xml and check the request against the cluster\n"       \
    "(partition limits, nodes with the features, the architectures the\n"     \
    "tasks need): a job that could never run is refused (exit 2) before\n"    \
    "anything is created. Then write RUN_DIR/job.sbatch, an sbatch script\n"  \
    "running `tessera run` in the allocation, and submit it with sbatch.\n"   \
    "The job is requeued by Slurm after a node failure and then resumes.\n"   \
    "  --nodes N            nodes of the job (required)\n"                    \
    "  --time TIME          its time limit, as sbatch: HH:MM:SS, MM:SS,\n"    \
    "                       minutes, D-HH[:MM[:SS]] (required)\n"             \
    "  --partition P        partition(s), ','-separated\n"                    \
    "  --constraint F       node features, as sbatch (mic, 'mic*1', a&b)\n"   \
    "  --account A, --qos Q as sbatch\n"                                      \
    "  --job-name NAME      default tessera-WORKFLOW_NAME\n"                  \
    "  --sbatch OPTION      another sbatch option for the script, one per\n"  \
    "                       --sbatch (--sbatch --mail-type=END);\n"           \
    "                       repeatable\n"                                     \
    "  --setup LINE         a shell line run before tessera (module load\n"   \
    "                       ...); repeatable\n"                               \
    "  --chain N            also submit N follow-up jobs, each after the\n"   \
    "                       one before (afterany), resuming the run if it\n"  \
    "                       stopped at its time limit or was killed\n"        \
    "  --dry-run            print the script; create and submit nothing\n"    \
    "  -n, --workers W      worker ranks (default: one per node)\n"           \
    "  --slots N            tasks each worker runs at once (default: its\n"   \
    "                       node's CPUs)\n"                                   \
    "  -p, --param NAME=VALUE  override a workflow parameter (repeatable)\n"  \
    "  --kernel-path DIRS   where kernel libraries are searched first\n"      \
    "  --run-dir DIR        new or empty (default: a new unique\n"            \
    "                       ./tessera-run.NAME.YYYYmmdd-HHMMSS.XXXXXX)\n"     \
    "  --dot FILE           the job writes the task graph in Graphviz dot\n"  \
    "  --store DIR          the store of the workflow's persistent objects\n"

#define CMD_RUN_USAGE                                                        \
    "usage: tessera run WORKFLOW.xml [-n WORKERS] [--slots N]\n"             \
    "                   [--param NAME=VALUE]... [--run-dir DIR] [--overwrite]\n" \
    "                   [--kernel-path DIR[:DIR...]] [--dot FILE]\n"         \
    "                   [--store DIR]\n"                                     \
    "Validate WORKFLOW.xml, then run it: the engine and WORKERS worker\n"    \
    "ranks (default 1, each with --slots threads, default all cores) as\n"   \
    "one MPI job started with mpirun; -n 0 runs the tasks on threads of\n"   \
    "this process. Results go to RUN_DIR/results.h5 (default RUN_DIR: a\n"   \
    "new ./tessera-run.NAME.TIMESTAMP.XXXXXX, or tessera-run.NAME.JOBID\n"  \
    "in Slurm), with status.txt, trace.csv, edges.csv and workers.txt.\n"   \
    "One run owns a run directory at a time; a directory holding an\n"     \
    "earlier run is refused unless --overwrite replaces its record.\n"     \
    "  --param NAME=VALUE  override a workflow parameter (repeatable)\n"     \
    "  --kernel-path DIRS  where kernel libraries are searched first\n"      \
    "  --dot FILE          write the task graph in Graphviz dot\n"         \
    "  --store DIR         the store of its persistent objects (default:\n" \
    "                      $TESSERA_STORE, else ~/.tessera/store)\n"

#define CMD_VALIDATE_USAGE                                                   \
    "usage: tessera validate WORKFLOW.xml [--param NAME=VALUE]...\n"         \
    "                        [--kernel-path DIR[:DIR...]] [--verbose]\n"     \
    "                        [--store DIR]\n"                                \
    "Check WORKFLOW.xml against the schema, its names, types, shapes and\n"  \
    "regions, its input files and kernels, and expand it without running\n" \
    "anything. Errors are printed as file:line:col: message (exit 2).\n"    \
    "Kernel libraries are loaded to check them: their constructors run.\n"  \
    "  --verbose, -v       print the file and symbol each kernel resolved\n" \
    "                      to\n"                                             \
    "  --store DIR         check the persistent objects the workflow reads\n"\
    "                      against this store (also $TESSERA_STORE)\n"

/* Options common to the workflow commands. */
typedef struct wfopts {
    const char *workflow;
    wf_param_override_t *params;
    size_t nparams;
    const char *kernel_path;
    const char *store;   /* --store DIR, absolute when it exists */
    char *store_abs;     /* (owned) */
    const char *run_dir;
    const char *dot;
    int workers; /* -1: default */
    int slots;   /* 0: cores */
    int overwrite; /* --overwrite: replace an earlier run's record */
    int resume_only; /* tessera resume: there must be a run to continue */
    int verbose; /* --verbose given */
    int wait_objects; /* a run: objects read may be waited for (their
                         wait= seconds) when their dims are bound */
} wfopts_t;

/* wfopts_parse() flags: which options besides --param, --kernel-path and
 * --store the command takes. */
#define WFOPTS_RUN 0x1u     /* -n, --workers, --slots, --run-dir, --dot */
#define WFOPTS_VERBOSE 0x2u /* --verbose, -v */

/* Parse argv (argv[0] is the command), accepting the options of @p allow
 * (WFOPTS_*). 0, or -1 after printing a message naming the option. The
 * overrides point into argv. Free with wfopts_free(). */
int wfopts_parse(int argc, char **argv, unsigned allow, wfopts_t *o);
void wfopts_free(wfopts_t *o);

/* Load the workflow named by o with its overrides and kernel path, then
 * run the checks in flags. NULL after printing the error. */
wf_t *wfopts_load(const wfopts_t *o, unsigned flags);

/* wfopts_load() knowing the workers' architectures (','-separated, NULL:
 * unknown), most slots and most memory in MiB (0: unknown), so that tasks
 * no worker can run are reported with their place. */
wf_t *wfopts_load2(const wfopts_t *o, unsigned flags, const char *archs,
                   int max_slots, int64_t max_memory_mb);

#endif
