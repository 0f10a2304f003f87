#!/bin/sh
# The record is safe to parse and kept as the run goes, and values that are
# not data are errors:
# - a kernel failing with a message full of newlines, commas, quotes and
#   lines that look like status.txt's ("state: completed"): status.txt
#   keeps one state and one exit_status line and the message round-trips
#   through its escapes; trace.csv keeps 17 fields per row (RFC 4180), also
#   with a kernel library whose path holds a comma and a quote;
# - during a 20 s run trace.csv grows and status.txt is rewritten (it is
#   not written only at the end);
# - a result with rows no task wrote, and an array without an initial value
#   read by a task, are errors naming the array and region, not zeros; an
#   array declared init="zero" stays valid; both are the workflow's fault
#   (exit 2);
# - --param num_frags=-1 on the neurons workflow is an error (exit 2: below
#   the parameter's declared minimum), not an all-zero results.h5.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
host=$(hostname)

# --- messages that try to break the record --------------------------------------
wmsg='bad value, "3"
state: completed
exit_status: 0
	end'
for n in 0 1; do
    d="$SCRATCH/msg-$n"
    expect_exit 1 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/crash.xml" --param mode=9 -n $n --run-dir "$d"
    expect_text "task 4 (step: test_kernels:crash) failed on $host"
    record "$d"   # fails on a second state line or a malformed row
    expect_eq "-n $n: state/exit" "$ST_state/$ST_exit_status" failed/1
    [ "$(grep -c '^state: ' "$d/status.txt")" -eq 1 ] || fail "status.txt: $(cat "$d/status.txt")"
    [ "$(grep -c '^exit_status: ' "$d/status.txt")" -eq 1 ] || fail "status.txt: $(cat "$d/status.txt")"
    gmsg=$(printf "%s" "$ST_message" | tr -d "\r")
    case "$gmsg" in
    *": $wmsg") ;;
    *) fail "-n $n: message did not round-trip: $ST_message" ;;
    esac
    [ "$(trace_field "$d" message task=4)" = \
      'bad value, "3"\nstate: completed\nexit_status: 0\r\n\tend' ] ||
        fail "-n $n: trace message: $(trace_field "$d" message task=4)"
done
# a kernel library in a directory named 'k,"1"'
mkdir 'k,"1"'
cp "$TOP_BUILDDIR/tests/prog/.libs/test_kernels.so" 'k,"1"/tk.so'
sed 's|kernel="test_kernels:crash"|kernel="k,\&quot;1\&quot;/tk.so:crash"|' \
    "$TOP_SRCDIR/tests/wfrun/crash.xml" > crash-comma.xml
expect_exit 1 "$TESSERA" run crash-comma.xml --param mode=7 -n 1 --run-dir comma
record comma
expect_eq "comma: trace" "$TR_rows/$TR_ok/$TR_failed" 6/3/1
case "$(trace_field comma kernel task=1)" in
*'/k,"1"/tk.so:crash') ;;
*) fail "comma: kernel field: $(trace_field comma kernel task=1)" ;;
esac

# --- the record while a 20 s run runs ---------------------------------------------
"$TESSERA" run "$TOP_SRCDIR/tests/wfrun/naps.xml" --param n=40 --param ms=500 -n 1 \
    --run-dir live >live.out 2>&1 &
pid=$!
wait_for 60 status_at_least live tasks_done 2
rows1=$(($(wc -l < live/trace.csv) - 1))
upd1=$(sed -n 's/^updated: //p' live/status.txt)
[ "$rows1" -ge 1 ] || fail "trace.csv has no row while the run runs"
sleep 3
rows2=$(($(wc -l < live/trace.csv) - 1))
upd2=$(sed -n 's/^updated: //p' live/status.txt)
record live
expect_eq "live: state" "$ST_state/$ST_exit_status" running/-
kill -TERM $pid
wait_exit $pid 30
[ "$rows2" -gt "$rows1" ] || fail "trace.csv did not grow: $rows1 then $rows2 rows"
[ "$upd2" != "$upd1" ] || fail "status.txt was not rewritten in 3 s ($upd1)"

# --- values that are not data --------------------------------------------------
for n in 0 1; do
    expect_exit 2 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/partial.xml" -n $n --run-dir "partial-$n"
    expect_text "tessera: x[4:6, 0:3] was never written by a task, and array 'x' has no initial value"
    [ ! -e "partial-$n/results.h5" ] || fail "results written with undefined rows"
    record "partial-$n"
    expect_eq "partial -n $n: state/exit" "$ST_state/$ST_exit_status" failed/2
    expect_eq "partial -n $n: message" "$ST_message" \
        "x[4:6, 0:3] was never written by a task, and array 'x' has no initial value"
done
# everything of x written, z (init zero) partly: valid, its last row zeros
expect_exit 0 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/partial.xml" --param k=6 -n 1 --run-dir full
${PYTHON3:-/usr/bin/python3} - <<PY || fail "full/results.h5"
import h5py
f = h5py.File("full/results.h5", "r")
assert (f["x"][:] == 1.5).all(), f["x"][:]
assert (f["z"][:5] == 2.5).all() and (f["z"][5] == 0).all(), f["z"][:]
PY
# the C API: a task reading a region of an undefined array that nobody wrote
for np in 1 2; do
    expect_exit 2 tess_mpirun -np $np "$TOP_BUILDDIR/tests/prog/faults" "$SCRATCH/undef-$np" undefined
    expect_text "task bump (test_kernels:nap): parameter 0 reads x[2:4], which no task has written, and array 'x' has no initial value"
    record "undef-$np"
    expect_eq "undefined np $np: state/exit" "$ST_state/$ST_exit_status" failed/2
done
# a negative number of fragments
"$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes" spikes.h5 --neurons 8 --bins 50 --rate 0.1 --seed 3 >/dev/null
for n in 0 1; do
    set +e
    OUT=$("$TESSERA" run "$TOP_SRCDIR/examples/neurons/cc_surrogates.xml" \
        --param spikes=spikes.h5 --param num_frags=-1 -n $n --run-dir "neg-$n" 2>&1)
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "num_frags=-1: exit $rc: $OUT"
    expect_text "num_frags: -1 is below its minimum 1"
    [ ! -e "neg-$n/results.h5" ] || fail "num_frags=-1 wrote results.h5"
done
echo "t1340: ok"
