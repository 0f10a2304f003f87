#!/bin/sh
# Past the wall-time limit, on the emulated Slurm cluster (docs/slurm.md,
# "Runs longer than the time limit"), with the workflow of the fault tests
# (tests/wfrun/faults.xml; its values do not depend on ms):
#  A. tessera submit --chain 4, 1-minute jobs: the first stops at its time
#     limit saying how to continue, a follow-up job resumes the run until it
#     completes, the next one finds it completed and cancels the rest;
#  B. a job cancelled mid-run (scancel), resumed with tessera resume in an
#     allocation (salloc);
#  C. a job requeued mid-run (scontrol requeue) resumes by itself;
#  D. the same with the job script template (scripts/tessera.sbatch), whose
#     run directory tessera names after the job;
# each ends bit for bit equal to a local uninterrupted run (results.h5 and
# the published files), with tasks replayed.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t2070
export OMPI_MCA_btl=self,tcp # emulated nodes share one host
export PATH="$TOP_BUILDDIR/launcher:$PATH"
cd "$SCRATCH"
faults="$TOP_SRCDIR/tests/wfrun/faults.xml"
py=${PYTHON3:-/usr/bin/python3}
same_as_local() {
    "$py" "$TOP_SRCDIR/tests/faults.py" compare "$SCRATCH/local" "$SCRATCH/$1" ||
        fail "$1: the results differ from the local uninterrupted run"
}
job_of() { echo "$OUT" | sed -n 's/.*submitted batch job \([0-9]*\).*/\1/p'; }
# ok_tasks DIR: rows of trace.csv for tasks that ran and completed
ok_tasks() {
    n=$(grep -c ',ok,$' "$1/trace.csv" 2>/dev/null) || true
    echo "${n:-0}"
}
# wait_tasks DIR N: until N tasks completed (bounded: 60 s)
wait_tasks() {
    i=0
    while [ "$(ok_tasks "$1")" -lt "$2" ]; do
        i=$((i + 1))
        [ $i -le 600 ] || fail "$1: fewer than $2 tasks done after 60 s"
        sleep 0.1
    done
}
replayed() { sed -n 's/^tasks_replayed: //p' "$1/status.txt"; }
# submit_running: submit faults.xml here (1 s tasks) into r, wait until 20
# tasks are done; the job's id in $job
submit_running() {
    expect_exit 0 tessera submit "$faults" --param n=32 --param ms=1000 --nodes 2 \
        --time 5 --run-dir r
    job=$(job_of)
    wait_tasks r 20
}

mkdir local A B C D
(cd local && tessera run "$faults" -n 2 --param n=32 --param ms=0 --run-dir r >out 2>&1) ||
    fail "local run: $(cat local/out)"

# A. a chain of 1-minute jobs; no task starts in the last 48 s of a job, so
# each does about 12 s of the 24 s of naps (64 naps of 3 s on 8 slots)
cd "$SCRATCH/A"
TESS_DEADLINE_MARGIN=48 expect_exit 0 tessera submit "$faults" --param n=32 \
    --param ms=3000 --nodes 2 --time 1 --chain 4 --run-dir r
