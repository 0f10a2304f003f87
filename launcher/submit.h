/*
 * submit.h - the parts of `tessera submit` (cmd_submit.c runs them in
 * order): its options (submit_opts.c), the checks of a request against
 * the cluster before anything is created (submit_check.c, with Slurm
 * support), and the job script (submit_script.c).
 */
#ifndef TESS_LAUNCHER_SUBMIT_H
#define TESS_LAUNCHER_SUBMIT_H

#include <stdint.h>
#include <stdio.h>

#include "launcher/cmd.h"

/* ------------------------------------------------------------------ */
/* Options (submit_opts.c)                                              */
/* ------------------------------------------------------------------ */

/* The most follow-up jobs of --chain. */
#define SUBMIT_CHAIN_MAX 100

typedef struct submit_opts {
    const char *nodes_arg, *time_arg; /* as given (required) */
    int nodes;                        /* --nodes */
    long minutes;                     /* --time in minutes, 0: no limit */
    const char *partition, *constraint, *account, *qos, *job_name;
    const char **sbatch;              /* --sbatch OPTION, in order */
    size_t nsbatch;
    const char **setup;               /* --setup LINE, in order */
    size_t nsetup;
    const char *chain_arg;            /* --chain N as given */
    int chain;                        /* follow-up jobs (docs/slurm.md) */
    int dry_run;
    /* Read from the --sbatch options, for the checks (NULL: not given;
     * owned). */
    char *nodelist, *exclude, *reservation;
    int other_cluster;                /* -M/--clusters: not SLURM_CONF's */
    wfopts_t wf;                      /* the options shared with run */
} submit_opts_t;

/* Parse argv (argv[0] is "submit") into o; strings point into argv.
 * 0, or -1 after printing a message naming the option. Free with
 * submit_opts_free() in both cases (accepts NULL, preserves errno). */
int submit_opts_parse(int argc, char **argv, submit_opts_t *o);
void submit_opts_free(submit_opts_t *o);

/* A Slurm time limit ("minutes", "minutes:seconds", "hours:minutes:seconds",
 * "days-hours", "days-hours:minutes", "days-hours:minutes:seconds") in
 * minutes, seconds rounded up as Slurm does; 0 means no limit. -1 if t is
 * none of these. */
long submit_opts_minutes(const char *t);

/* Check one --sbatch OPTION ("--name=value", "--name value", "-x value",
 * "-xvalue") and read what the checks need from it into o. -1 with err
 * for what cannot pass through (not an option, a newline, or an option
 * tessera submit sets itself, such as --nodes). */
int submit_opts_sbatch(const char *opt, submit_opts_t *o, tess_error_t *err);

/* ------------------------------------------------------------------ */
/* Checks against the cluster (submit_check.c; with Slurm support)      */
/* ------------------------------------------------------------------ */

#ifdef HAVE_SLURM
#include "launcher/slurm_alloc.h"

/* What the workers of a job can be, from the nodes Slurm may give it. */
typedef struct submit_fit {
    char archs[256];      /* architectures some worker may have */
    char sure[256];       /* architectures some worker is sure to have */
    int sure_known;       /* 0: the constraint is not understood: no sure */
    int max_cpus;         /* most CPUs of a node Slurm may give */
    int64_t max_memory_mb;
} submit_fit_t;

/* Check the request of o against the cluster c: partition limits (MaxNodes,
 * MinNodes, MaxTime), enough nodes with the --constraint features, named
 * nodes (--nodelist, --exclude, --reservation from --sbatch). Fills fit.
 * -1 with errno EINVAL and err saying why the job could never start. */
int submit_check(const slurm_alloc_cluster_t *c, const submit_opts_t *o,
                 submit_fit_t *fit, tess_error_t *err);

/* Why the job may get no worker of architecture arch (in fit->archs, not
 * in fit->sure), and what makes one sure, into buf. */
void submit_check_advice(const slurm_alloc_cluster_t *c,
                         const submit_opts_t *o, const char *arch,
                         char *buf, size_t len);
#endif

/* ------------------------------------------------------------------ */
/* The job script (submit_script.c)                                    */
/* ------------------------------------------------------------------ */

typedef struct submit_script {
    const submit_opts_t *o;
    const wf_t *wf;
    const char *self;     /* absolute path of tessera */
    const char *workflow; /* absolute path of the workflow */
    const char *run_dir;  /* absolute */
    const char *cwd;      /* where the job runs (--chdir) */
    int follow_up;        /* the script of --chain's follow-up jobs:
                             tessera resume --chain, not tessera run */
} submit_script_t;

/* Write the sbatch script of s to f. 0, or -1 with errno (ENOMEM, or the
 * stream's error), or EINVAL with err naming a path that cannot be made
 * absolute. */
int submit_script_write(FILE *f, const submit_script_t *s, tess_error_t *err);

/* p made absolute against the current directory (lexically: "." and ".."
 * components resolved, nothing looked up), into buf. -1/ENAMETOOLONG. */
int submit_script_abspath(const char *p, char *buf, size_t len);

#endif
