#!/bin/sh
# SIGTERM, SIGINT and SIGHUP to `tessera run` (on threads, -n 0, and with
# two MPI workers, -n 2) stop the whole run within seconds: exit 1, a
# one-line message naming the signal, status.txt "cancelled" with counts
# that add up (done + not run = the tasks of the workflow), trace.csv
# holding the tasks that ended, and no process left: every descendant of
# the launcher (mpirun, ranks, zygotes, executors), collected by PID
# before the signal, is gone after it. The signal reaching every process
# of the job at once (as scancel does) changes nothing: no task fails
# because its executor got the signal before the engine did.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
wf="$TOP_SRCDIR/tests/wfrun/naps.xml"

# depth_below TOP PID: how many parents from PID up to TOP (TOP: 0)
depth_below() {
    _d=0; _p=$2
    while [ "$_p" != "$1" ] && [ "$_p" -gt 1 ]; do
        _p=$(sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null | cut -d' ' -f2) || break
        [ -n "$_p" ] || break
        _d=$((_d + 1))
    done
    echo $_d
}

n=0
for workers in 0 2 all; do
    for sig in TERM INT HUP; do
        [ $workers != all ] || [ $sig = TERM ] || continue
        n=$((n + 1)); d="$SCRATCH/run-$n"
        # 40 naps of 0.5 s on one chain: about 20 s unless stopped
        "$TESSERA" run "$wf" --param n=40 --param ms=500 \
            -n $([ $workers = all ] && echo 2 || echo $workers) \
            --run-dir "$d" >"out-$n" 2>&1 &
        pid=$!
        wait_for 60 status_at_least "$d" tasks_done 2
        pids=$(descendants $pid)
        [ $workers = 0 ] || [ "$(echo "$pids" | wc -l)" -ge 6 ] ||
            fail "-n $workers: only these processes: $pids"
        if [ $workers = all ]; then
            # every process of the job, the zygotes and executors first
            # (the order that lost a task in a scancel): they must leave
            # the stop to the engine
            deep=$(for p in $(echo "$pids" | sed 's/:.*//'); do
                [ "$(depth_below $pid $p)" -ge 3 ] && echo $p; done)
            [ -n "$deep" ] || fail "no executor processes among: $pids"
            kill -$sig $deep 2>/dev/null || true
            sleep 1.5
            kill -$sig $(echo "$pids" | sed 's/:.*//') 2>/dev/null || true
        else
            kill -$sig $pid
        fi
        wait_exit $pid 30
        [ "$RC" -eq 1 ] || fail "-n $workers SIG$sig: exit $RC: $(cat "out-$n")"
        [ "$WAITED" -le 15 ] || fail "-n $workers SIG$sig: took $WAITED s to stop"
        left=$(survivors "$pids")
        [ -z "$left" ] || fail "-n $workers SIG$sig: left behind: $left"
        OUT=$(cat "out-$n")
        expect_text "tessera: "
        expect_text "cancelled ("
        record "$d"
        expect_eq "-n $workers SIG$sig: state" "$ST_state" cancelled
        expect_eq "-n $workers SIG$sig: exit_status" "$ST_exit_status" 1
        case "$ST_message" in
        "cancelled ("*) ;;
        *) fail "-n $workers SIG$sig: message: $ST_message" ;;
        esac
        expect_eq "-n $workers SIG$sig: running/ready/waiting" \
            "$ST_tasks_running/$ST_tasks_ready/$ST_tasks_waiting" 0/0/0
        # a stop cancels nothing: what it left (the successors of the
        # task it interrupted too) is not run
        expect_eq "-n $workers SIG$sig: done + not run" \
            $((ST_tasks_done + ST_tasks_not_run)) 40
        expect_eq "-n $workers SIG$sig: cancelled/failed" \
            "$ST_tasks_cancelled/$ST_tasks_failed" 0/0
        [ "$ST_tasks_done" -ge 2 ] && [ "$ST_tasks_done" -lt 40 ] ||
            fail "-n $workers SIG$sig: $ST_tasks_done tasks done"
        # the trace holds every task that ended well (maybe one more that
        # ended while the record was written)
        [ "$TR_ok" -ge "$ST_tasks_done" ] && [ "$TR_ok" -le $((ST_tasks_done + 1)) ] ||
            fail "-n $workers SIG$sig: trace has $TR_ok ok rows, status says $ST_tasks_done done"
        [ ! -e "$d/results.h5" ] || fail "results written for a cancelled run"
        [ ! -e "$d/lock" ] || fail "the lock file outlived the run"
    done
done
echo "t1320: ok"
