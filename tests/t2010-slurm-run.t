#!/bin/sh
# tessera on a real Slurm cluster (4 emulated nodes, n4 with feature mic):
# the neurons workflow submitted with `tessera submit` on 4 nodes gives the
# results of the local run, one worker per node (the installed sbatch
# template: t2060); a constraint no node meets is refused before submission;
# a job that reaches its time limit stops cleanly with a message.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t2010
# emulated nodes share one host: TCP between ranks (see docs/slurm.md)
export OMPI_MCA_btl=self,tcp
export PATH="$TOP_BUILDDIR/launcher:$PATH"
cd "$SCRATCH"

wf="$TOP_SRCDIR/examples/neurons/cc_surrogates.xml"
"$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes" spikes.h5 --neurons 16 --bins 100 --rate 0.1 --seed 5 >/dev/null
params="--param spikes=$SCRATCH/spikes.h5 --param maxlag=20 --param num_surrs=30 --param num_frags=8"
expect_exit 0 tessera run "$wf" $params -n 2 --run-dir local

# the sbatch script, shown
expect_exit 0 tessera submit "$wf" $params --nodes 4 --time 00:05:00 --dry-run --run-dir sub
expect_text "#SBATCH --nodes=4"
expect_text "#SBATCH --time=00:05:00"
expect_text "run '$wf' --run-dir '$SCRATCH/sub'"

# submitted on 4 nodes: same results, a worker on each node
expect_exit 0 tessera submit "$wf" $params --nodes 4 --time 00:05:00 --run-dir sub
expect_text "submitted batch job"
job=$(echo "$OUT" | sed -n 's/.*submitted batch job \([0-9]*\).*/\1/p')
wait_job "$job"
[ -f sub/results.h5 ] || fail "no results; job output: $(cat sub/slurm-$job.out)"
${PYTHON3:-/usr/bin/python3} "$TOP_SRCDIR/examples/neurons/cc_numpy.py" --compare local/results.h5 sub/results.h5 ||
    fail "results on 4 Slurm nodes differ from the local run"
nodes=$(awk '!/^#/ {print $2}' sub/workers.txt | sort -u | tr '\n' ' ')
[ "$nodes" = "n1 n2 n3 n4 " ] || fail "workers on '$nodes', expected n1..n4: $(cat sub/workers.txt)"
grep -q "Slurm job $job" "sub/slurm-$job.out" || fail "launcher did not report the allocation"
# n4 (feature mic) ran the mic build of the worker when there is one
if [ -x "$TOP_BUILDDIR/mpi_worker/tessera-worker-mic" ]; then
    awk '$2 == "n4" {print $4, $NF}' sub/workers.txt | grep -q "^mic .*/tessera-worker-mic$" ||
        fail "n4 did not run tessera-worker-mic: $(cat sub/workers.txt)"
    awk '$2 != "n4" && !/^#/ {print $NF}' sub/workers.txt | grep -q "tessera-worker-mic" &&
        fail "the mic build ran on a plain node: $(cat sub/workers.txt)"
    grep -q ",n4,[0-9]*,mic," sub/trace.csv || fail "no task ran on n4 (mic): $(head sub/trace.csv)"
fi

# a feature no node has: refused before anything is queued
expect_exit 2 tessera submit "$wf" $params --nodes 1 --time 00:05:00 --constraint gpu --run-dir nogpu
expect_text "no node of the cluster has feature 'gpu'"
[ ! -e nogpu/job.sbatch ] || fail "a job script was written for an impossible job"

# a task with a mic implementation and a mic-only task: the mic-only ones
# run on n4 (the mic node), with the mic implementation
expect_exit 0 tessera submit "$TOP_SRCDIR/examples/archs/archs.xml" --param n=8 \
    --nodes 4 --time 00:05:00 --run-dir archs
job=$(echo "$OUT" | sed -n 's/.*submitted batch job \([0-9]*\).*/\1/p')
wait_job "$job"
[ -f archs/results.h5 ] || fail "archs job made no results: $(cat archs/slurm-$job.out)"
${PYTHON3:-/usr/bin/python3} - <<PY || fail "mic implementation results"
import h5py
f = h5py.File("archs/results.h5", "r")
assert list(f["on_mic"][:]) == [2] * 8, list(f["on_mic"][:])
assert set(f["where"][:]) <= {1, 2}, list(f["where"][:])
PY
# trace.csv: task,name,kernel,worker,node,slot,arch,...
n=$(grep -c ",archs_kernels:which_mic,[0-9]*,n4,[0-9]*,mic," archs/trace.csv)
[ "$n" -ge 8 ] || fail "mic implementation ran $n times on n4: $(cat archs/trace.csv)"
grep ",archs_kernels:which_mic," archs/trace.csv | grep -qv ",n4,[0-9]*,mic," &&
    fail "the mic implementation ran off the mic node: $(cat archs/trace.csv)"

# a task no node of the cluster can run: refused with its place, not queued
expect_exit 2 tessera submit "$TOP_SRCDIR/tests/wfrun/gpu.xml" --nodes 1 --time 00:05:00 --run-dir gpu
expect_text "gpu.xml:8:3: task 'render' needs architecture 'gpu' but the workers have: default,mic"
[ ! -e gpu/job.sbatch ] || fail "a job script was written for an impossible job"

# the time limit: 1 minute, tasks of 1 s, no task starts in the last 50 s
TESS_DEADLINE_MARGIN=50 expect_exit 0 tessera submit "$TOP_SRCDIR/tests/wfrun/naps.xml" \
    --param n=100 --param ms=1000 --nodes 1 --time 00:01:00 --run-dir naps
job=$(echo "$OUT" | sed -n 's/.*submitted batch job \([0-9]*\).*/\1/p')
wait_job "$job"
grep -q "before the wall-time limit" "naps/slurm-$job.out" ||
    fail "no wall-time message: $(cat naps/slurm-$job.out)"
grep -q "tasks done" "naps/slurm-$job.out" || fail "no summary of what was done"
grep -q "^state: stopped-wall-time" naps/status.txt || fail "status: $(cat naps/status.txt)"
state=$(scontrol show job "$job" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ "$state" != "TIMEOUT" ] || fail "the job was killed by Slurm instead of stopping"
echo "t2010: ok"
