#!/bin/sh
# kill -9 in the middle of a run with two MPI workers, of: a worker rank,
# rank 0 (the engine), mpirun, and one kernel's executor process. The
# launcher outlives them all: exit 1 within seconds, a message naming what
# died (the rank and node, or mpirun), a truthful status.txt (failed, the
# tasks done as in trace.csv, every other task not run, nothing "running")
# and no process left (every descendant of the launcher, by PID). A killed
# executor fails its task ("killed by signal 9 ... out-of-memory killer"):
# the worker lives on and reports it.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
wf="$TOP_SRCDIR/tests/wfrun/naps.xml"
host=$(hostname)

# the PID of MPI rank $1 among "pid:start" lines $2
rank_pid() {
    for ps in $2; do
        p=${ps%%:*}
        if { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null |
            grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
            # the rank itself, not a child that inherited its environment
            pp=$(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f2)
            { tr '\0' '\n' < "/proc/$pp/environ"; } 2>/dev/null |
                grep -qx "OMPI_COMM_WORLD_RANK=$1" || { echo "$p"; return; }
        fi
    done
}

# the children of PID $1
children() {
    cat /proc/"$1"/task/*/children 2>/dev/null
}

for victim in worker rank0 mpirun executor; do
    d="$SCRATCH/$victim"
    "$TESSERA" run "$wf" --param n=40 --param ms=500 -n 2 --run-dir "$d" \
        >"$victim.out" 2>&1 &
    pid=$!
    wait_for 60 status_at_least "$d" tasks_done 2
    pids=$(descendants $pid)
    case $victim in
    worker) v=$(rank_pid 1 "$pids") ;;
    rank0) v=$(rank_pid 0 "$pids") ;;
    mpirun) v=$(children $pid) ;;
    executor)
        # every executor (children of the workers' zygotes): the one
        # running the chain's current nap among them
        v=$(for r in 1 2; do
                for z in $(children "$(rank_pid $r "$pids")"); do children "$z"; done
            done | tr '\n' ' ')
        ;;
    esac
    [ -n "$v" ] || fail "$victim: no process to kill among: $pids"
    kill -KILL $v
    wait_exit $pid 60
    OUT=$(cat "$victim.out")
    [ "$RC" -eq 1 ] || fail "$victim: exit $RC: $OUT"
    [ "$WAITED" -le 20 ] || fail "$victim: took $WAITED s to end"
    left=$(survivors "$pids")
    [ -z "$left" ] || fail "$victim: left behind: $left"
    case $victim in
    worker) why="the MPI job ended abnormally: mpirun noticed that process rank 1 with PID" ;;
    rank0) why="the MPI job ended abnormally: mpirun noticed that process rank 0 with PID" ;;
    mpirun) why="the MPI job ended abnormally: mpirun was killed by signal 9 (Killed)" ;;
    executor) why=") failed on $host (rank " ;;
    esac
    expect_text "tessera: "
    expect_text "$why"
    record "$d"
    expect_eq "$victim: state" "$ST_state" failed
    expect_eq "$victim: exit_status" "$ST_exit_status" 1
    case "$ST_message" in
    *"$why"*) ;;
    *) fail "$victim: status message: $ST_message" ;;
    esac
    case $victim in
    worker|rank0) expect_text "on node $host exited on signal 9" ;;
    executor)
        expect_text "killed by signal 9 (Killed), possibly by the out-of-memory killer"
        expect_eq "executor: failed" "$ST_tasks_failed/$TR_crashed" 1/1 ;;
    esac
    expect_eq "$victim: running/ready/waiting" \
        "$ST_tasks_running/$ST_tasks_ready/$ST_tasks_waiting" 0/0/0
    expect_eq "$victim: tasks done as in the trace" "$ST_tasks_done" "$TR_ok"
    expect_eq "$victim: every task accounted for" \
        $((ST_tasks_done + ST_tasks_failed + ST_tasks_cancelled + ST_tasks_not_run)) 40
    [ ! -e "$d/lock" ] || fail "$victim: the lock file outlived the run"
done
echo "t5010: ok"
