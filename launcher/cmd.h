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

#define CMD_SUBMIT_USAGE                                                     \
    "usage: tessera submit WORKFLOW.xml --nodes N --time HH:MM:SS\n"         \
    "                      [--partition P] [--constraint F] [--account A]\n" \
    "                      [--qos Q] [--dry-run] [--param NAME=VALUE]...\n"  \
    "                      [-n WORKERS] [--slots N] [--run-dir DIR]\n"       \
    "Validate WORKFLOW.xml, write RUN_DIR/job.sbatch (a readable sbatch\n"   \
    "script running `tessera run` in the allocation) and submit it with\n"  \
    "sbatch; --dry-run prints the script instead. A --constraint no node\n" \
    "of the cluster satisfies is refused before submission (exit 2).\n"

#define CMD_RUN_USAGE                                                        \
    "usage: tessera run WORKFLOW.xml [-n WORKERS] [--slots N]\n"             \
    "                   [--param NAME=VALUE]... [--run-dir DIR]\n"           \
    "                   [--kernel-path DIR[:DIR...]] [--dot FILE]\n"         \
    "Validate WORKFLOW.xml, then run it: the engine and WORKERS worker\n"    \
    "ranks (default 1, each with --slots threads, default all cores) as\n"   \
    "one MPI job started with mpirun; -n 0 runs the tasks on threads of\n"   \
    "this process. Results go to RUN_DIR/results.h5 (default RUN_DIR:\n"     \
    "./tessera-run.NAME.TIMESTAMP), with trace.csv and workers.txt.\n"       \
    "  --param NAME=VALUE  override a workflow parameter (repeatable)\n"     \
    "  --kernel-path DIRS  where kernel libraries are searched first\n"      \
    "  --dot FILE          write the task graph in Graphviz dot\n"

#define CMD_VALIDATE_USAGE                                                   \
    "usage: tessera validate WORKFLOW.xml [--param NAME=VALUE]...\n"         \
    "                        [--kernel-path DIR[:DIR...]]\n"                 \
    "Check WORKFLOW.xml against the schema, its names, types, shapes and\n"  \
    "regions, its input files and kernels, and expand it without running\n" \
    "anything. Errors are printed as file:line:col: message (exit 2).\n"

/* Options common to the workflow commands. */
typedef struct wfopts {
    const char *workflow;
    wf_param_override_t *params;
    size_t nparams;
    const char *kernel_path;
    const char *run_dir;
    const char *dot;
    int workers; /* -1: default */
    int slots;   /* 0: cores */
} wfopts_t;

/* Parse argv (argv[0] is the command); run-only options are accepted when
 * allow_run. 0, or -1 after printing a message naming the option. The
 * overrides point into argv. Free with wfopts_free(). */
int wfopts_parse(int argc, char **argv, int allow_run, wfopts_t *o);
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
