#!/bin/sh
# tessera report and tessera status on run directories written by
# tests/prog/mkrun.py (the formats of docs/observability.md, with failures,
# retries, cancelled tasks, quotes, commas, line breaks and non-ASCII text
# in messages): the summary's numbers equal mkrun's own; the Gantt SVG
# parses as XML with a bar per attempt; the dot graph renders with
# Graphviz, per task or summarised; the Chrome JSON has an event per
# attempt with the trace's fields; trace.h5 holds the rows (h5py); torn
# and first-format traces read; status exit codes say running, completed,
# ended badly, dead, not a run.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
py=${PYTHON3:-/usr/bin/python3}
mkrun="$py $TOP_SRCDIR/tests/prog/mkrun.py"
check="$py $TOP_SRCDIR/tests/report_check.py"

# a finished run with failures, retries and cancelled tasks
$mkrun syn --tasks 150 --workers 3 --slots 2 --fatal 2 --fail-rate 0.1 --seed 3
expect_exit 0 "$TESSERA" report syn --gantt g.svg --dag g.dot --trace t.json --top 3
echo "$OUT" > summary.txt
expect_text "gantt chart   g.svg ("
expect_text "task graph    g.dot ("
expect_text "chrome trace  t.json ("
expect_text "failures and retries"
expect_text "not run (cancelled or stopped)"
xmllint --noout g.svg || fail "g.svg is not XML"
$check syn --svg g.svg --dot g.dot --dot-tasks --json t.json --h5 --summary summary.txt ||
    fail "report of syn"
[ "$(grep -c '^  task ' summary.txt)" -ge 3 ] || fail "no slowest tasks: $(cat summary.txt)"

# beyond --dag-max the graph is summarised, and still renders
expect_exit 0 "$TESSERA" report syn --dag s.dot --dag-max 50
$check syn --dot s.dot || fail "summarised graph"

# a larger run: every attempt a bar, quickly
$mkrun big --tasks 4000 --workers 4 --slots 4 --kernels 6 --seed 5
expect_exit 0 "$TESSERA" report big --gantt big.svg --trace big.json --dag big.dot -q
$check big --svg big.svg --json big.json --dot big.dot --h5 || fail "report of big"

# a torn last row (a run killed mid-write) is left out and said
$mkrun torn --tasks 30 --torn
expect_exit 0 "$TESSERA" report torn --trace torn.json
expect_text "incomplete row"
$check torn --json torn.json --h5 || fail "torn trace"

# the first trace format (no slots: inferred), no edges: no graph
$mkrun old --tasks 40 --old-format
rm old/edges.csv
expect_exit 1 "$TESSERA" report old --gantt old.svg --dag old.dot
expect_text "slots inferred"
expect_text "no edges.csv"
$check old --svg old.svg || fail "first-format trace"

# outputs that cannot be written: exit 1, named; nothing half-written
expect_exit 1 "$TESSERA" report syn --gantt /dev/full
expect_text "/dev/full: cannot write"
expect_exit 1 "$TESSERA" report syn --trace nodir/t.json
expect_text "nodir/t.json"
ls syn | grep -q '\.tmp\.' && fail "temporary files left: $(ls syn)"

# trace.h5 follows trace.csv: rewritten when older
touch -d '2001-01-01' syn/trace.h5
expect_exit 0 "$TESSERA" report syn
[ syn/trace.h5 -nt syn/trace.csv ] || [ ! syn/trace.csv -nt syn/trace.h5 ] ||
    fail "trace.h5 not refreshed"

# status: exit 0 completed, 3 running, 1 failed, 2 not a run
expect_exit 0 "$TESSERA" status syn
expect_text "state         completed"
expect_text "last failures"
expect_exit 0 "$TESSERA" status -q syn
[ -z "$OUT" ] || fail "status -q printed: $OUT"
expect_exit 0 "$TESSERA" report --quiet syn --gantt q.svg
[ -z "$OUT" ] && [ -s q.svg ] || fail "report --quiet: $OUT"
$mkrun live --tasks 100 --state running
expect_exit 3 "$TESSERA" status live --failures 2
expect_text "running"
expect_text "of 100 done"
expect_text "tasks/s; about"
$mkrun bad --tasks 20 --state failed --fatal 1
expect_exit 1 "$TESSERA" status bad
expect_text 'message       task 3 (lib1:kern_1) failed: "bad", see | line two \ done'
# running according to its status, but its launcher is gone: dead
$mkrun dead --tasks 20 --state running
sh -c 'exit 0' & gone=$!; wait $gone
sed -i "s/^host: .*/host: $(hostname)/; s/^pid: .*/pid: $gone/" dead/status.txt
expect_exit 1 "$TESSERA" status dead
expect_text "is gone"
mkdir empty prepared
touch prepared/job.sbatch
expect_exit 2 "$TESSERA" status empty
expect_text "not a run directory"
expect_exit 3 "$TESSERA" status prepared
expect_text "submitted, not started"
expect_exit 2 "$TESSERA" report empty
expect_text "not a run directory"
expect_exit 2 "$TESSERA" report
expect_exit 2 "$TESSERA" report syn --frobnicate
expect_exit 2 "$TESSERA" status syn extra
expect_exit 0 "$TESSERA" report --help
expect_text "usage: tessera report RUN_DIR"
expect_text "--quiet"
echo "t1400: ok"
