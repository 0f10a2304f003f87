#!/bin/sh
# Failure policies and time-outs written in the workflow (<on-failure
# policy=... retries=...>, <task timeout=...>), on two MPI workers, from
# tests/wfrun/policy.xml with the policy of its "step" task rewritten:
# fail (exit 1, the failed task's successor cancelled; tasks waiting in a
# worker's queue come back as not run, no hang), cancel-successors
# (exit 1, the independent tasks done), ignore (exit 0, the crashed task's
# output zeros in results.h5), retry (a task that fails once succeeds on
# the other worker; one that always crashes fails "again"), and a
# time-out (killed, "timed out after 1.5 s").
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
host=$(hostname)

# wf POLICY [TIMEOUT]: the workflow with that policy (and time-out) for step
wf() {
    f="$SCRATCH/policy-$1${2:+-t}.xml"
    sed -e "/<task name=\"step\"/,/<\/task>/s|<on-failure policy=\"fail\"/>|<on-failure policy=\"$1\"/>|" \
        -e "s|<task name=\"step\" kernel=\"test_kernels:crash\">|<task name=\"step\" kernel=\"test_kernels:crash\"${2:+ timeout=\"$2\"}>|" \
        "$TOP_SRCDIR/tests/wfrun/policy.xml" > "$f"
    echo "$f"
}

n=0
run() { # POLICY TIMEOUT MODE EXIT
    n=$((n + 1))
    d="$SCRATCH/run-$n"
    expect_exit "$4" "$TESSERA" run "$(wf "$1" "$2")" --param mode="$3" \
        --param marker="$SCRATCH/marker-$n" -n 2 --run-dir "$d"
    record "$d"
}

# fail, with slots of one so that tasks wait in the workers' queues when
# the run stops: each must come back as not run (a lost one hung the run
# forever, in about half of these runs); 4 runs, each bounded
i=0
while [ $i -lt 4 ]; do
    i=$((i + 1))
    expect_exit 1 timeout 60 "$TESSERA" run "$(wf fail)" --param mode=7 \
        --param marker="$SCRATCH/queued-$i" -n 2 --slots 1 --run-dir "queued-$i"
    record "queued-$i"
    expect_eq "queued $i: every task counted" \
        $((ST_tasks_done + ST_tasks_failed + ST_tasks_cancelled + ST_tasks_not_run)) 5
done

run fail "" 7 1
expect_text "task 2 (step: test_kernels:crash) failed on $host (rank "
expect_text "): refusing value 1 on purpose"
expect_eq "fail: state" "$ST_state" failed
expect_eq "fail: step 3" "$(trace_field "$d" state task=3)" cancelled
[ ! -e "$d/results.h5" ] || fail "fail: results written"

run cancel-successors "" 1 1
expect_text "killed by signal 11 (Segmentation fault)"
expect_eq "cancel: state" "$ST_state" failed
expect_eq "cancel: step 3" "$(trace_field "$d" state task=3)" cancelled
expect_eq "cancel: later" "$(trace_field "$d" state task=4)" ok
expect_eq "cancel: flaky" "$(trace_field "$d" state task=5 attempt=2)" ok
# the record is written once every task ended: the independent ones count
expect_eq "cancel: counts" "$ST_tasks_done/$ST_tasks_failed/$ST_tasks_cancelled/$ST_tasks_retried/$ST_tasks_not_run" 3/1/1/1/0

run ignore "" 1 0
expect_eq "ignore: state" "$ST_state/$ST_exit_status" completed/0
expect_eq "ignore: counts" "$ST_tasks_done/$ST_tasks_ignored" 4/1
${PYTHON3:-/usr/bin/python3} - "$d/results.h5" <<'PY' || fail "ignore: results"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
# step 2's output is zeros, step 3 adds 1
assert list(f["x"][:]) == [1.0] * 4, list(f["x"][:])
assert list(f["y"][:]) == [1.0] * 4 and list(f["z"][:]) == [1.0] * 4
PY
w1=$(trace_field "$d" worker task=5 attempt=1)
w2=$(trace_field "$d" worker task=5 attempt=2)
[ -n "$w1" ] && [ "$w1" != "$w2" ] || fail "flaky retried on worker '$w2' after '$w1'"

run retry "" 1 1
expect_text "task 2 (step: test_kernels:crash) failed on $host (rank "
expect_text ") again: killed by signal 11"
expect_eq "retry: attempts of step 2" "$(trace_field "$d" state task=2 | tr '\n' ' ')" "crashed crashed "

run cancel-successors 1.5 5 1
expect_text "timed out after 1.5 s (its limit); stderr: crash: mode 5 at 1"
expect_eq "timeout: step 2" "$(trace_field "$d" state task=2)" timeout
expect_eq "timeout: later" "$(trace_field "$d" state task=4)" ok
echo "t1306: ok"
