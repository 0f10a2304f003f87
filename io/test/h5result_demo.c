/* h5result_demo.c - write a small result file through io/ (for
 * tests/t1020-h5-files.t, which reads it with h5dump and h5py).
 *
 * usage: h5result_demo PATH [--abort]
 *
 * PATH gets /cc_original (num_ccs x 5 float64, deflate 4, element [p, k] =
 * p * 1000 + k, assembled from 3 fragment files written beside PATH),
 * /counts/per_pair (num_ccs int32 = p * p, no compression) and the
 * provenance attributes plus num_ccs (int) and alpha (double).
 * With --abort everything is written, then aborted: PATH must not change.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5frag.h"
#include "io/h5result.h"

#define NUM_CCS 10
#define LAGS 5

static int die(const char *what, const tess_error_t *err)
{
    fprintf(stderr, "h5result_demo: %s: %s\n", what, err->text);
    return 1;
}

int main(int argc, char **argv)
{
    tess_error_t err = {""};
    char run[PATH_MAX], frag[PATH_MAX];
    double cc[NUM_CCS * LAGS];
    int32_t counts[NUM_CCS];
    int64_t shape[2] = {NUM_CCS, LAGS}, n1[1] = {NUM_CCS}, z[2] = {0, 0};
    int abort_it = argc > 2 && strcmp(argv[2], "--abort") == 0;

    if (argc < 2) {
        fprintf(stderr, "usage: h5result_demo PATH [--abort]\n");
        return 2;
    }
    for (int p = 0; p < NUM_CCS; p++) {
        counts[p] = p * p;
        for (int k = 0; k < LAGS; k++)
            cc[p * LAGS + k] = p * 1000.0 + k;
    }
    snprintf(run, sizeof(run), "%s.run", argv[1]);

    h5result_t *res = h5result_create(argv[1], &err);
    if (!res)
        return die("create", &err);
    if (h5result_add_array(res, "cc_original", TESS_F64, 2, shape, 4, &err) < 0
        || h5result_add_array(res, "counts/per_pair", TESS_I32, 1, n1, 0,
                              &err) < 0)
        return die("add", &err);
    /* three fragments of rows: [0, 4), [4, 7), [7, 10) */
    const int64_t first[4] = {0, 4, 7, NUM_CCS};
    for (int f = 0; f < 3; f++) {
        int64_t s[2] = {first[f], 0}, c[2] = {first[f + 1] - first[f], LAGS};
        h5frag_path(frag, sizeof(frag), run, 1, (uint32_t)f);
        if (h5frag_write(frag, TESS_F64, 2, s, c, &cc[first[f] * LAGS], &err)
                < 0
            || h5result_copy_from_frag(res, "cc_original", frag, s, c, &err)
                   < 0)
            return die("fragment", &err);
        h5frag_remove(frag);
    }
    if (h5result_write_box(res, "counts/per_pair", z, n1, counts, &err) < 0)
        return die("write", &err);
    if (h5result_set_provenance(res, "demo.xml", "num_frags=3\nmaxlag=2",
                                &err) < 0
        || h5result_set_attr_int(res, "num_ccs", NUM_CCS, &err) < 0
        || h5result_set_attr_double(res, "alpha", 0.05, &err) < 0)
        return die("attributes", &err);
    if (abort_it) {
        h5result_abort(res);
    } else if (h5result_commit(res, &err) < 0) {
        h5result_destroy(res);
        return die("commit", &err);
    }
    h5result_destroy(res);
    return 0;
}
