/*
 * opts.h - command-line options of the neurons programs (the sequential
 * reference and the Tessera program share them and their defaults).
 */
#ifndef NEURONS_OPTS_H
#define NEURONS_OPTS_H

#include <stdint.h>

typedef struct neurons_opts {
    const char *in;      /* first positional argument (SPIKES.h5) */
    const char *out;     /* second positional argument, or --out */
    const char *run_dir; /* --run-dir */
    int64_t num_frags, maxlag, num_surrs, seed, delta;
} neurons_opts_t;

#define NEURONS_OPTS_HELP                                                    \
    "  --num-frags F   fragments (tasks) of the pair list   (default 10)\n"  \
    "  --maxlag M      largest lag                          (default 200)\n" \
    "  --num-surrs S   surrogates per pair                  (default 200)\n" \
    "  --seed X        seed of fragment 0                   (default 2398645)\n" \
    "  --delta D       seed increment per fragment          (default 1782324)\n"

/* Parse argv into o (defaults of the original analysis first). npos: the
 * number of positional arguments required; with_paths: accept --out and
 * --run-dir. Returns 0 to run, 1 if help was asked for, -1 on bad usage
 * (message on stderr, prefixed with prog). */
int neurons_opts_parse(const char *prog, int argc, char **argv, int npos,
                       int with_paths, neurons_opts_t *o);

#endif
