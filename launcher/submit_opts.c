/* submit_opts.c - the options of `tessera submit`: its own, those it
 * shares with `tessera run`, and what may pass through to sbatch. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/submit.h"

enum { OPT_FLAG, OPT_OWN, OPT_SHARED };

/* Every option tessera submit accepts (besides -h/--help): the usage text
 * (CMD_SUBMIT_USAGE) and the man page list the same, which
 * tests/t2040-submit-options.t checks. OPT_SHARED ones go to wfopts. */
static const struct submit_opt {
    const char *name;
    int kind;
} submit_opt_table[] = {
    {"--nodes", OPT_OWN},
    {"--time", OPT_OWN},
    {"--partition", OPT_OWN},
    {"--constraint", OPT_OWN},
    {"--account", OPT_OWN},
    {"--qos", OPT_OWN},
    {"--job-name", OPT_OWN},
    {"--sbatch", OPT_OWN},
    {"--setup", OPT_OWN},
    {"--chain", OPT_OWN},
    {"--dry-run", OPT_FLAG},
    {"-n", OPT_SHARED},
    {"--workers", OPT_SHARED},
    {"--slots", OPT_SHARED},
    {"-p", OPT_SHARED},
    {"--param", OPT_SHARED},
    {"--kernel-path", OPT_SHARED},
    {"--store", OPT_SHARED},
    {"--run-dir", OPT_SHARED},
    {"--dot", OPT_SHARED},
};

/* Read the '-'/':'-separated numbers of t into v (at most 4); their
 * count, or -1 if t is not numbers separated so. *dash: which separator
 * followed the first number. */
static int numbers(const char *t, long v[4], char *dash)
{
    int n = 0;
    *dash = 0;
    for (const char *p = t;; p++) {
        char *end;
        if (!isdigit((unsigned char)*p) || n == 4)
            return -1;
        errno = 0;
        v[n++] = strtol(p, &end, 10);
        if (errno || v[n - 1] > 10000000)
            return -1;
        p = end;
        if (*p == '\0')
            return n;
        if (*p == '-' && n == 1)
            *dash = 1;
        else if (*p != ':')
            return -1;
    }
}

long submit_opts_minutes(const char *t)
{
    long v[4] = {0, 0, 0, 0};
    char dash;
    int n = numbers(t, v, &dash);
    if (n < 0)
        return -1;
    if (dash) /* days-hours[:minutes[:seconds]] */
        return v[0] * 1440 + v[1] * 60 + v[2] + (v[3] + 59) / 60;
    switch (n) {
    case 1: /* minutes */
        return v[0];
    case 2: /* minutes:seconds */
        return v[0] + (v[1] + 59) / 60;
    case 3: /* hours:minutes:seconds */
        return v[0] * 60 + v[1] + (v[2] + 59) / 60;
    default:
        return -1;
    }
}

/* sbatch options that tessera submit sets itself (its own option, the run
 * directory, the job's directory), or that would make it not one run. */
static const struct {
    const char *name;
    char letter;
    const char *why;
} sbatch_refused[] = {
    {"--nodes", 'N', "use tessera submit --nodes"},
    {"--time", 't', "use tessera submit --time"},
    {"--partition", 'p', "use tessera submit --partition"},
    {"--constraint", 'C', "use tessera submit --constraint"},
    {"--account", 'A', "use tessera submit --account"},
    {"--qos", 'q', "use tessera submit --qos"},
    {"--job-name", 'J', "use tessera submit --job-name"},
    {"--output", 'o', "the job's output goes to the run directory"},
    {"--error", 'e', "the job's output goes to the run directory"},
    {"--chdir", 'D', "the job runs in the directory tessera submit ran in"},
    {"--array", 'a', "one job runs one workflow in one run directory"},
    {"--wrap", 0, "the job runs the script tessera submit writes"},
    {"--test-only", 0, "nothing would be submitted"},
};

/* Keep a copy of value in *slot (last one wins). */
static int keep(char **slot, const char *value, size_t n)
{
    char *v = strndup(value, n);
    if (!v)
        return -1;
    free(*slot);
    *slot = v;
    return 0;
}

