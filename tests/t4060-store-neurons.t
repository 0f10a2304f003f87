#!/bin/sh
# The persistent neurons analysis (examples/neurons/cc_store_*.xml): three
# applications on MPI workers, one after the other, against the
# non-persistent analysis. Application 1 loads spikes into NeuronData
# (blocks of 5 neurons), application 2 correlates every pair of blocks
# into Correlation, application 3 writes the significant pairs.
#  - cc_original equals the non-persistent workflow's bit for bit (any
#    decomposition: it draws no random numbers);
#  - the surrogate bands equal numpy's computation with the same
#    decomposition (one generator per pair of blocks, seed + id*delta) bit
#    for bit, and the non-persistent workflow's when the fragments and
#    seeds are the same (one block of all neurons = num_frags 1);
#  - the summary equals the significant pairs computed by numpy;
#  - application 2 as a C program makes the same Correlation;
#  - the objects outlive their runs, with their provenance; a second
#    producer of a name gets exit 2.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
EX="$TOP_SRCDIR/examples/neurons"
check() { "${PYTHON3:-/usr/bin/python3}" "$EX/cc_store_check.py" "$@"; }
mkdir st
run() { timeout -s KILL 300 "$TESSERA" run "$@" --store "$SCRATCH/st" -n 2; }

"$NEURONS_BIN/tessera-gen-spikes" spikes.h5 --neurons 23 --bins 120 --rate 0.08 --seed 3 >/dev/null
P="-p maxlag=12 -p num_surrs=30"

# the three applications (23 neurons: 5 blocks, the last one of 3)
expect_exit 0 run "$EX/cc_store_load.xml" -p "spikes=$SCRATCH/spikes.h5" -p block_size=5 --run-dir load
expect_exit 0 "$TESSERA" store show --store st NeuronData
expect_text "state: complete"
expect_text "block 4: [20:23, 0:120] 3x120 360 bytes"
expect_exit 0 run "$EX/cc_store.xml" $P -p block_size=5 --run-dir corr
expect_exit 0 "$TESSERA" store show --store st Correlation
expect_text "state: complete"
expect_text "blocks: 15"
expect_text "shape: 23x23x3x25"
expect_text "workflow: cc_store"
expect_text "run: $SCRATCH/corr"
expect_text "block 24: [20:23, 20:23, 0:3, 0:25]"
expect_exit 0 run "$EX/cc_store_summary.xml" -p block_size=5 --run-dir sum
[ -f sum/results.h5 ] || fail "no summary"

# against the non-persistent workflow and numpy
expect_exit 0 run "$EX/cc_surrogates.xml" -p "spikes=$SCRATCH/spikes.h5" $P -p num_frags=4 --run-dir ref
check export st Correlation corr.h5 >/dev/null || fail "Correlation does not cover every pair once"
cc_numpy --compare corr.h5 ref/results.h5 cc_original ||
    fail "cc_original differs from the non-persistent analysis"
if cc_numpy --compare corr.h5 ref/results.h5 cc_surrs >/dev/null; then
    fail "the surrogates of 15 block pairs equal those of 4 fragments: the seeds are not per block pair"
fi
cc_numpy spikes.h5 np5.h5 --maxlag 12 --num-surrs 30 --block-size 5 >/dev/null
cc_numpy --compare corr.h5 np5.h5 || fail "Correlation differs from numpy's block pairs"
expect_exit 0 check summary np5.h5 sum/results.h5
expect_text "pairs significant"
echo "t4060: $(echo "$OUT" | tail -1)"

# application 2 as a C program (tess_persist_*, tess_blocks*, mpirun):
# the same Correlation bit for bit
expect_exit 0 tess_mpirun -np 3 "$NEURONS_BIN/tessera-cc-store" \
    NeuronData CorrC --store "$SCRATCH/st" --block-size 5 --maxlag 12 --num-surrs 30 \
    --run-dir corr-c
expect_text "tessera-cc-store: NeuronData: 23 neurons in 5 blocks: 15 tasks into CorrC"
check export st CorrC corr-c.h5 >/dev/null
cc_numpy --compare corr.h5 corr-c.h5 || fail "the C program's Correlation differs"
expect_exit 2 tess_mpirun -np 2 "$NEURONS_BIN/tessera-cc-store" \
    NeuronData CorrC --store "$SCRATCH/st" --block-size 5 --maxlag 12 --num-surrs 30 \
    --run-dir corr-c2
expect_text "object CorrC exists already"

# one block of all neurons: the fragments and seeds of num_frags 1
expect_exit 0 run "$EX/cc_store_load.xml" -p "spikes=$SCRATCH/spikes.h5" -p block_size=23 \
    -p neuron_data=ND1 --run-dir load1
expect_exit 0 run "$EX/cc_store.xml" $P -p block_size=23 -p neuron_data=ND1 \
    -p correlation=C1 --run-dir corr1
expect_exit 0 run "$EX/cc_surrogates.xml" -p "spikes=$SCRATCH/spikes.h5" $P -p num_frags=1 --run-dir ref1
check export st C1 c1.h5 >/dev/null
cc_numpy --compare c1.h5 ref1/results.h5 || fail "one block differs from num_frags 1"

# a second producer of Correlation: refused, exit 2, the object untouched
expect_exit 2 run "$EX/cc_store.xml" $P -p block_size=5 --run-dir again
expect_text "object Correlation exists already (created by"
check export st Correlation again.h5 >/dev/null
cc_numpy --compare corr.h5 again.h5 || fail "Correlation changed"
# bad input names its place: a bad name; an object that is not there is
# waited for (wait=), the run says when it gives up
expect_exit 0 "$TESSERA" validate "$EX/cc_store_summary.xml" --store st -p correlation=Nope
sed 's/wait="600"/wait="1"/' "$EX/cc_store_summary.xml" >summary-1s.xml
expect_exit 2 run summary-1s.xml -p correlation=Nope --run-dir nope
expect_text "no object Nope after waiting 1.0 s"
expect_exit 2 "$TESSERA" validate "$EX/cc_store.xml" -p correlation=../up
expect_text "cc_store.xml:"
expect_text "'../up'"
# another application deletes an object, once its calls before are done
cat >rm.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="https://tessera.dev/schemas/workflow/1" name="rm">
  <param name="object" type="string" default="C1"/>
  <body><delete-object object="{object}"/></body>
</workflow>
XML
expect_exit 0 run rm.xml --run-dir rm
expect_exit 2 "$TESSERA" store show --store st C1
expect_text "no object C1"
expect_exit 2 run rm.xml --run-dir rm2
expect_text "no object C1"
echo "t4060: ok"
