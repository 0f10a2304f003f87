#!/bin/sh
# A stopped run is resumed only with what it was started with (compared by
# content, launcher/runconf.h): a changed workflow file, parameter, input
# file (same path, new content), kernel library (same path, new content),
# starting directory, and a run directory of another workflow are each
# refused with exit 2 and the reason, by `tessera run --run-dir` and by
# `tessera resume`, leaving the run as it was; with everything restored it
# resumes and equals an uninterrupted run.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
numpy="${PYTHON3:-/usr/bin/python3} $TOP_SRCDIR/examples/neurons/cc_numpy.py"
# private copies of the workflow, its input and its kernel library, to change
cp "$TOP_SRCDIR/examples/neurons/cc_surrogates.xml" wf.xml
mkdir kern
cp "$TOP_BUILDDIR/examples/neurons/.libs/neurons_kernels.so" kern/
"$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes" spikes.h5 --neurons 12 --bins 100 --seed 3 >/dev/null
cp wf.xml wf.orig; cp spikes.h5 spikes.orig; cp kern/neurons_kernels.so kern.orig
p="--param spikes=spikes.h5 --param maxlag=20 --param num_surrs=30 --param num_frags=6"
run() { "$TESSERA" run wf.xml $p -n 2 --kernel-path "$SCRATCH/kern" "$@"; }

expect_exit 0 run --run-dir ref
# a run stopped at once by its time limit (the deadline is the margin away)
TESS_DEADLINE=$(date +%s) expect_exit 1 run --run-dir r
expect_text "continue with: tessera resume $SCRATCH/r"
grep -q "^state: stopped-wall-time" r/status.txt || fail "not stopped: $(cat r/status.txt)"
cp r/status.txt status.before
sum_before=$(cat r/journal r/run.conf | cksum)

# refused: exit 2, the reason, the run untouched
refused() { # WHAT TEXT: the last command was refused with TEXT
    case $OUT in *"$2"*) ;; *) fail "$1: expected '$2' in: $OUT" ;; esac
    cmp -s r/status.txt status.before || fail "$1: status.txt changed: $(cat r/status.txt)"
    [ "$(cat r/journal r/run.conf | cksum)" = "$sum_before" ] || fail "$1: journal or run.conf changed"
}
echo '<!-- changed -->' >>wf.xml
expect_exit 2 run --run-dir r
refused "changed workflow" "the workflow file changed since the run started"
expect_exit 2 "$TESSERA" resume r
refused "changed workflow (resume)" "the workflow file changed since the run started"
cp wf.orig wf.xml

expect_exit 2 run --run-dir r --param maxlag=21
refused "changed parameter" "parameter maxlag was 20 when the run started, now 21"

"$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes" spikes.h5 --neurons 12 --bins 100 --seed 4 >/dev/null
expect_exit 2 run --run-dir r
refused "changed input" "input file $SCRATCH/spikes.h5 changed since the run started"
expect_exit 2 "$TESSERA" resume r
refused "changed input (resume)" "input file $SCRATCH/spikes.h5 changed"
cp spikes.orig spikes.h5

printf '\0' >>kern/neurons_kernels.so # still loads; another content
expect_exit 2 run --run-dir r
refused "changed kernel library" "kernel library $SCRATCH/kern/neurons_kernels.so changed since the run started"
expect_exit 2 "$TESSERA" resume r
refused "changed kernel library (resume)" "kernel library $SCRATCH/kern/neurons_kernels.so changed"
cp kern.orig kern/neurons_kernels.so

mkdir elsewhere
(cd elsewhere && "$TESSERA" run ../wf.xml $p --param spikes="$SCRATCH/spikes.h5" -n 2 \
    --kernel-path "$SCRATCH/kern" --run-dir ../r >../out 2>&1) && fail "resumed from another directory"
OUT=$(cat out)
refused "another directory" "the run was started in $SCRATCH, not in $SCRATCH/elsewhere"

expect_exit 2 "$TESSERA" run "$TOP_SRCDIR/examples/pipeline/pipeline.xml" -n 2 --run-dir r
refused "another workflow" "holds a run (stopped-wall-time) that cannot be resumed with this workflow: it is a run of workflow 'cc_surrogates', not 'pipeline'"

# everything as it was: it resumes (from any directory) and completes
cd elsewhere
expect_exit 0 "$TESSERA" resume ../r
expect_text "resuming the run in $SCRATCH/r"
cd "$SCRATCH"
grep -q "^state: completed" r/status.txt || fail "not completed: $(cat r/status.txt)"
$numpy --compare ref/results.h5 r/results.h5 || fail "the resumed run differs"
expect_exit 0 "$TESSERA" resume r
expect_text "is completed; nothing to resume"
echo "t1210: ok"
