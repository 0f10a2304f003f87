#!/bin/sh
# tessera submit on the emulated cluster (n1-n3, n4 mic; partition debug,
# and a partition short = n1-n3, MaxTime 10 min, MaxNodes 2 created here):
# a job that could never run is refused with exit 2 and the reason, and
# nothing is created or queued; --dry-run changes nothing on the file
# system; the script's paths are absolute and its comment says how many
# workers each node gets; --job-name, --sbatch and --setup reach the job
# (scontrol show job); two submissions in the same second get two run
# directories, holding only job.sbatch until the job runs; without a
# Slurm configuration nothing is checked, and a failed sbatch leaves
# nothing behind.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t2020
# a second partition for the limits (the shared slurm.conf keeps one: a
# node in two partitions is listed twice by sinfo -N, which the cluster
# script and t2000 count)
scontrol create PartitionName=short Nodes=n[1-3] MaxTime=10 MaxNodes=2 State=UP ||
    fail "cannot create partition short"
mkdir "$SCRATCH/w"
cd "$SCRATCH/w"

neurons="$TOP_SRCDIR/examples/neurons/cc_surrogates.xml"
archs="$TOP_SRCDIR/examples/archs/archs.xml"
"$TOP_BUILDDIR/examples/neurons/tessera-gen-spikes" spikes.h5 --neurons 8 --bins 100 --seed 2 >/dev/null
p="--param spikes=spikes.h5 --param maxlag=10"

# snap: what the scratch directory holds (names, sizes, times) and the queue
snap() {
    (cd "$SCRATCH" && find w -printf '%p %y %s %T@\n' | sort)
    squeue -h -o '%i %j' 2>&1
}

# refused CODE TEXT ARGS...: tessera submit ARGS exits 2 saying TEXT and
# creates and queues nothing
refused() {
    text=$1
    shift
    before=$(snap)
    expect_exit 2 "$TESSERA" submit "$@"
    expect_text "$text"
    [ "$(snap)" = "$before" ] || fail "'tessera submit $*' changed something: $(snap)"
}

refused "--nodes 5: the job can get only 4 nodes of partition 'debug' (n1,n2,n3,n4); it could never start" \
    "$neurons" $p --nodes 5 --time 5
refused "--nodes 3 is above the node limit of partition 'short' (MaxNodes 2)" \
    "$neurons" $p --nodes 3 --time 5 --partition short
refused "--time 00:20:00 is above the time limit of partition 'short' (MaxTime 00:10:00)" \
    "$neurons" $p --nodes 1 --time 00:20:00 --partition short
refused "--time 10:01 is above the time limit of partition 'short'" \
    "$neurons" $p --nodes 1 --time 10:01 --partition short
refused "--nodes 2: the job can get only 1 node of partition 'debug' with --constraint mic (n4)" \
    "$neurons" $p --nodes 2 --time 5 --constraint mic
refused "--constraint gpu: no node of the cluster has feature 'gpu'" \
    "$neurons" $p --nodes 1 --time 5 --constraint gpu
refused "--constraint mic*2: 2 nodes with feature 'mic' asked, but the job can get 1" \
    "$neurons" $p --nodes 3 --time 5 --constraint 'mic*2'
refused "the cluster has no partition 'nope'" "$neurons" $p --nodes 1 --time 5 --partition nope
refused "the cluster has no reservation 'r1'" "$neurons" $p --nodes 1 --time 5 --sbatch --reservation=r1
refused "--sbatch '--time=20': tessera submit sets --time itself (use tessera submit --time)" \
    "$neurons" $p --nodes 1 --time 5 --sbatch --time=20
refused "tessera submit sets --output itself" "$neurons" $p --nodes 1 --time 5 --sbatch '-o x.out'
refused "--setup: one line per --setup" "$neurons" $p --nodes 1 --time 5 --setup "$(printf 'a\nb')"
# a task of an architecture the nodes cannot have, or may not have
refused "archs.xml:31:3: task 'on_mic' needs architecture 'mic' but the workers have: default" \
    "$archs" --nodes 2 --time 5 --partition short
