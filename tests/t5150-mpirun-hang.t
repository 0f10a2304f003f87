#!/bin/sh
# An mpirun that outlives its ranks is ended by the launcher. OpenMPI 4.1's
# mpirun can run forever after every rank has ended when a rank dies while
# it connects to mpirun's PMIx server inside MPI_Init ("PMIX ERROR:
# UNREACHABLE"; t5110 met it as a kill -9 at an unlucky instant). The
# launcher watches the ranks (processes with OMPI_COMM_WORLD_RANK, PMIX_RANK
# or PMI_RANK below it) and kills mpirun's group 10 s after the last one.
#  1. done: a leader that does not end after its ranks completed the run
#     (TESS_MPIRUN names a wrapper: mpirun, then sleep in its place): exit
#     0, state completed, a warning;
#  2. died: the same wrapper, and rank 1 dies in MPI_Init
#     (tests/prog/die_in_pmix.so): exit 1, failed, the reason and how to
#     continue, and the resume completes the run;
#  3. real: no wrapper, rank 1 dies in MPI_Init: mpirun itself nearly
#     always hangs on a quiet machine (12 of 13 tries), seldom under load;
#     either way the run ends, exit 1, and the resume completes it.
# Each must end within 90 s (without the watch, 1 and 2 never end), and
# leave no process (by PID).
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
cp "$TOP_SRCDIR/tests/wfrun/faults.xml" .
shim="$TOP_BUILDDIR/tests/prog/.libs/die_in_pmix.so"
[ -f "$shim" ] || fail "no $shim"
real=$(command -v "${TESS_MPIRUN:-mpirun}") || fail "no mpirun in PATH"
cat >hang-mpirun <<EOS
#!/bin/sh
# mpirun, then a leader that never ends (and starts nothing)
"$real" "\$@"
exec sleep 1000000
EOS
chmod +x hang-mpirun

# run_case NAME [VAR=VALUE...]: run the workflow in run directory NAME
# with that environment; RC, OUT, the record (st KEY) once it ended
run_case() {
    d=$1; shift
    env "$@" "$TESSERA" run faults.xml --param n=5 --param ms=1 -n 2 \
        --run-dir $d >$d.out 2>&1 &
    pid=$!
    pids=""
    start=$(date +%s)
    while kill -0 $pid 2>/dev/null &&
          [ "$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f1)" != Z ]; do
        pids="$pids $(descendants $pid)"
        [ "$(date +%s)" -le $((start + 90)) ] ||
            { kill -KILL $pid; fail "$d: the run still runs after 90 s: $(cat $d.out)"; }
        sleep 0.1
    done
    wait_exit $pid 5
    OUT=$(cat $d.out)
    left=$(survivors "$pids")
    [ -z "$left" ] || fail "$d: left behind: $left"
    echo "$d: ended in $(($(date +%s) - start)) s, exit $RC"
}
st() { sed -n "s/^$2: //p" $1/status.txt; }

run_case done TESS_MPIRUN="$SCRATCH/hang-mpirun"
expect_eq "done: exit status" "$RC" 0
expect_eq "done: state" "$(st done state)" completed
expect_eq "done: tasks done" "$(st done tasks_done)" 26
expect_text "tessera: warning: mpirun was still running 10 s after its last rank had ended, and was killed"

run_case died TESS_MPIRUN="$SCRATCH/hang-mpirun" LD_PRELOAD="$shim" TESS_TEST_DIE_RANK=1
grep -q "die_in_pmix: rank dies in MPI_Init" died/logs/launch.log ||
    fail "died: rank 1 did not die in MPI_Init: $(cat died/logs/launch.log)"
expect_eq "died: exit status" "$RC" 1
expect_text "the MPI job ended abnormally: mpirun"
expect_text "after its last rank had ended"
expect_text "and was killed"
expect_text "continue with: tessera resume $SCRATCH/died"
# the record (no trace yet: the run died before its engine started)
expect_eq "died: state" "$(st died state)" failed
expect_eq "died: exit_status" "$(st died exit_status)" 1
case "$(st died message)" in
*"after its last rank had ended"*"continue with: tessera resume"*) ;;
*) fail "died: status message: $(st died message)" ;;
esac
"$TESSERA" resume died >died.resume 2>&1 || fail "died: resume: $(cat died.resume)"
expect_eq "died: state after the resume" "$(st died state)" completed
expect_eq "died: tasks done after the resume" "$(st died tasks_done)" 26

run_case real LD_PRELOAD="$shim" TESS_TEST_DIE_RANK=1
grep -q "die_in_pmix: rank dies in MPI_Init" real/logs/launch.log ||
    fail "real: rank 1 did not die in MPI_Init: $(cat real/logs/launch.log)"
expect_eq "real: exit status" "$RC" 1
expect_text "continue with: tessera resume $SCRATCH/real"
expect_eq "real: state" "$(st real state)" failed
case "$OUT" in
*"did not end then"*) echo "real: mpirun hung, and was killed" ;;
*) echo "real: mpirun ended by itself this time" ;;
esac
"$TESSERA" resume real >real.resume 2>&1 || fail "real: resume: $(cat real.resume)"
expect_eq "real: state after the resume" "$(st real state)" completed
echo "t5150: ok"
