#!/bin/sh
# Failures on the emulated Slurm cluster (4 nodes on this machine):
# - scancel in the middle of a run: status.txt "cancelled" with a message
#   and counts that add up, trace.csv holding the tasks done, the
#   fragments of completed tasks kept, a Tessera message in the job's
#   output, and no process of the job left on the nodes (every process of
#   the job and its descendants, by PID);
# - a job reaching its time limit while a task runs (Slurm's SIGTERM, then
#   SIGKILL after KillWait): "stopped-wall-time", the tasks done and not
#   run counted right, a message that says so (not "x: its value could not
#   be computed"), completed tasks' fragments kept;
# - two `tessera submit` in the same second: two run directories, two good
#   results.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t2100
export OMPI_MCA_btl=self,tcp
export PATH="$TOP_BUILDDIR/launcher:$PATH"
cd "$SCRATCH"
wf="$TOP_SRCDIR/tests/wfrun/stages.xml"

job_of() {
    echo "$1" | sed -n 's/.*submitted batch job \([0-9]*\).*/\1/p'
}

# job_pids JOB: every process of Slurm job JOB on this machine (those
# with SLURM_JOB_ID=JOB in their environment) and their descendants, as
# "pid:start" lines
job_pids() {
    for p in $(ls /proc | grep '^[0-9][0-9]*$'); do
        { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null |
            grep -qx "SLURM_JOB_ID=$1" && descendants "$p"
    done | sort -u
}

no_survivors() {
    [ -z "$(survivors "$1")" ]
}

# --- scancel --------------------------------------------------------------------
expect_exit 0 tessera submit "$wf" --param n=60 --param ms=1000 --nodes 2 \
    --time 00:05:00 --run-dir sc
job=$(job_of "$OUT")
wait_for 120 status_at_least sc tasks_done 6
pids=$(job_pids "$job")
[ "$(echo "$pids" | wc -l)" -ge 5 ] || fail "scancel: the job's processes: $pids"
scancel "$job"
wait_job "$job"
wait_for 20 no_survivors "$pids"
record sc
expect_eq "scancel: state/exit" "$ST_state/$ST_exit_status" cancelled/1
case "$ST_message" in
"cancelled (Terminated)"*) ;;
*) fail "scancel: message: $ST_message" ;;
esac
expect_eq "scancel: running" "$ST_tasks_running/$ST_tasks_ready/$ST_tasks_waiting" 0/0/0
# a stop cancels nothing and fails nothing: what it left (the successors
# of the task it interrupted too) is not run
[ $((ST_tasks_done + ST_tasks_not_run)) -eq 64 ] &&
    [ "$ST_tasks_failed/$ST_tasks_cancelled" = 0/0 ] ||
    fail "scancel: $ST_tasks_done done + $ST_tasks_not_run not run, $ST_tasks_failed failed, $ST_tasks_cancelled cancelled; expected 64 done or not run, none failed or cancelled: $(cat sc/status.txt; tail -5 sc/trace.csv; tail -20 "sc/slurm-$job.out" 2>/dev/null)"
[ "$TR_ok" -ge 6 ] && [ "$TR_ok" -ge "$ST_tasks_done" ] ||
    fail "scancel: trace has $TR_ok tasks done, status $ST_tasks_done"
expect_eq "scancel: fragments kept" "$(find sc/frags -name 'v*.h5' | wc -l)" 4
grep -q "^tessera: .*cancelled (Terminated)" "sc/slurm-$job.out" ||
    fail "scancel: no Tessera message in the job output: $(cat "sc/slurm-$job.out")"

# --- two submits in the same second (default run directories) ---------------------
tessera submit "$TOP_SRCDIR/tests/wfrun/naps.xml" --param n=3 --param ms=10 \
    --nodes 1 --time 00:05:00 >sub-1.out 2>&1 &
p1=$!
tessera submit "$TOP_SRCDIR/tests/wfrun/naps.xml" --param n=3 --param ms=10 \
    --nodes 1 --time 00:05:00 >sub-2.out 2>&1 &
p2=$!
wait_exit $p1 60
[ "$RC" -eq 0 ] || fail "submit 1: $(cat sub-1.out)"
wait_exit $p2 60
[ "$RC" -eq 0 ] || fail "submit 2: $(cat sub-2.out)"
d1=$(sed -n 's/^tessera: run directory: //p' sub-1.out)
d2=$(sed -n 's/^tessera: run directory: //p' sub-2.out)
[ -n "$d1" ] && [ "$d1" != "$d2" ] || fail "two submits, run directories '$d1' and '$d2'"
wait_job "$(job_of "$(cat sub-1.out)")"
wait_job "$(job_of "$(cat sub-2.out)")"
for d in "$d1" "$d2"; do
    record "$d"
    expect_eq "$d: state/done" "$ST_state/$ST_tasks_done" completed/3
    [ -s "$d/results.h5" ] || fail "$d: no results"
done

# --- the time limit ------------------------------------------------------------------
# 1 minute; no task starts after 10 s; a 100 s nap runs into the limit
expect_exit 0 env TESS_DEADLINE_MARGIN=50 tessera submit "$wf" --param n=3 \
    --param ms=100000 --nodes 2 --time 00:01:00 --run-dir tl
job=$(job_of "$OUT")
wait_for 120 status_at_least tl tasks_done 4
pids=$(job_pids "$job")
wait_job "$job"
wait_for 20 no_survivors "$pids"
record tl
expect_eq "time limit: state/exit" "$ST_state/$ST_exit_status" stopped-wall-time/1
case "$ST_message" in
"stopped "*"wall-time limit"*) ;;
*) fail "time limit: message: $ST_message" ;;
esac
expect_eq "time limit: done/not run" "$ST_tasks_done/$ST_tasks_not_run/$ST_tasks_failed" 4/3/0
expect_eq "time limit: trace" "$TR_ok" 4
expect_eq "time limit: fragments kept" "$(find tl/frags -name 'v*.h5' | wc -l)" 4
grep -q "wall-time limit" "tl/slurm-$job.out" ||
    fail "time limit: no message in the job output: $(cat "tl/slurm-$job.out")"
echo "t2100: ok"
