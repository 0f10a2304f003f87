/* randprog.c - random task programs and their sequential replay. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/region.h"
#include "runtime/test/randprog.h"
#include "base/box.h"

#define NARRAYS 3
#define MAXP 4
#define MOD 1000003

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t rnd_in(int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

struct arr {
    int rank;
    int64_t shape[4];
    int64_t numel;
    int64_t *ref; /* the sequential reference */
    tess_data_t h;
};

struct call {
    int nparams; /* data params; param 0 of the kernel is the seed */
    int64_t seed;
    int arr[MAXP];
    tess_dir_t dir[MAXP];
    region_t reg[MAXP];
};

/* The kernel: a deterministic function of its inputs and seed. Reads every
 * IN/INOUT element, then writes every element of OUT/INOUT regions. */
static void mix(int64_t seed, int n, const tess_dir_t *dir, int64_t **buf,
                const int64_t *numel)
{
    int64_t h = seed % MOD;
    for (int i = 0; i < n; i++)
        if (dir[i] != TESS_OUT)
            for (int64_t k = 0; k < numel[i]; k++)
                h = (h * 31 + buf[i][k] + 7) % MOD;
    for (int i = 0; i < n; i++)
        if (dir[i] != TESS_IN)
            for (int64_t k = 0; k < numel[i]; k++)
                buf[i][k] = (h + k * 17 + i * 101) % MOD;
}

int randprog_mix(const tess_args_t *a)
{
    int n = tess_args_count(a) - 1;
    tess_dir_t dir[MAXP];
    int64_t *buf[MAXP], numel[MAXP];
    for (int i = 0; i < n; i++) {
        buf[i] = tess_args_data(a, i + 1);
        numel[i] = tess_args_numel(a, i + 1);
        dir[i] = TESS_IN;
    }
    /* Directions are encoded in the seed's low bits (the args block does
     * not expose them to kernels, like a real kernel knows its signature). */
    int64_t seed = tess_args_int(a, 0);
    for (int i = 0; i < n; i++)
        dir[i] = (tess_dir_t)((seed >> (2 * i)) & 3);
    mix(seed, n, dir, buf, numel);
    return 0;
}

static void random_region(const struct arr *x, region_t *r)
{
    r->rank = x->rank;
    int whole = rnd() % 5 == 0;
    for (int d = 0; d < x->rank; d++) {
        if (whole) {
            r->start[d] = 0;
            r->count[d] = x->shape[d];
        } else {
            int64_t s = rnd_in(0, x->shape[d] - 1);
            r->start[d] = s;
            r->count[d] = rnd_in(1, x->shape[d] - s);
        }
    }
}

static void gen_call(struct arr *arrs, struct call *c)
{
    c->nparams = (int)rnd_in(1, MAXP);
    int64_t dirbits = 0;
    for (int i = 0; i < c->nparams; i++) {
        c->arr[i] = (int)rnd_in(0, NARRAYS - 1);
        c->dir[i] = (tess_dir_t)rnd_in(1, 3);
        random_region(&arrs[c->arr[i]], &c->reg[i]);
        dirbits |= (int64_t)c->dir[i] << (2 * i);
    }
    c->seed = ((int64_t)(rnd() % 100000) << 8) | dirbits;
}

/* Sequential execution on plain memory: gather all inputs, run, scatter
 * outputs in parameter order (a later parameter wins where they overlap,
 * as the engine's later version does). */
static void run_sequential(struct arr *arrs, const struct call *c)
{
    int64_t *buf[MAXP], numel[MAXP];
    int64_t zero[4] = {0, 0, 0, 0};
    for (int i = 0; i < c->nparams; i++) {
        struct arr *x = &arrs[c->arr[i]];
        numel[i] = region_volume(&c->reg[i]);
        buf[i] = calloc((size_t)numel[i], sizeof(int64_t));
        if (c->dir[i] != TESS_OUT)
            box_copy(sizeof(int64_t), x->rank, x->ref, x->shape,
                     c->reg[i].start, buf[i], c->reg[i].count, zero,
                     c->reg[i].count);
    }
    mix(c->seed, c->nparams, c->dir, buf, numel);
    for (int i = 0; i < c->nparams; i++) {
        struct arr *x = &arrs[c->arr[i]];
        if (c->dir[i] != TESS_IN)
            box_copy(sizeof(int64_t), x->rank, buf[i], c->reg[i].count, zero,
                     x->ref, x->shape, c->reg[i].start, c->reg[i].count);
        free(buf[i]);
    }
}

/* Number of arrays that differ; -1 if a wait failed. */
static int check_arrays(tess_run_t *run, struct arr *arrs, int prog)
{
    int bad = 0;
    for (int k = 0; k < NARRAYS; k++) {
        int64_t *got = malloc((size_t)arrs[k].numel * sizeof(int64_t));
        tess_error_t err;
        if (tess_wait_on(run, arrs[k].h, got, &err) < 0) {
            fprintf(stderr, "program %d: wait_on: %s\n", prog, err.text);
            free(got);
            return -1;
        }
        if (memcmp(got, arrs[k].ref, (size_t)arrs[k].numel * sizeof(int64_t))) {
            fprintf(stderr, "program %d: array %d differs\n", prog, k);
            bad++;
        }
        free(got);
    }
    return bad;
}

int randprog_run(tess_run_t *run, unsigned seed, int ntasks)
{
    struct arr arrs[NARRAYS];
    struct call c;
    tess_error_t err;
    int bad = 0, prog = (int)seed;

    rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(seed + 1);
    for (int k = 0; k < NARRAYS; k++) {
        struct arr *x = &arrs[k];
        x->rank = (int)rnd_in(1, 4);
        x->numel = 1;
        for (int d = 0; d < x->rank; d++) {
            x->shape[d] = rnd_in(1, x->rank <= 2 ? 12 : 5);
            x->numel *= x->shape[d];
        }
        x->ref = malloc((size_t)x->numel * sizeof(int64_t));
        for (int64_t i = 0; i < x->numel; i++)
            x->ref[i] = (int64_t)(rnd() % MOD);
        char name[16];
        snprintf(name, sizeof(name), "a%d", k);
        x->h = tess_array(run, name, TESS_I64, x->rank, x->shape, x->ref, &err);
    }
    for (int t = 0; t < ntasks; t++) {
        gen_call(arrs, &c);
        tess_param_t p[MAXP + 1];
        p[0] = tess_int(c.seed);
        for (int i = 0; i < c.nparams; i++)
            p[i + 1] = tess_region(c.dir[i], arrs[c.arr[i]].h, c.reg[i].rank,
                                   c.reg[i].start, c.reg[i].count);
        if (tess_submit(run, "mix", rnd() % 7 == 0 ? TESS_PRIORITY : 0,
                        c.nparams + 1, p, &err) == 0) {
            fprintf(stderr, "program %d: submit: %s\n", prog, err.text);
            bad = -1;
        }
        run_sequential(arrs, &c);
        if (bad >= 0 && rnd() % 50 == 0) { /* mid-way waits count too */
            int d = check_arrays(run, arrs, prog);
            bad = d < 0 ? -1 : bad + d;
        }
    }
    if (bad >= 0) {
        int d = check_arrays(run, arrs, prog);
        bad = d < 0 ? -1 : bad + d;
    }
    for (int k = 0; k < NARRAYS; k++)
        free(arrs[k].ref);
    return bad;
}
