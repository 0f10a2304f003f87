#!/bin/sh
# The three applications of the persistent neurons analysis at once, each
# consumer started before its producer: the summary (application 3) waits
# for Correlation, the correlation (2) for NeuronData, then the loader (1)
# starts. Each works on the blocks as they are committed (in situ): the
# summary's first task starts before the correlation's last one ends (the
# correlation is paused after its first block until the summary has used
# it, so this holds under any load). The
# results equal those of the applications run one after the other, and
# cc_original the non-persistent workflow's; no process is left behind.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
EX="$TOP_SRCDIR/examples/neurons"
check() { "${PYTHON3:-/usr/bin/python3}" "$EX/cc_store_check.py" "$@"; }
mkdir st
run() { timeout -s KILL 300 "$TESSERA" run "$@" --store "$SCRATCH/st"; }

"$NEURONS_BIN/tessera-gen-spikes" spikes.h5 --neurons 60 --bins 300 --rate 0.08 --seed 11 >/dev/null
P="-p maxlag=100 -p num_surrs=400 -p block_size=6"

run "$EX/cc_store_summary.xml" -p block_size=6 -n 1 --run-dir sum >sum.log 2>&1 &
s=$!
sleep 1
[ ! -e st/Correlation ] || fail "Correlation exists before its producer"
kill -0 $s 2>/dev/null || fail "the summary did not wait: $(cat sum.log)"
run "$EX/cc_store.xml" $P -n 1 --slots 1 --run-dir corr >corr.log 2>&1 &
c=$!
sleep 1
[ ! -e st/NeuronData ] || fail "NeuronData exists before its producer"
run "$EX/cc_store_load.xml" -p "spikes=$SCRATCH/spikes.h5" -p block_size=6 -n 1 \
    --run-dir load >load.log 2>&1 &
l=$!
# In situ, whatever the machine's load: once the first block of
# Correlation is committed, the correlation's processes are stopped
# (SIGSTOP, by PID) until the summary has finished a task on it.
n=0
until ls st/Correlation/blocks/b*.h5 >/dev/null 2>&1; do
    n=$((n + 1))
    [ $n -lt 30000 ] || fail "no block of Correlation after 300 s"
    kill -0 $c 2>/dev/null || fail "application 2 ended before a block: $(cat corr.log)"
    sleep 0.01
done
corr_procs=$(descendants $c | sed 's/:.*//')
kill -STOP $corr_procs
committed=$(ls st/Correlation/blocks/ | grep -c '^b[0-9]*\.h5$')
wait_for 120 grep -q ',ok,' sum/trace.csv
kill -CONT $corr_procs
[ "$committed" -lt 55 ] || fail "the correlation committed all its blocks before it was stopped"
wait $l || fail "application 1: $(cat load.log)"
wait $c || fail "application 2: $(cat corr.log)"
wait $s || fail "application 3: $(cat sum.log)"
no_process $l $c $s

# in situ: the summary worked while Correlation was being produced
first_sum=$(awk -F, 'NR > 1 && $16 == "ok" {print $10}' sum/trace.csv | sort -n | head -1)
last_corr=$(awk -F, 'NR > 1 && $16 == "ok" {print $11}' corr/trace.csv | sort -n | tail -1)
[ -n "$first_sum" ] && [ -n "$last_corr" ] || fail "no tasks in the traces"
[ "$first_sum" -lt "$last_corr" ] ||
    fail "the summary's first task started after the correlation's last one ended"
n=$(awk -F, 'NR > 1 && $16 == "ok"' sum/trace.csv | wc -l)
[ "$n" -eq 55 ] || fail "the summary ran $n tasks, expected one per block (55)"
echo "t4070: summary started $(( (last_corr - first_sum) / 1000000 )) ms before the correlation's end"

# the same results as one after the other
run "$EX/cc_store.xml" $P -p correlation=C2 -n 2 --run-dir corr2 >/dev/null 2>&1 ||
    fail "application 2 again"
check export st Correlation corr.h5 >/dev/null
check export st C2 c2.h5 >/dev/null
cc_numpy --compare corr.h5 c2.h5 || fail "Correlation differs from a run after its input was complete"
expect_exit 0 check summary corr.h5 sum/results.h5
run "$EX/cc_surrogates.xml" -p "spikes=$SCRATCH/spikes.h5" -p maxlag=100 -p num_surrs=400 \
    -p num_frags=3 -n 2 --run-dir ref >/dev/null 2>&1 || fail "the reference"
cc_numpy --compare corr.h5 ref/results.h5 cc_original ||
    fail "cc_original differs from the non-persistent analysis"
echo "t4070: ok"