int submit_opts_sbatch(const char *opt, submit_opts_t *o, tess_error_t *err)
{
    if (opt[0] != '-' || opt[1] == '\0' || opt[1] == ' ') {
        errno = EINVAL;
        return tess_errprintf(err, "--sbatch '%s': not an sbatch option "
                              "(--name=value, or -x value)", opt);
    }
    if (strpbrk(opt, "\n\r")) {
        errno = EINVAL;
        return tess_errprintf(err, "--sbatch: an option holds a newline");
    }
    /* Split into the option's name and its value ("" if none). */
    char name[64];
    const char *value;
    size_t nlen;
    if (opt[1] == '-') {
        nlen = strcspn(opt, "= \t");
        value = opt + nlen + (opt[nlen] != '\0');
    } else {
        nlen = 2;
        value = opt + 2;
    }
    while (*value == ' ' || *value == '\t')
        value++;
    snprintf(name, sizeof(name), "%.*s", (int)(nlen < 63 ? nlen : 63), opt);
    for (size_t i = 0; i < sizeof(sbatch_refused) / sizeof(sbatch_refused[0]);
         i++) {
        const char *r = sbatch_refused[i].name;
        /* sbatch also takes unambiguous abbreviations: --tim, --const */
        int hit = nlen == 2 ? name[1] == sbatch_refused[i].letter
                            : nlen >= 4 && strncmp(r, name, nlen) == 0;
        if (hit) {
            errno = EINVAL;
            return tess_errprintf(err, "--sbatch '%s': tessera submit sets "
                                  "%s itself (%s)", opt, r,
                                  sbatch_refused[i].why);
        }
    }
    /* What changes the nodes the job may get, for the checks. */
    char **slot = NULL;
    if (strcmp(name, "--nodelist") == 0 || strcmp(name, "-w") == 0)
        slot = &o->nodelist;
    else if (strcmp(name, "--exclude") == 0 || strcmp(name, "-x") == 0)
        slot = &o->exclude;
    else if (strcmp(name, "--reservation") == 0)
        slot = &o->reservation;
    else if (strcmp(name, "--clusters") == 0 || strcmp(name, "-M") == 0 ||
             strcmp(name, "--cluster") == 0)
        o->other_cluster = 1;
    if (slot) {
        if (!*value) {
            errno = EINVAL;
            return tess_errprintf(err, "--sbatch '%s': give the value in the "
                                  "same option (%s=VALUE)", opt, name);
        }
        if (keep(slot, value, strcspn(value, " \t")) < 0)
            return tess_errprintf(err, "out of memory");
    }
    return 0;
}

/* A value that becomes part of one #SBATCH line: no blank or newline. */
static int one_word(const char *opt, const char *v)
{
    if (!*v || strpbrk(v, " \t\n\r'\"")) {
        fprintf(stderr, "tessera submit: %s '%s': one word without blanks "
                "or quotes expected\n", opt, v);
        return -1;
    }
    return 0;
}

static int append(const char ***list, size_t *n, const char *v)
{
    const char **l = realloc(*list, (*n + 1) * sizeof(*l));
    if (!l) {
        fprintf(stderr, "tessera submit: out of memory\n");
        return -1;
    }
    l[(*n)++] = v;
    *list = l;
    return 0;
}

