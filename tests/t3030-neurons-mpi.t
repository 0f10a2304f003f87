#!/bin/sh
# The neurons analysis as a Tessera program on real mpirun ranks equals the
# sequential reference and the independent numpy implementation bit for bit,
# for several fragment counts, seeds and rank counts.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"

"$NEURONS_BIN/tessera-gen-spikes" spikes.h5 --neurons 24 --bins 150 --rate 0.08 --seed 7 >/dev/null
common="--maxlag 40 --num-surrs 60"
cc_numpy spikes.h5 numpy.h5 $common --num-frags 3 --seed 12345 >/dev/null

for case in "2 1 12345" "3 3 12345" "4 7 12345" "3 5 999" "2 40 2398645"; do
    set -- $case
    np=$1 frags=$2 seed=$3
    "$NEURONS_BIN/tessera-cc-seq" spikes.h5 "seq-$frags-$seed.h5" $common \
        --num-frags "$frags" --seed "$seed"
    expect_exit 0 tess_mpirun -np "$np" "$NEURONS_BIN/tessera-cc" spikes.h5 \
        --run-dir "run-$np-$frags" $common --num-frags "$frags" --seed "$seed"
    expect_text "results: run-$np-$frags/results.h5"
    cc_numpy --compare "seq-$frags-$seed.h5" "run-$np-$frags/results.h5" ||
        fail "np=$np frags=$frags seed=$seed: differs from the sequential reference"
done
# numpy (num_frags 3, seed 12345) against the 3-rank Tessera run
cc_numpy --compare numpy.h5 run-3-3/results.h5 ||
    fail "Tessera differs from the numpy implementation"

# bad input: exit 2, message naming the file, no results
expect_exit 2 tess_mpirun -np 2 "$NEURONS_BIN/tessera-cc" missing.h5 --run-dir bad
expect_text "missing.h5"
[ ! -e bad/results.h5 ] || fail "results written for a bad input"
expect_exit 2 tess_mpirun -np 2 "$NEURONS_BIN/tessera-cc" spikes.h5 --run-dir bad2 --maxlag 500
expect_text "maxlag"
echo "t3030: ok"
