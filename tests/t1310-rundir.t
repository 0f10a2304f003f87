#!/bin/sh
# One owner per run directory, and run-directory problems refused before
# anything starts:
# - a second run in a directory a live run holds: exit 2 naming the holder
#   (pid, host), the first run's record untouched; a C program too;
# - a finished run's directory (completed, or of another workflow): refused
#   (exit 2) without --overwrite; with it the run works and no file of the
#   old run survives; a directory only prepared (job.sbatch, job output) is
#   used as it is;
# - default directories are unique: 8 runs started at once all succeed,
#   each in a directory of its own;
# - --run-dir naming a file, or a path of 4081 characters: exit 2 with a
#   clear message before mpirun starts (a fake mpirun would leave a mark);
#   a path of 3000 characters works;
# - a kernel library named relative to the workflow (sub/k.so:nap) works
#   on MPI workers when the current directory is elsewhere.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
wf="$TOP_SRCDIR/tests/wfrun/naps.xml"
host=$(hostname)

# --- two runs, one directory ------------------------------------------------
"$TESSERA" run "$wf" --param n=12 --param ms=500 -n 1 --run-dir shared >first.out 2>&1 &
first=$!
wait_for 60 status_at_least shared tasks_done 1
expect_exit 2 "$TESSERA" run "$wf" --param n=2 -n 1 --run-dir shared
expect_text "tessera: run directory shared is in use by pid $first on $host, since "
expect_exit 2 "$TESSERA" run "$wf" --param n=2 -n 0 --run-dir shared --overwrite
expect_text "is in use by pid $first on $host"
expect_exit 2 "$TOP_BUILDDIR/tests/prog/faults" "$SCRATCH/shared" retry "$SCRATCH/m"
expect_text "run directory $SCRATCH/shared is in use by pid $first on $host"
grep -q "^pid: $first$" shared/status.txt || fail "the record changed hands: $(cat shared/status.txt)"
wait_exit $first 120
[ "$RC" -eq 0 ] || fail "the first run failed: $(cat first.out)"
record shared
expect_eq "shared: done" "$ST_tasks_done/$TR_ok/$TR_rows" 12/12/12

# --- a finished run's directory ----------------------------------------------
expect_exit 1 "$TESSERA" run "$TOP_SRCDIR/tests/wfrun/crash.xml" --param mode=8 -n 2 --run-dir old
expect_exit 2 "$TESSERA" run "$wf" --param n=2 -n 1 --run-dir old
expect_text "run directory old holds a run (failed) that cannot be resumed with this workflow: "
expect_text "use --overwrite"
grep -q "^workflow: crash$" old/status.txt || fail "refused, yet the record changed"
# what a run killed while writing its record leaves
touch old/results.h5.tmp.123.0 old/status.txt.tmp.99
touch stamp
sleep 1
expect_exit 0 "$TESSERA" run "$wf" --param n=2 --param ms=10 -n 1 --run-dir old --overwrite
stale=$(find old ! -newer stamp -print)
[ -z "$stale" ] || fail "files of the old run survived: $stale"
[ -z "$(find old -name 'worker2.*')" ] || fail "the old run's worker 2 logs survived"
record old
expect_eq "old: workflow/state" "$ST_workflow/$ST_state" naps/completed
expect_eq "old: trace" "$TR_rows/$TR_ok" 2/2
# a completed run's directory: refused, the record untouched
expect_exit 2 "$TESSERA" run "$wf" --param n=2 --param ms=10 -n 1 --run-dir old
expect_text "run directory old holds a completed run of 'naps' (results in "
expect_text "use --overwrite"
record old
expect_eq "old: state" "$ST_state/$TR_rows" completed/2
# prepared by `tessera submit`: used, its files kept
mkdir prepared
echo "#!/bin/sh" > prepared/job.sbatch
echo "job output" > prepared/slurm-77.out
expect_exit 0 "$TESSERA" run "$wf" --param n=2 --param ms=10 -n 1 --run-dir prepared
[ -s prepared/job.sbatch ] && [ -s prepared/slurm-77.out ] || fail "prepared files lost"

# --- default directories, many at once ----------------------------------------
mkdir many
cd many
i=0
pids=
while [ $i -lt 8 ]; do
    n=0
    [ $i -lt 2 ] && n=1
    "$TESSERA" run "$wf" --param n=2 --param ms=10 -n $n >"../many-$i.out" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
for p in $pids; do
    wait_exit $p 120
    [ "$RC" -eq 0 ] || fail "a concurrent run failed: $(cat ../many-*.out)"
done
cd ..
dirs=$(ls many | grep -c '^tessera-run\.naps\.[0-9]\{8\}-[0-9]\{6\}\.[a-z0-9]\{6\}$')
expect_eq "run directories" "$dirs" 8
expect_eq "results" "$(ls many/*/results.h5 | wc -l)" 8
for d in many/*; do
    record "$d"
    expect_eq "$d: state" "$ST_state/$TR_ok" completed/2
done

# --- paths refused before anything starts --------------------------------------
printf '#!/bin/sh\ntouch "%s/mpirun-ran"\nexit 1\n' "$SCRATCH" > fake-mpirun
chmod +x fake-mpirun
echo data > afile
expect_exit 2 env TESS_MPIRUN="$SCRATCH/fake-mpirun" "$TESSERA" run "$wf" -n 1 --run-dir afile
expect_text "tessera: run directory afile exists and is not a directory"
long=$(printf "$SCRATCH/%0$((4081 - ${#SCRATCH} - 1))d" 0)
expect_exit 2 env TESS_MPIRUN="$SCRATCH/fake-mpirun" "$TESSERA" run "$wf" -n 1 --run-dir "$long"
expect_text "run directory: the path has 4081 characters; at most 3072"
[ ! -e mpirun-ran ] || fail "mpirun was started for a bad run directory"
[ "$(cat afile)" = data ] || fail "the file named as run directory was changed"
# 3000 characters (components of 200) work
deep=$SCRATCH
while [ ${#deep} -lt 2800 ]; do deep="$deep/$(printf '%0200d' 0)"; done
mkdir -p "$deep"
expect_exit 0 "$TESSERA" run "$wf" --param n=2 --param ms=10 -n 1 --run-dir "$deep/r"
[ -s "$deep/r/results.h5" ] || fail "no results under a long path"

# --- a kernel library relative to the workflow ----------------------------------
mkdir -p wfdir/sub elsewhere
cp "$TOP_BUILDDIR/tests/prog/.libs/test_kernels.so" wfdir/sub/k.so
sed 's|kernel="test_kernels:nap"|kernel="sub/k.so:nap"|' "$wf" > wfdir/naps.xml
cd elsewhere
expect_exit 0 env TESS_KERNEL_PATH= "$TESSERA" run ../wfdir/naps.xml --param n=4 --param ms=10 -n 2 --run-dir rel
expect_text "workflow 'naps': 4 tasks"
cd ..
# the trace names the library by its absolute path
grep -q ",$SCRATCH/[a-z./]*wfdir/sub/k.so:nap,1," elsewhere/rel/trace.csv ||
    fail "trace: $(cat elsewhere/rel/trace.csv)"
echo "t1310: ok"