/* Check the values of the options of o; 0 or -1 after a message. */
static int check_values(submit_opts_t *o)
{
    if (!o->nodes_arg || !o->time_arg) {
        fprintf(stderr, "tessera submit: --nodes and --time are required "
                "(see tessera submit --help)\n");
        return -1;
    }
    char *end;
    errno = 0;
    long n = strtol(o->nodes_arg, &end, 10);
    if (errno || end == o->nodes_arg || *end || n < 1 || n > 1 << 20) {
        fprintf(stderr, "tessera submit: --nodes: '%s' is not a node count\n",
                o->nodes_arg);
        return -1;
    }
    o->nodes = (int)n;
    if (o->chain_arg) {
        errno = 0;
        n = strtol(o->chain_arg, &end, 10);
        if (errno || end == o->chain_arg || *end || n < 0 ||
            n > SUBMIT_CHAIN_MAX) {
            fprintf(stderr, "tessera submit: --chain: '%s' is not a number "
                    "of follow-up jobs (0 to %d)\n", o->chain_arg,
                    SUBMIT_CHAIN_MAX);
            return -1;
        }
        o->chain = (int)n;
    }
    if ((o->minutes = submit_opts_minutes(o->time_arg)) < 0) {
        fprintf(stderr, "tessera submit: --time: '%s' is not a time limit "
                "(HH:MM:SS, MM:SS, minutes, D-HH[:MM[:SS]])\n", o->time_arg);
        return -1;
    }
    const char *words[][2] = {{"--partition", o->partition},
                              {"--constraint", o->constraint},
                              {"--account", o->account},
                              {"--qos", o->qos},
                              {"--job-name", o->job_name}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (words[i][1] && one_word(words[i][0], words[i][1]) < 0)
            return -1;
    for (size_t i = 0; i < o->nsetup; i++)
        if (strpbrk(o->setup[i], "\n\r")) {
            fprintf(stderr, "tessera submit: --setup: one line per --setup, "
                    "without a newline\n");
            return -1;
        }
    for (size_t i = 0; i < o->nsbatch; i++) {
        tess_error_t err;
        if (submit_opts_sbatch(o->sbatch[i], o, &err) < 0) {
            fprintf(stderr, "tessera submit: %s\n", err.text);
            return -1;
        }
    }
    return 0;
}

int submit_opts_parse(int argc, char **argv, submit_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->wf.workers = -1;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0, rc = -1;
    if (!rest) {
        fprintf(stderr, "tessera submit: out of memory\n");
        return -1;
    }
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            rest[nrest++] = argv[i]; /* the workflow */
            continue;
        }
        size_t k = 0, nopts = sizeof(submit_opt_table) /
                              sizeof(submit_opt_table[0]);
        while (k < nopts && strcmp(a, submit_opt_table[k].name) != 0)
            k++;
        if (k == nopts) {
            fprintf(stderr, "tessera submit: unknown option '%s' (see "
                    "tessera submit --help)\n", a);
            goto out;
        }
        if (submit_opt_table[k].kind == OPT_FLAG) {
            o->dry_run = 1;
            continue;
        }
        if (i + 1 == argc) {
            fprintf(stderr, "tessera submit: %s needs a value\n", a);
            goto out;
        }
        const char *v = argv[++i];
        if (submit_opt_table[k].kind == OPT_SHARED) {
            rest[nrest++] = argv[i - 1];
            rest[nrest++] = argv[i];
        } else if (strcmp(a, "--nodes") == 0) {
            o->nodes_arg = v;
        } else if (strcmp(a, "--time") == 0) {
            o->time_arg = v;
        } else if (strcmp(a, "--partition") == 0) {
            o->partition = v;
        } else if (strcmp(a, "--constraint") == 0) {
            o->constraint = v;
        } else if (strcmp(a, "--account") == 0) {
            o->account = v;
        } else if (strcmp(a, "--qos") == 0) {
            o->qos = v;
        } else if (strcmp(a, "--job-name") == 0) {
            o->job_name = v;
        } else if (strcmp(a, "--chain") == 0) {
            o->chain_arg = v;
        } else if (strcmp(a, "--sbatch") == 0) {
            if (append(&o->sbatch, &o->nsbatch, v) < 0)
                goto out;
        } else if (append(&o->setup, &o->nsetup, v) < 0) { /* --setup */
            goto out;
        }
    }
    rest[nrest] = NULL;
    if (wfopts_parse(nrest, rest, WFOPTS_RUN, &o->wf) < 0 || check_values(o) < 0)
        goto out;
    rc = 0;
out:
    free(rest);
    return rc;
}

void submit_opts_free(submit_opts_t *o)
{
    if (!o)
        return;
    int e = errno;
    wfopts_free(&o->wf);
    free(o->sbatch);
    free(o->setup);
    free(o->nodelist);
    free(o->exclude);
    free(o->reservation);
    memset(o, 0, sizeof(*o));
    errno = e;
}
