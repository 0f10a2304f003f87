/* opts.c - option parsing shared by the neurons programs. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/neurons/opts.h"

/* The whole of s as a decimal int64. */
static int parse_i64(const char *prog, const char *opt, const char *s,
                     int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0') {
        fprintf(stderr, "%s: %s: '%s' is not an integer\n", prog, opt, s);
        return -1;
    }
    *v = x;
    return 0;
}

int neurons_opts_parse(const char *prog, int argc, char **argv, int npos,
                       int with_paths, neurons_opts_t *o)
{
    static const struct {
        const char *name;
        size_t off;
    } ints[] = {
        {"--num-frags", offsetof(neurons_opts_t, num_frags)},
        {"--maxlag", offsetof(neurons_opts_t, maxlag)},
        {"--num-surrs", offsetof(neurons_opts_t, num_surrs)},
        {"--seed", offsetof(neurons_opts_t, seed)},
        {"--delta", offsetof(neurons_opts_t, delta)},
    };
    *o = (neurons_opts_t){.num_frags = 10, .maxlag = 200, .num_surrs = 200,
                          .seed = 2398645, .delta = 1782324};
    int got = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return 1;
        if (arg[0] != '-' || arg[1] == '\0') {
            if (got == npos) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", prog, arg);
                return -1;
            }
            *(got++ == 0 ? &o->in : &o->out) = arg;
            continue;
        }
        if (i + 1 == argc) {
            fprintf(stderr, "%s: %s needs a value\n", prog, arg);
            return -1;
        }
        if (with_paths && strcmp(arg, "--out") == 0) {
            o->out = argv[++i];
            continue;
        }
        if (with_paths && strcmp(arg, "--run-dir") == 0) {
            o->run_dir = argv[++i];
            continue;
        }
        size_t k = 0;
        while (k < sizeof(ints) / sizeof(ints[0]) && strcmp(arg, ints[k].name))
            k++;
        if (k == sizeof(ints) / sizeof(ints[0])) {
            fprintf(stderr, "%s: unknown option '%s'\n", prog, arg);
            return -1;
        }
        if (parse_i64(prog, arg, argv[++i],
                      (int64_t *)((char *)o + ints[k].off)) < 0)
            return -1;
    }
    if (got != npos) {
        fprintf(stderr, "%s: expected %d file argument%s\n", prog, npos,
                npos == 1 ? "" : "s");
        return -1;
    }
    return 0;
}