refused "Slurm may choose 3 nodes none of which is 'mic': 3 of the 4 nodes the job can get in partition 'debug' are not; to be sure of one: --constraint 'mic*1'" \
    "$archs" --nodes 3 --time 5
refused "with -n 2 only 2 of the 4 nodes get a worker" "$archs" --nodes 4 --time 5 -n 2
refused "task 'on_mic' needs architecture 'mic'" "$archs" --nodes 3 --time 5 --sbatch --exclude=n4
# run directories: a used one, one without its parent
mkdir used && echo "state: completed" >used/status.txt
refused "--run-dir used holds 'status.txt': a run directory serves one run" \
    "$neurons" $p --nodes 1 --time 5 --run-dir used
refused "--run-dir no/dir: its parent directory $SCRATCH/w/no: No such file or directory" \
    "$neurons" $p --nodes 1 --time 5 --run-dir no/dir

# what makes them possible: a counted constraint, a named node, all nodes,
# another partition that fits (none of them is created with --dry-run)
before=$(snap)
expect_exit 0 "$TESSERA" submit "$archs" --nodes 3 --time 5 --constraint 'mic*1' --dry-run
expect_text "#SBATCH --constraint=mic*1"
expect_exit 0 "$TESSERA" submit "$archs" --nodes 3 --time 5 --sbatch --nodelist=n4 --dry-run
expect_text "#SBATCH --nodelist=n4"
expect_exit 0 "$TESSERA" submit "$archs" --nodes 4 --time 5 --dry-run
expect_exit 0 "$TESSERA" submit "$neurons" $p --nodes 2 --time 00:10:00 --partition short --dry-run
expect_exit 0 "$TESSERA" submit "$neurons" $p --nodes 2 --time 20 --partition short,debug --dry-run

# --dry-run: the script, every path absolute, nothing written anywhere
cp "$neurons" wf.xml
mkdir kdir
before=$(snap)
expect_exit 0 "$TESSERA" submit wf.xml --param spikes=spikes.h5 --param maxlag=10 \
    --nodes 2 --time 5 -n 4 --kernel-path kdir --dot graph.dot --run-dir rel --dry-run
[ "$(snap)" = "$before" ] || fail "--dry-run changed the file system or the queue: $(snap)"
expect_text "exec '$(readlink -f "$TESSERA")' run '$SCRATCH/w/wf.xml' --run-dir '$SCRATCH/w/rel' -n 4 --param 'spikes=$SCRATCH/w/spikes.h5' --param 'maxlag=10' --kernel-path '$SCRATCH/w/kdir' --dot '$SCRATCH/w/graph.dot'"
expect_text "#SBATCH --chdir=$SCRATCH/w"
expect_text "#SBATCH --output=$SCRATCH/w/rel/slurm-%j.out"
expect_text "# To submit it again, from any directory"
expect_text "sbatch $SCRATCH/w/rel/job.sbatch"
expect_text "(dry run: nothing was written or submitted; the run directory would be $SCRATCH/w/rel)"
# the workers per node, as launch_slurm.c places them
comment() { echo "$OUT" | sed -n '/^# tessera run learns/,/^[^#]/p' | sed '$d' | sed 's/^# //' | tr '\n' ' '; }
case $(comment) in *"4 workers (-n 4), 2 per node, each running as many tasks at once as its share of its node's CPUs."*) ;;
*) fail "-n 4 on 2 nodes: $(comment)" ;; esac
expect_exit 0 "$TESSERA" submit wf.xml $p --nodes 3 --time 5 -n 1 --slots 2 --dry-run
case $(comment) in *"1 worker (-n 1), one on the first node of the allocation (the other 2 get none), each running 2 tasks at once (--slots)."*) ;;
*) fail "-n 1 on 3 nodes: $(comment)" ;; esac
expect_exit 0 "$TESSERA" submit wf.xml $p --nodes 2 --time 5 -n 5 --dry-run
case $(comment) in *"5 workers (-n 5) round robin over the nodes (3 on the first node of the allocation, 2 on the others)"*) ;;
*) fail "-n 5 on 2 nodes: $(comment)" ;; esac
expect_exit 0 "$TESSERA" submit wf.xml $p --nodes 2 --time 5 --dry-run
case $(comment) in *"one worker per node (2 workers), each running as many tasks at once as its node has CPUs."*) ;;
*) fail "default on 2 nodes: $(comment)" ;; esac
expect_text "--run-dir '$SCRATCH/w/tessera-run.cc_surrogates."
[ "$(snap)" = "$before" ] || fail "--dry-run changed the file system or the queue: $(snap)"

