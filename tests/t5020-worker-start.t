#!/bin/sh
# A worker that cannot start ends the run at once, never a hang: exit 1
# within seconds, a message naming the rank, node and cause, status.txt
# "failed" with that message, no process left. Causes: more slots than the
# worker can set up (--slots 100000: it runs out of descriptors for the
# executors' shared memory), an architecture name of 300 characters, and
# (MPMD) a rank that joins the job but never reports (TESS_START_TIMEOUT).
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
wf="$TOP_SRCDIR/tests/wfrun/naps.xml"
host=$(hostname)
long=$(printf '%0300d' 0 | tr 0 a)

# run_bg NAME CMD...: start CMD in the background, wait for it (60 s at
# most), check exit 1 within 30 s and that nothing it started is left
run_bg() {
    name=$1; shift
    "$@" >"$name.out" 2>&1 &
    pid=$!
    pids=
    i=0
    while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do
        pids="$pids $(descendants $pid)"   # the tree as it grows
        i=$((i + 1))
        sleep 0.1
    done
    wait_exit $pid 60
    OUT=$(cat "$name.out")
    [ "$RC" -eq 1 ] || fail "$name: exit $RC: $OUT"
    [ "$WAITED" -le 30 ] || fail "$name: took $WAITED s"
    left=$(survivors "$(echo $pids | tr ' ' '\n' | sort -u)")
    [ -z "$left" ] || fail "$name: left behind: $left"
}

run_bg slots "$TESSERA" run "$wf" --param n=3 -n 1 --slots 100000 --run-dir slots
expect_text "tessera: worker rank 1 on $host cannot start: sandbox: shared memory for slot "
expect_text "Too many open files"
record slots
expect_eq "slots: state" "$ST_state" failed
case "$ST_message" in
"worker rank 1 on $host cannot start: "*) ;;
*) fail "slots: status message: $ST_message" ;;
esac
expect_eq "slots: tasks done" "$ST_tasks_done" 0

run_bg arch env TESS_ARCH="$long" "$TESSERA" run "$wf" --param n=3 -n 2 --run-dir arch
# both workers refuse it: whichever the engine hears first is named
case "$OUT" in
*"tessera: worker rank "[12]" on $host cannot start: worker: architecture name 'aaaa"*) ;;
*) fail "arch: no 'worker rank 1|2 on $host cannot start' in: $OUT" ;;
esac
expect_text "too long (at most 63 characters)"
record arch
expect_eq "arch: state" "$ST_state" failed
case "$ST_message" in
"worker rank "[12]" on $host cannot start: worker: architecture name"*) ;;
*) fail "arch: status message: $ST_message" ;;
esac

# MPMD: rank 1 joins MPI and says nothing
run_bg silent env TESS_IN_JOB=1 TESS_START_TIMEOUT=3 \
    mpirun --oversubscribe --bind-to none -q \
    -np 1 "$TESSERA" run "$wf" --param n=3 --run-dir "$SCRATCH/silent" : \
    -np 1 "$TOP_BUILDDIR/tests/prog/faults" --silent
expect_text "tessera: worker rank 1 did not report within 3 s of the start (TESS_START_TIMEOUT)"
record silent
expect_eq "silent: state" "$ST_state" failed
expect_eq "silent: message" "$ST_message" \
    "worker rank 1 did not report within 3 s of the start (TESS_START_TIMEOUT)"
echo "t5020: ok"
