#!/bin/sh
# tessera status and report on the emulated Slurm cluster: a submitted run
# is "submitted" or "running" (exit 3) from another shell while the job
# goes on, then completed (exit 0) with its workers on the nodes; the job's
# output (not a terminal) has progress lines; tessera report draws the run.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t2120
# emulated nodes share one host: TCP between ranks (see docs/slurm.md)
export OMPI_MCA_btl=self,tcp
export PATH="$TOP_BUILDDIR/launcher:$PATH"
cd "$SCRATCH"

# the job inherits the submitting environment: a progress line every second
TESS_PROGRESS_INTERVAL=1 expect_exit 0 tessera submit "$TOP_SRCDIR/tests/wfrun/naps.xml" \
    --param n=12 --param ms=500 --nodes 2 --time 00:05:00 --run-dir naps
job=$(echo "$OUT" | sed -n 's/.*submitted batch job \([0-9]*\).*/\1/p')
[ -n "$job" ] || fail "no job id: $OUT"
running=0
i=0
while squeue -h -j "$job" 2>/dev/null | grep -q .; do
    set +e
    tessera status naps >st.out 2>&1
    rc=$?
    set -e
    [ $rc -eq 3 ] || [ $rc -eq 0 ] || fail "status of a queued or running job: exit $rc: $(cat st.out)"
    if [ $rc -eq 3 ] && grep -q "^state         running" st.out; then
        running=1
        cp st.out running.out
    fi
    i=$((i + 1))
    [ $i -le 300 ] || fail "job $job still in the queue after 90 s"
    sleep 0.3
done
expect_exit 0 tessera status naps
expect_text "state         completed"
# while it ran: the job and the workers
[ $running -eq 1 ] || fail "tessera status never said running"
grep -q "Slurm job $job" running.out || fail "status without the job: $(cat running.out)"
grep -q "^  rank 1 " running.out || fail "status without workers: $(cat running.out)"
grep -q "^tasks         [0-9]* done of 12 submitted so far\|^tasks         [0-9]* of 12 done" running.out ||
    fail "status without counts: $(cat running.out)"
grep -q "tessera: progress: [0-9]*" "naps/slurm-$job.out" ||
    fail "no counts in the job's progress lines: $(cat naps/slurm-$job.out)"
grep -q "^tessera: progress: " "naps/slurm-$job.out" ||
    fail "no progress lines in the job's output: $(cat naps/slurm-$job.out)"
! grep -q "$(printf '\033')" "naps/slurm-$job.out" || fail "escape sequences in the job's output"
expect_exit 0 tessera report naps --gantt naps.svg --trace naps.json
expect_text "12 attempts traced: 12 ok"
xmllint --noout naps.svg || fail "naps.svg is not XML"
${PYTHON3:-/usr/bin/python3} "$TOP_SRCDIR/tests/report_check.py" naps --svg naps.svg \
    --json naps.json --h5 || fail "report of the Slurm run"
echo "t2120: ok"
