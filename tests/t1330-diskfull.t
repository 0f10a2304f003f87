#!/bin/sh
# A full disk, on a 20 MiB tmpfs (needs root and mount; skipped otherwise):
# - results.h5 does not fit (threads): exit 1, the message
#   names the file and ENOSPC, no partial results.h5 or temporary is left,
#   and nothing crashes at exit (HDF5 used to segfault in H5F__close_cb
#   after a failed H5Fclose);
# - a task's output fragment does not fit (an MPI worker): the task fails
#   naming it, exit 1; or it fits and then results.h5 does not;
# - the disk is already full at the start: refused with exit 2 before
#   anything runs, with --run-dir and with the default directory.
# The record is written and parses in the failing cases.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "t1330: skipped (needs root to mount a tmpfs)"; exit 77; }
scratch
mnt="$SCRATCH/mnt"
mkdir "$mnt"
mount -t tmpfs -o size=20m tmpfs "$mnt" 2>/dev/null ||
    { echo "t1330: skipped (cannot mount a tmpfs here)"; exit 77; }
trap 'umount "$mnt" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
wf="$TOP_SRCDIR/tests/wfrun/bigresult.xml"

# the fragment (18.4 MB: runs on threads keep one too) fits, then
# results.h5 does not
expect_exit 1 "$TESSERA" run "$wf" -n 0 --param n=2300000 --run-dir "$mnt/r1"
expect_text "tessera: result file $mnt/r1/results.h5: cannot flush and close"
expect_text "No space left on device"
record "$mnt/r1"
expect_eq "r1 state" "$ST_state" failed
expect_eq "r1 exit_status" "$ST_exit_status" 1
case "$ST_message" in
"result file $mnt/r1/results.h5: "*"No space left on device"*) ;;
*) fail "r1: status message: $ST_message" ;;
esac
expect_eq "r1 task" "$TR_ok" 1
left=$(ls "$mnt/r1" | grep results || true)
[ -z "$left" ] || fail "left behind: $left"
rm -rf "$mnt/r1"

# the fragment (24 MB) of an MPI worker does not fit
expect_exit 1 "$TESSERA" run "$wf" -n 1 --run-dir "$mnt/r2"
expect_text "task 1 (bump: test_kernels:nap) failed on $(hostname) (rank 1): frag file $mnt/r2/frags/d1/v1.h5: "
expect_text "No space left on device"
record "$mnt/r2"
expect_eq "r2 state" "$ST_state" failed
expect_eq "r2 failed" "$ST_tasks_failed" 1
[ -z "$(find "$mnt/r2" -name '*.tmp.*')" ] || fail "temporaries left: $(find "$mnt/r2" -name '*.tmp.*')"
rm -rf "$mnt/r2"

# the fragment (20.7 MB) fits, then results.h5 does not: its write fails
expect_exit 1 "$TESSERA" run "$wf" -n 1 --param n=2590000 --run-dir "$mnt/r4"
expect_text "result file $mnt/r4/results.h5: dataset /x: writing box [0:2590000] failed: "
expect_text "(No space left on device)"
record "$mnt/r4"
expect_eq "r4 state/done" "$ST_state/$ST_tasks_done" failed/1
[ -z "$(find "$mnt/r4" -name 'results*')" ] || fail "left behind: $(find "$mnt/r4" -name 'results*')"
rm -rf "$mnt/r4"

# full from the start (less than 16 MiB free): nothing runs
dd if=/dev/zero of="$mnt/filler" bs=1M count=10 2>/dev/null
expect_exit 2 "$TESSERA" run "$wf" -n 1 --run-dir "$mnt/r3"
expect_text "run directory $mnt/r3: its file system is full"
[ -z "$(ls -A "$mnt/r3" 2>/dev/null)" ] || fail "r3 holds: $(ls -A "$mnt/r3")"
cd "$mnt"
expect_exit 2 "$TESSERA" run "$wf" -n 0
expect_text ": its file system is full"
expect_eq "files on the full disk" "$(ls -A "$mnt" | tr '\n' ' ')" "filler r3 "
cd "$SCRATCH"
echo "t1330: ok"
