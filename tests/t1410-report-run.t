#!/bin/sh
# The record of real runs (local mpirun ranks): the trace of the neurons
# workflow has one row per task, times non-negative and inside the run,
# each gather after the cc_surrogate_range it reads, as edges.csv says;
# a program with a retried task, a failed one and its cancelled successor
# has exactly its rows; tessera report draws them
# (SVG, dot, JSON, trace.h5 checked as in t1400); tessera status answers
# on a running run (exit 3) and after it ends (0, or 1 for a failed run
# whose message it shows).
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
py=${PYTHON3:-/usr/bin/python3}
check="$py $TOP_SRCDIR/tests/report_check.py"
wf="$TOP_SRCDIR/examples/neurons/cc_surrogates.xml"
"$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes" spikes.h5 --neurons 20 \
    --bins 120 --rate 0.1 --seed 3 >/dev/null
params="--param spikes=spikes.h5 --param maxlag=30 --param num_surrs=40 --param num_frags=6"

before=$(date +%s%N)
expect_exit 0 "$TESSERA" run "$wf" $params -n 2 --slots 2 --run-dir run
after=$(date +%s%N)
$py - run "$before" "$after" <<'PY' || fail "trace of the neurons run"
import csv, os, sys
d, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = list(csv.DictReader(open(os.path.join(d, "trace.csv"), newline="")))
ids = sorted(int(r["task"]) for r in rows)
assert ids == list(range(1, 13)), ids  # 6 fragments: 6 cc + 6 gather
end, start = {}, {}
for r in rows:
    s, e = int(r["start_ns"]), int(r["end_ns"])
    assert before <= s <= e <= after, (r, before, after)
    assert before <= int(r["submit_ns"]) <= int(r["ready_ns"]) <= s, r
    assert r["state"] == "ok" and r["attempt"] == "1" and r["slot"] in ("0", "1"), r
    assert int(r["bytes_out"]) > 0, r
    assert int(r.get("worker", r.get("rank"))) in (1, 2), r
    start[int(r["task"])], end[int(r["task"])] = s, e
# the workflow: call 2f+1 is cc_surrogate_range, 2f+2 the gather reading it
for f in range(6):
    assert end[2 * f + 1] <= start[2 * f + 2], f
edges = list(csv.DictReader(open(os.path.join(d, "edges.csv"), newline="")))
pairs = {(int(e["from"]), int(e["to"])) for e in edges}
# a gather reads what its cc_surrogate_range wrote, and nothing else
assert pairs == {(2 * f + 1, 2 * f + 2) for f in range(6)}, pairs
for e in edges:
    assert end[int(e["from"])] <= start[int(e["to"])], e
PY
expect_exit 0 "$TESSERA" report run --gantt g.svg --dag g.dot --trace t.json
expect_text "state         completed"
expect_text "neurons_kernels:cc_surrogate_range"
expect_text "neurons_kernels:gather"
[ -f run/trace.h5 ] || fail "no trace.h5 after tessera report"
xmllint --noout g.svg || fail "g.svg is not XML"
$check run --svg g.svg --json t.json --h5 --dot g.dot --dot-tasks ||
    fail "report of the neurons run"
expect_exit 0 "$TESSERA" status run
expect_text "completed"

# a known program with a retried task, a failed one and its cancelled
# successor (tests/prog/tracedemo.c): the rows, their order, the report
expect_exit 1 tess_mpirun -np 3 "$TOP_BUILDDIR/tests/prog/tracedemo" "$SCRATCH/demo"
expect_text "task 4 (bad) failed"
$py - demo <<'PY' || fail "trace of tracedemo"
import csv, os, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "trace.csv"), newline="")))
got = sorted((int(r["task"]), int(r["attempt"]), r["name"], r["state"]) for r in rows)
assert got == [(1, 1, "produce", "ok"), (2, 1, "flaky", "failed"),
               (2, 2, "flaky", "ok"), (3, 1, "consume", "ok"),
               (4, 1, "bad", "failed"), (5, 1, "consume", "cancelled"),
               (6, 1, "consume", "ok")], got
ok_end, start = {}, {}
for r in rows:
    t = int(r["task"])
    if r["state"] == "cancelled":
        assert r["worker"] == "-1" and r["start_ns"] == "0", r
        continue
    s, e = int(r["start_ns"]), int(r["end_ns"])
    assert 0 < int(r["submit_ns"]) <= int(r["ready_ns"]) <= s <= e, r
    start.setdefault(t, s)
    start[t] = min(start[t], s)
    if r["state"] == "ok":
        ok_end[t] = e
flaky = [r for r in rows if r["task"] == "2"]
assert flaky[0]["message"] == 'first attempt fails, "on purpose", as planned', flaky
assert flaky[0]["worker"] != flaky[1]["worker"], "the retry ran on the same worker"
edges = {(int(e["from"]), int(e["to"])) for e in csv.DictReader(open(os.path.join(d, "edges.csv"), newline=""))}
assert edges == {(1, 2), (2, 3), (4, 5), (3, 6)}, edges
for f, t in edges:
    if f in ok_end and t in start:
        assert ok_end[f] <= start[t], (f, t)
PY
expect_exit 0 "$TESSERA" report demo --gantt demo.svg --dag demo.dot --trace demo.json
expect_text "7 attempts traced: 4 ok, 2 failed, 1 cancelled"
expect_text "1 task succeeded on a retry"
expect_text 'task 2 (flaky) attempt 1 on worker'
expect_text 'failed: first attempt fails, "on purpose", as planned'
expect_text "task 5: cancelled"
$check demo --svg demo.svg --dot demo.dot --dot-tasks --json demo.json --h5 ||
    fail "report of tracedemo"
expect_exit 1 "$TESSERA" status demo
expect_text "task 4 (bad) failed"

# a failing run: status exits 1 and says why, report lists it
expect_exit 1 "$TESSERA" run "$wf" $params --param maxlag=1000 -n 1 --run-dir bad
expect_exit 1 "$TESSERA" status bad
expect_text "maxlag=1000"
expect_exit 0 "$TESSERA" report bad
expect_text "failed"

# a run still going: status says so (exit 3), then completed (exit 0)
"$TESSERA" run "$TOP_SRCDIR/tests/wfrun/naps.xml" --param n=8 --param ms=500 \
    -n 1 --slots 1 --run-dir naps -q >naps.out 2>&1 &
pid=$!
seen=0
for i in $(seq 1 100); do
    set +e
    "$TESSERA" status naps >st.out 2>&1
    rc=$?
    set -e
    [ $rc -eq 3 ] && { seen=1; break; }
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
wait $pid || fail "the naps run failed: $(cat naps.out)"
[ $seen -eq 1 ] || fail "tessera status never said running: $(cat st.out)"
expect_exit 0 "$TESSERA" status naps
echo "t1410: ok"