# --job-name, --sbatch, --setup reach the job; the run directory holds only
# job.sbatch until the job runs (held here, so it never does)
expect_exit 0 "$TESSERA" submit wf.xml $p --nodes 2 --time 5 --job-name t2020job \
    --sbatch --hold --sbatch --comment=tessera-t2020 --sbatch '--mail-type=END' \
    --setup 'echo set up by t2020' --run-dir held
job=$(echo "$OUT" | sed -n 's/^tessera: submitted batch job \([0-9]*\)$/\1/p')
[ -n "$job" ] || fail "no job id: $OUT"
expect_text "tessera: run directory: $SCRATCH/w/held"
info=$(scontrol show job "$job")
for want in "JobName=t2020job" "Comment=tessera-t2020" "MailType=END" "Reason=JobHeldUser" \
    "WorkDir=$SCRATCH/w" "StdOut=$SCRATCH/w/held/slurm-$job.out" "NumNodes=2" "TimeLimit=00:05:00"; do
    case $info in *"$want"*) ;; *) fail "scontrol show job $job lacks $want: $info" ;; esac
done
grep -qx "echo set up by t2020" held/job.sbatch || fail "no --setup line: $(cat held/job.sbatch)"
[ "$(ls -A held)" = "job.sbatch" ] || fail "the run directory holds more than job.sbatch: $(ls -A held)"
scancel "$job"

# two submissions in the same second: two directories, each with only
# job.sbatch (the default name has the second; mkdtemp makes it unique)
try=0
while :; do
    try=$((try + 1))
    "$TESSERA" submit wf.xml $p --nodes 1 --time 5 --sbatch --hold >one.out 2>&1 &
    a=$!
    "$TESSERA" submit wf.xml $p --nodes 1 --time 5 --sbatch --hold >two.out 2>&1 &
    b=$!
    wait $a || fail "first submission: $(cat one.out)"
    wait $b || fail "second submission: $(cat two.out)"
    d1=$(sed -n 's/^tessera: run directory: //p' one.out)
    d2=$(sed -n 's/^tessera: run directory: //p' two.out)
    for j in $(cat one.out two.out | sed -n 's/^tessera: submitted batch job //p'); do scancel "$j"; done
    [ -n "$d1" ] && [ -n "$d2" ] || fail "no run directories: $(cat one.out two.out)"
    [ "$d1" != "$d2" ] || fail "two submissions share $d1"
    for d in "$d1" "$d2"; do
        [ "$(ls -A "$d")" = "job.sbatch" ] || fail "$d holds more than job.sbatch: $(ls -A "$d")"
    done
    # same second: the names differ only in the unique suffix
    [ "${d1%.*}" = "${d2%.*}" ] && break
    [ $try -lt 5 ] || fail "5 tries without two submissions in the same second: $d1 $d2"
done
# without a Slurm configuration: no checks (a warning), --dry-run works;
# when sbatch fails, what was created is removed (exit 1)
if [ ! -e /etc/slurm/slurm.conf ] && [ ! -e /run/slurm/conf/slurm.conf ]; then
    names() { (cd "$SCRATCH" && find w | sort); }
    before=$(snap)
    expect_exit 0 env -u SLURM_CONF "$TESSERA" submit wf.xml $p --nodes 9 --time 5 --dry-run
    expect_text "warning: no Slurm configuration (SLURM_CONF unset, no /etc/slurm/slurm.conf); the job is not checked"
    [ "$(snap)" = "$before" ] || fail "--dry-run changed something: $(snap)"
    before=$(names)
    expect_exit 1 env -u SLURM_CONF "$TESSERA" submit wf.xml $p --nodes 9 --time 5 --run-dir gone
    expect_text "nothing was submitted; the run directory was removed"
    [ "$(names)" = "$before" ] || fail "a failed sbatch left something: $(names)"
fi
echo "t2020: ok"
