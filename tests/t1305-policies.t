#!/bin/sh
# Kernel crashes and failure policies, through the C API (tests/prog/
# faults.c; the XML <on-failure> element is not wired yet), on threads (one
# process, kernels in executor processes) and on MPI workers of one slot:
# - a kernel that segfaults, aborts, calls exit(3) or exit(0), allocates
#   without bound or runs past its time-out fails its task with the signal
#   or exit code, the kernel, the task, the node and its last stderr line;
#   the worker survives: a task submitted after the failure runs on it;
# - fail: nothing new starts, exit 1; cancel-successors: the failed task's
#   readers are cancelled, independent tasks run, exit 1; ignore: the
#   outputs read as zeros, exit 0; retry: a task failing once succeeds on
#   its second try, on the other worker when there are two.
# The record (status.txt, trace.csv) is checked to parse and to count right.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
F="$TOP_BUILDDIR/tests/prog/faults"
host=$(hostname)
# a runaway allocation meets the executor's limit at 1 GiB (its slot's
# share of TESS_MEMORY_MB, at least 1 GiB), not the machine's memory
export TESS_MEMORY_MB=1024

# on ENV: "threads" (one process) or "mpi" (engine + 1 worker)
on() {
    case $1 in
    threads) shift; "$F" "$@" ;;
    mpi) shift; tess_mpirun -np 2 "$F" "$@" ;;
    mpi2) shift; tess_mpirun -np 3 "$F" "$@" ;;
    esac
}

n=0
for env in threads mpi; do
    where=" on $host"
    [ $env = threads ] || where=" on $host (rank 1)"
    for mode in 1 2 3 4 5 6 8; do
        n=$((n + 1)); d="$SCRATCH/crash-$n"
        timeout=0
        [ $mode = 5 ] && timeout=1.5
        expect_exit 1 on $env "$d" crash $mode cancel $timeout
        expect_text "x: error: x could not be computed: task 2 (step: test_kernels:crash) failed$where: "
        case $mode in
        1) why="killed by signal 11 (Segmentation fault); stderr: crash: mode 1 at 1" ;;
        2) why="killed by signal 6 (Aborted); stderr: crash: mode 2 at 1" ;;
        3) why="the kernel called exit(3); stderr: crash: mode 3 at 1" ;;
        4) why="the kernel called exit(0); stderr: crash: mode 4 at 1" ;;
        5) why="timed out after 1.5 s (its limit); stderr: crash: mode 5 at 1" ;;
        6) why="allocation refused" ;;
        8) why="killed by signal 11 (Segmentation fault); stderr: crash: first noise line | crash: last words before the fault" ;;
        esac
        expect_text "$why"
        # the worker (and its slot) lives on: the later task ran there
        expect_text "y: 1 1 1 1"
        record "$d"
        expect_eq "$env mode $mode: state" "$ST_state" failed
        expect_eq "$env mode $mode: exit_status" "$ST_exit_status" 1
        expect_eq "$env mode $mode: done/failed/cancelled" \
            "$ST_tasks_done/$ST_tasks_failed/$ST_tasks_cancelled/$ST_tasks_not_run" 2/1/1/0
        case "$ST_message" in
        "task 2 (step: test_kernels:crash) failed$where: $why"*) ;;
        *) fail "$env mode $mode: status message: $ST_message" ;;
        esac
        state=$(trace_field "$d" state task=2)
        case $mode in
        5) expect_eq "trace state" "$state" timeout ;;
        6) expect_eq "trace state" "$state" failed ;;
        *) expect_eq "trace state" "$state" crashed ;;
        esac
        expect_eq "task 3" "$(trace_field "$d" state task=3)" cancelled
        expect_eq "task 4" "$(trace_field "$d" state task=4)" ok
        expect_eq "task 4's worker" "$(trace_field "$d" worker task=4)" \
            "$(trace_field "$d" worker task=2)"
        end2=$(trace_field "$d" end_ns task=2)
        start4=$(trace_field "$d" start_ns task=4)
        [ "$start4" -gt "$end2" ] || fail "task 4 started before task 2 ended"
    done
done

# fail (the default): nothing new starts; the later task is not run
for env in threads mpi; do
    d="$SCRATCH/fail-$env"
    expect_exit 1 on $env "$d" crash 7 fail
    expect_text "x: error: x could not be computed: task 2 (step: test_kernels:crash) failed"
    expect_text ": refusing value 1 on purpose"
    expect_text "y: error: "
    record "$d"
    expect_eq "fail $env: state" "$ST_state" failed
    expect_eq "fail $env: done/failed/cancelled/not_run" \
        "$ST_tasks_done/$ST_tasks_failed/$ST_tasks_cancelled/$ST_tasks_not_run" 1/1/1/1
    expect_eq "fail $env: task 2" "$(trace_field "$d" state task=2)" failed
    expect_eq "fail $env: task 3" "$(trace_field "$d" state task=3)" cancelled
    expect_eq "fail $env: task 4" "$(trace_field "$d" state task=4)" not-run
done

# ignore: the crashed task's output is zeros (x = 0 + 1, not 1 + 1), exit 0
for env in threads mpi; do
    d="$SCRATCH/ignore-$env"
    expect_exit 0 on $env "$d" crash 1 ignore
    expect_text "x: 1 1 1 1"
    expect_text "y: 1 1 1 1"
    record "$d"
    expect_eq "ignore $env: state" "$ST_state" completed
    expect_eq "ignore $env: exit_status" "$ST_exit_status" 0
    expect_eq "ignore $env: done/ignored/failed" \
        "$ST_tasks_done/$ST_tasks_ignored/$ST_tasks_failed" 3/1/0
    expect_eq "ignore $env: task 2" "$(trace_field "$d" state task=2)" crashed
done

# retry: the second try succeeds; with two workers it runs on the other one
for env in threads mpi2; do
    d="$SCRATCH/retry-$env"
    expect_exit 0 on $env "$d" retry "$SCRATCH/marker-$env"
    expect_text "x: 1 1 1 1"
    record "$d"
    expect_eq "retry $env: state" "$ST_state" completed
    expect_eq "retry $env: done/retried/failed" \
        "$ST_tasks_done/$ST_tasks_retried/$ST_tasks_failed" 1/1/0
    expect_eq "retry $env: attempt 1" "$(trace_field "$d" state task=1 attempt=1)" failed
    expect_eq "retry $env: attempt 2" "$(trace_field "$d" state task=1 attempt=2)" ok
    case "$(trace_field "$d" message task=1 attempt=1)" in
    "first try fails ("*) ;;
    *) fail "retry $env: attempt 1's message" ;;
    esac
done
w1=$(trace_field retry-mpi2 worker task=1 attempt=1)
w2=$(trace_field retry-mpi2 worker task=1 attempt=2)
[ "$w1" != "$w2" ] || fail "the retry ran on the same worker ($w1) although there are two"
# a crash that persists: retried once elsewhere, then the run fails
d="$SCRATCH/retry-crash"
expect_exit 1 on mpi2 "$d" crash 1 retry
expect_text "task 2 (step: test_kernels:crash) failed on $host (rank "
expect_text ") again: killed by signal 11"
[ "$(trace_field "$d" worker task=2 attempt=1)" != "$(trace_field "$d" worker task=2 attempt=2)" ] ||
    fail "the retry of a crashed task ran on the same worker"
record "$d"
expect_eq "retry-crash: retried/failed" "$ST_tasks_retried/$ST_tasks_failed" 1/1
echo "t1305: ok"
