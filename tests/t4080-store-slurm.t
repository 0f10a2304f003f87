#!/bin/sh
# Persistent objects outlive their runs and jobs on the emulated Slurm
# cluster: a job of 2 nodes loads NeuronData (application 1) and ends; a
# second job, of 4 nodes, reads it and makes Correlation (application 2);
# a third run, outside Slurm, reads Correlation (application 3). The
# results equal numpy's computation with the same decomposition, and
# cc_original the non-persistent workflow's, bit for bit.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t4080
# emulated nodes share one host: TCP between ranks (see docs/slurm.md)
export OMPI_MCA_btl=self,tcp
export PATH="$TOP_BUILDDIR/launcher:$PATH"
cd "$SCRATCH"
EX="$TOP_SRCDIR/examples/neurons"
mkdir st
"$NEURONS_BIN/tessera-gen-spikes" spikes.h5 --neurons 18 --bins 100 --rate 0.1 --seed 21 >/dev/null
P="--param maxlag=15 --param num_surrs=25 --param block_size=4"

submit() {
    dir=$1; shift
    expect_exit 0 tessera submit "$@" --store "$SCRATCH/st" --time 00:05:00 --run-dir "$dir"
    job=$(echo "$OUT" | sed -n 's/.*submitted batch job \([0-9]*\).*/\1/p')
    [ -n "$job" ] || fail "no job: $OUT"
    wait_job "$job"
    grep -q "^state: completed" "$dir/status.txt" ||
        fail "job $job ($dir): $(cat "$dir/status.txt" "$dir"/slurm-*.out)"
}

submit load "$EX/cc_store_load.xml" --param "spikes=$SCRATCH/spikes.h5" \
    --param block_size=4 --nodes 2
expect_exit 0 tessera store show --store st NeuronData
expect_text "state: complete"
expect_text "run: $SCRATCH/load"
expect_text "blocks: 5"

submit corr "$EX/cc_store.xml" $P --nodes 4
nodes=$(awk '!/^#/ {print $2}' corr/workers.txt | sort -u | tr '\n' ' ')
[ "$nodes" = "n1 n2 n3 n4 " ] || fail "workers on '$nodes', expected n1..n4"
expect_exit 0 tessera store show --store st Correlation
expect_text "state: complete"
expect_text "blocks: 15"

# a run outside the allocation reads what the jobs left
expect_exit 0 timeout -s KILL 300 tessera run "$EX/cc_store_summary.xml" --param block_size=4 \
    --store "$SCRATCH/st" -n 2 --run-dir sum
check() { "${PYTHON3:-/usr/bin/python3}" "$EX/cc_store_check.py" "$@"; }
check export st Correlation corr.h5 >/dev/null
cc_numpy spikes.h5 np.h5 --maxlag 15 --num-surrs 25 --block-size 4 >/dev/null
cc_numpy --compare corr.h5 np.h5 || fail "Correlation made on 4 nodes differs from numpy"
expect_exit 0 check summary np.h5 sum/results.h5
expect_exit 0 timeout -s KILL 300 tessera run "$EX/cc_surrogates.xml" \
    --param "spikes=$SCRATCH/spikes.h5" --param maxlag=15 --param num_surrs=25 \
    --param num_frags=3 -n 2 --run-dir ref
cc_numpy --compare corr.h5 ref/results.h5 cc_original || fail "cc_original differs"
echo "t4080: ok"
