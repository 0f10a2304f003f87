#!/bin/sh
# A C program (tess_mpi_main, tests/prog/synth: region writes in fragment
# files, an inline reduction, results.h5) killed with SIGKILL (the whole
# job: mpirun and every rank; or only the engine, rank 0) and run again
# with TESS_RESUME=1 ends with the results of an uninterrupted run, bit for
# bit, its completed tasks replayed, none run twice (docs/api.md, "Resume").
# Run again with another task in place of a completed one, it is refused
# (exit 1, the task named) and the journal is left as it was: the program
# itself then resumes.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
synth="$TOP_BUILDDIR/tests/prog/synth"
jstats="$TOP_BUILDDIR/tests/prog/journal_stats"
args="resume 4000 128 40 200" # 40 fills of 100 rows x 128 (fragments), 0.2 s each

same_results() { # REF RUN: every dataset of results.h5 equal, bit for bit
    "${PYTHON3:-/usr/bin/python3}" - "$1/results.h5" "$2/results.h5" <<'PY'
import sys, h5py
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
    assert a[k][()].tobytes() == b[k][()].tobytes(), k
PY
}
ok_tasks() {
    n=$(grep -c ',ok,$' "$1/trace.csv" 2>/dev/null) || true
    echo "${n:-0}"
}
# descendants PID: PID and every process below it
descendants() {
    echo "$1"
    for c in $(ps -o pid= --ppid "$1"); do descendants "$c"; done
}
# rank0 MPIRUN: the pid of rank 0 (a child of mpirun)
rank0() {
    for c in $(ps -o pid= --ppid "$1"); do
        if tr '\0' '\n' <"/proc/$c/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=0; then
            echo "$c"
            return
        fi
    done
}

expect_exit 0 tess_mpirun -np 3 "$synth" --run-dir ref $args
expect_text "synth rows: 81 tasks, correct"

for what in job engine; do
    d="run-$what"
    (exec mpirun --oversubscribe --bind-to none -q -np 3 "$synth" --run-dir "$d" $args >"$d.out" 2>&1) &
    mpi=$!
    i=0
    while [ "$(ok_tasks "$d")" -lt 16 ]; do
        i=$((i + 1))
        [ $i -le 600 ] || fail "$what: fewer than 16 tasks done after 60 s: $(cat "$d.out")"
        sleep 0.1
    done
    pids=$(descendants $mpi)
    if [ $what = job ]; then
        kill -9 $pids 2>/dev/null || true
    else
        r0=$(rank0 $mpi)
        [ -n "$r0" ] || fail "no rank 0 under mpirun $mpi"
        kill -9 "$r0"
    fi
    wait $mpi 2>/dev/null || true
    # orphans of the killed job are reaped by init: give it a moment
    i=0
    while [ $i -lt 100 ] && for p in $pids; do kill -0 "$p" 2>/dev/null && break; done; do
        i=$((i + 1))
        sleep 0.1
    done
    no_process $pids
    before=$("$jstats" "$d" | sed -n 's/^tasks //p')
    [ "$before" -ge 10 ] || fail "$what: the journal holds $before tasks"
    ! grep -q "^state: completed" "$d/status.txt" || fail "$what: completed before the kill"

    # another program in its place: refused at the first task that differs
    records=$("$jstats" "$d" | sed -n 's/^records //p')
    TESS_RESUME=1 expect_exit 1 tess_mpirun -np 3 "$synth" --run-dir "$d" $args 5.0
    expect_text "is not the task the journal of this run recorded"
    [ "$("$jstats" "$d" | sed -n 's/^records //p')" = "$records" ] ||
        fail "$what: the refused resume changed the journal: $("$jstats" "$d")"

    # the program itself: resumed
    TESS_RESUME=1 expect_exit 0 tess_mpirun -np 3 "$synth" --run-dir "$d" $args
    expect_text "synth rows: 81 tasks, correct"
    same_results ref "$d" || fail "$what: results differ from the uninterrupted run"
    replayed=$(sed -n 's/^tasks_replayed: //p' "$d/status.txt")
    [ "$replayed" -ge "$before" ] || fail "$what: $replayed tasks replayed, the journal held $before"
    "$jstats" "$d" | grep -qx "duplicates 0" || fail "$what: a task ran twice: $("$jstats" "$d")"
    echo "$what killed: $before tasks journaled, $replayed replayed, results equal"
done
echo "t5140: ok"
