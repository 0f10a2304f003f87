#!/bin/sh
# The script tessera submit writes is the same job from anywhere: submitted
# held (with a relative workflow, relative path parameter and a --setup
# line), cancelled before it ran, then submitted again with the command its
# comment prints, from another directory: the job runs in the directory of
# the first submission, its results equal a local run's, the set-up line
# ran, and srun says nothing about CPU binding (the cluster's TaskPlugin is
# task/none: no binding option is given).
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t2030
export OMPI_MCA_btl=self,tcp # emulated nodes share one host

mkdir "$SCRATCH/a" "$SCRATCH/elsewhere"
cd "$SCRATCH/a"
cp "$TOP_SRCDIR/examples/neurons/cc_surrogates.xml" wf.xml
"$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes" in.h5 --neurons 12 --bins 100 --seed 7 >/dev/null
p="--param spikes=in.h5 --param maxlag=20 --param num_surrs=30 --param num_frags=6"
expect_exit 0 "$TESSERA" run wf.xml $p -n 2 --run-dir local

expect_exit 0 "$TESSERA" submit wf.xml $p --nodes 2 --time 5 --sbatch --hold \
    --setup 'echo "set-up ran in $PWD"' --run-dir r1
first=$(echo "$OUT" | sed -n 's/^tessera: submitted batch job \([0-9]*\)$/\1/p')
[ -n "$first" ] || fail "no job id: $OUT"
scancel "$first"
wait_job "$first"
[ "$(ls -A r1)" = "job.sbatch" ] || fail "r1 holds more than job.sbatch: $(ls -A r1)"
# no relative path on the tessera line
run_line=$(grep "^exec " r1/job.sbatch)
for w in $(echo "$run_line" | tr ' ' '\n' | grep "^'" | tr -d "'"); do
    case $w in
    /* | run | -n | [0-9]* | spikes=/* | maxlag=* | num_surrs=* | num_frags=*) ;;
    *) fail "'$w' is not absolute in: $run_line" ;;
    esac
done

# the resubmission command of the script's comment, from elsewhere
again=$(sed -n 's/^# no run yet (e.g. after scancel): //p' r1/job.sbatch)
case $again in "sbatch $SCRATCH/a/r1/job.sbatch") ;; *) fail "resubmission line: '$again'" ;; esac
cd "$SCRATCH/elsewhere"
second=$($again | sed -n 's/^Submitted batch job \([0-9]*\)$/\1/p')
[ -n "$second" ] || fail "'$again' submitted nothing"
scontrol release "$second"
wait_job "$second"
cd "$SCRATCH/a"
out="r1/slurm-$second.out"
[ -f r1/results.h5 ] || fail "the resubmitted job made no results: $(cat "$out")"
"${PYTHON3:-/usr/bin/python3}" "$TOP_SRCDIR/examples/neurons/cc_numpy.py" --compare local/results.h5 r1/results.h5 ||
    fail "results of the resubmitted job differ from the local run"
grep -qx "set-up ran in $SCRATCH/a" "$out" || fail "--setup line: $(cat "$out")"
! grep -q "cpu binding" "$out" || fail "srun complained about binding: $(cat "$out")"
grep -q "^state: completed" r1/status.txt || fail "status: $(cat r1/status.txt)"
echo "t2030: ok"
