/*
 * tessera.c - the `tessera` command: subcommand dispatch, help, version.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "launcher/cmd.h"
#include "launcher/logopts.h"

static const cmd_t cmds[] = {
    {"run", cmd_run, "run a workflow on local MPI workers or an allocation",
     CMD_RUN_USAGE},
    {"validate", cmd_validate, "check a workflow: schema, names, shapes, "
     "inputs, kernels", CMD_VALIDATE_USAGE},
    {"submit", cmd_submit, "write an sbatch script for a workflow and submit "
     "it", CMD_SUBMIT_USAGE},
    {"resume", cmd_resume, "continue a run that stopped (wall time, cancel, crash)",
     CMD_RESUME_USAGE},
    {"status", cmd_status, "show a run's state, progress, workers, failures",
     CMD_STATUS_USAGE},
    {"report", cmd_report, "summarise a run; Gantt chart, DAG, Chrome trace",
     CMD_REPORT_USAGE},
    {"store", cmd_store, "list, show and delete named persistent objects",
     CMD_STORE_USAGE},
};

static void usage(FILE *f)
{
    fputs("usage: tessera COMMAND [ARGS]\n"
          "       tessera COMMAND --help | tessera --help | tessera --version\n"
          "\ncommands:\n", f);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fputs("\noptions of every command:\n" LOGOPTS_USAGE, f);
    fputs("\nexit status: 0 success, 1 a task or the run failed, "
          "2 bad input or usage\n(tessera status: 3 still running)\n"
          "see tessera(1), docs/workflow-format.md, docs/observability.md\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tessera %s (format %d)\n", PACKAGE_VERSION,
               TESS_FORMAT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        for (int k = 2; k < argc; k++)
            if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                printf("%s\noptions of every command:\n" LOGOPTS_USAGE,
                       cmds[i].usage);
                return 0;
            }
        int n = argc - 1;
        if (logopts_parse(&n, argv + 1) < 0)
            return 2;
        return cmds[i].fn(n, argv + 1);
    }
    fprintf(stderr, "tessera: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