expect_text "follow-up jobs"
jobs=$(cat r/chain.jobs)
[ "$(echo "$jobs" | wc -l)" -eq 5 ] || fail "chain.jobs: $jobs"
grep -q "^#SBATCH --requeue" r/job.sbatch || fail "job.sbatch: no --requeue"
grep -q "resume '$SCRATCH/A/r' --chain$" r/chain.sbatch || fail "chain.sbatch: $(cat r/chain.sbatch)"
first=$(echo "$jobs" | head -1)
for j in $jobs; do wait_job "$j"; done
out="r/slurm-$first.out"
grep -q "before the wall-time limit" "$out" || fail "first job: $(cat "$out")"
grep -q "continue with: tessera resume $SCRATCH/A/r$" "$out" || fail "first job: no way to continue: $(cat "$out")"
grep -q "^state: completed" r/status.txt || fail "A: $(cat r/status.txt)"
[ "$(replayed r)" -gt 0 ] || fail "A: nothing replayed"
# the job that found the run completed cancelled the rest of the chain
done_job="" stopped=0 cancelled=0
for j in $jobs; do
    o="r/slurm-$j.out"
    if [ -n "$done_job" ]; then
        [ ! -e "$o" ] || fail "job $j ran after job $done_job stopped the chain: $(cat "$o")"
        cancelled=$((cancelled + 1))
    elif [ -e "$o" ] && grep -q "is completed; the chain stops here" "$o"; then
        grep -q "cancelling the rest of the chain" "$o" || [ "$j" = "$(echo "$jobs" | tail -1)" ] ||
            fail "job $j did not cancel the rest: $(cat "$o")"
        done_job=$j
    elif [ "$j" != "$first" ]; then
        grep -q "resuming the run in $SCRATCH/A/r" "$o" || fail "job $j did not resume: $(cat "$o")"
        stopped=$((stopped + 1))
    fi
done
[ "$stopped" -ge 1 ] || fail "no follow-up job resumed the run"
same_as_local A
echo "A: stopped at the time limit, resumed by $stopped follow-up job(s), $cancelled cancelled"

# B. scancel mid-run, then tessera resume in an allocation
cd "$SCRATCH/B"
submit_running
scancel "$job"
wait_job "$job"
grep -q "^state: cancelled" r/status.txt || fail "B: $(cat r/status.txt)"
grep -q "^message: .*continue with: tessera resume $SCRATCH/B/r$" r/status.txt || fail "B: $(cat r/status.txt)"
cd "$SCRATCH"
expect_exit 0 timeout 120 salloc -N 2 --exclusive --time 5 tessera resume B/r
expect_text "resuming the run in $SCRATCH/B/r"
grep -q "^state: completed" B/r/status.txt || fail "B: $(cat B/r/status.txt)"
[ "$(replayed B/r)" -ge 20 ] || fail "B: $(replayed B/r) tasks replayed"
same_as_local B
echo "B: cancelled, resumed with tessera resume, $(replayed B/r) tasks replayed"

# C. requeued mid-run: the same script runs again and resumes
cd "$SCRATCH/C"
submit_running
scontrol requeue "$job"
wait_job "$job"
out="r/slurm-$job.out"
grep -q "resuming the run in $SCRATCH/C/r" "$out" || fail "C: the requeued job did not resume: $(cat "$out")"
grep -q "^state: completed" r/status.txt || fail "C: $(cat r/status.txt)"
[ "$(replayed r)" -ge 20 ] || fail "C: $(replayed r) tasks replayed"
same_as_local C
echo "C: requeued, resumed by itself, $(replayed r) tasks replayed"

# D. the template: no --run-dir; the requeued job finds its directory again
cd "$SCRATCH/D"
sed 's/^ARGS=()$/ARGS=(--param n=32 --param ms=1000)/' "$TOP_BUILDDIR/scripts/tessera.sbatch" >job.sbatch
grep -q "^ARGS=(--param n=32" job.sbatch || fail "D: ARGS not set in the template copy"
job=$(WORKFLOW=$faults TESSERA=$TOP_BUILDDIR/launcher/tessera sbatch --parsable job.sbatch)
r="tessera-run.faults.$job"
wait_tasks "$r" 20
scontrol requeue "$job"
wait_job "$job"
grep -q "resuming the run in $SCRATCH/D/$r" "tessera-$job.out" || fail "D: not resumed: $(cat "tessera-$job.out")"
[ ! -e "$r.2" ] || fail "D: the requeued job started over in $r.2"
grep -q "^state: completed" "$r/status.txt" || fail "D: $(cat "$r/status.txt")"
same_as_local D
echo "D: the template's job requeued, resumed by itself in $r, $(replayed "$r") tasks replayed"
echo "t2070: ok"
