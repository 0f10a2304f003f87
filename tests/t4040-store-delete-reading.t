#!/bin/sh
# Deleting an object while other processes read it: a reader finishes
# with every block checked or stops with a clear "was deleted" error,
# never with wrong data, also when the name is re-created at once with
# other values; a consumer waiting on an object under construction and
# its producer both learn of the deletion. No process is left.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
prog="$TOP_BUILDDIR/tests/prog/store_prog"
mkdir st
pids=""

finished=0 stopped=0
for d in 0.1 0.2 0.3 0.45 0.6 2.5; do
    expect_exit 0 "$prog" produce st Big 40 128 256 --seed 1
    timeout -s KILL 60 "$prog" read st Big --delay-ms 25 > r.out 2> r.err &
    r=$!
    pids="$pids $r"
    wait_line r.out "opened Big"
    sleep $d
    expect_exit 0 "$TESSERA" store rm --store st Big
    # the name again at once, other values: the reader must not mix them
    expect_exit 0 "$prog" produce st Big 40 128 256 --seed 2
    set +e
    wait $r
    rc=$?
    set -e
    case $rc in
    0) grep -q "checked 40 blocks of Big" r.out || fail "reader: $(cat r.out)"
       finished=$((finished + 1)) ;;
    1) grep -q "object Big (id [0-9a-f]*) was deleted while in use" r.err ||
           fail "reader's error: $(cat r.err)"
       stopped=$((stopped + 1)) ;;
    *) fail "reader exited $rc (3: wrong data): $(cat r.err)" ;;
    esac
    expect_exit 0 "$TESSERA" store rm --store st Big
done
echo "readers: $finished finished, $stopped stopped by the deletion"
[ $stopped -ge 1 ] || fail "no reader was stopped by a deletion"
[ $finished -ge 1 ] || fail "no reader finished before the deletion"

# an object under construction: its consumer and its producer
timeout -s KILL 60 "$prog" produce st Live 20 4 4 --delay-ms 150 > p.out 2> p.err &
p=$!
timeout -s KILL 60 "$prog" consume st Live --timeout 30 > c.out 2> c.err &
c=$!
pids="$pids $p $c"
wait_line p.out "committed 2"
wait_line c.out "opened Live"
expect_exit 0 "$TESSERA" store rm --store st Live
set +e
wait $c; rc=$?
wait $p; rp=$?
set -e
[ $rc -eq 1 ] || fail "consumer exited $rc: $(cat c.out c.err)"
grep -q "object Live (id [0-9a-f]*) was deleted while in use" c.err ||
    fail "consumer's error: $(cat c.err)"
[ $rp -eq 1 ] || fail "producer exited $rp: $(cat p.out p.err)"
grep -q "deleted" p.err || fail "producer's error: $(cat p.err)"
no_process $pids
# nothing remains of any incarnation
[ -z "$(ls st)" ] || fail "names left: $(ls st)"
[ -z "$(ls -A st/.objects)" ] || fail "left in .objects: $(ls -A st/.objects)"
echo ok
