#!/bin/sh
# Producer and consumers as separate processes, consumers started first:
# they wait for the object to be created, then for each block, and end
# when the producer completes it, having checked every element; waiting
# costs little CPU (no busy waiting); a consumer whose object never comes
# times out with a clear message. No process is left behind.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
prog="$TOP_BUILDDIR/tests/prog/store_prog"
mkdir st

timeout -s KILL 60 "$prog" consume st Spikes --timeout 30 > c1.out 2> c1.err &
c1=$!
timeout -s KILL 60 "$prog" consume st Spikes --timeout 30 > c2.out 2> c2.err &
c2=$!
sleep 0.5
[ ! -e st/Spikes ] || fail "the object exists before its producer"
t0=$(date +%s.%N)
timeout -s KILL 60 "$prog" produce st Spikes 20 64 256 --delay-ms 60 --seed 9 \
    > p.out 2> p.err &
p=$!
wait $p || fail "producer: $(cat p.err)"
wait $c1 || fail "consumer 1: $(cat c1.err)"
wait $c2 || fail "consumer 2: $(cat c2.err)"
t1=$(date +%s.%N)
no_process $p $c1 $c2
grep -q "produced Spikes: 20 blocks" p.out || fail "producer: $(cat p.out)"
for c in c1 c2; do
    grep -q "checked 20 blocks of Spikes" $c.out || fail "$c: $(cat $c.out)"
    cpu=$(sed -n 's/^cpu_ms //p' $c.out)
    # ~1.7 s of waiting (0.5 s for the name, 1.2 s for blocks): a busy
    # waiter would burn most of it
    [ "$cpu" -lt 400 ] || fail "$c used $cpu ms of CPU while waiting"
done
wall=$(echo "$t1 - $t0" | bc)
echo "producer+consumers: ${wall}s wall, consumer CPU $(sed -n 's/^cpu_ms //p' c1.out) ms"

# the consumers saw the blocks as they came, not all at the end: a
# consumer started now on the complete object reads the same
expect_exit 0 "$prog" consume st Spikes --timeout 1
expect_text "checked 20 blocks of Spikes"

# a consumer whose object never comes gives up after its time-out
t0=$(date +%s)
expect_exit 1 timeout -s KILL 30 "$prog" consume st Ghost --timeout 1
expect_text "no object Ghost after waiting 1.0 s"
[ $(( $(date +%s) - t0 )) -lt 10 ] || fail "time-out took too long"

# a consumer of an object under construction that stalls: time-out too
"$prog" produce st Stalled 5 2 2 --delay-ms 3000 > s.out 2>&1 &
s=$!
expect_exit 1 timeout -s KILL 30 "$prog" consume st Stalled --timeout 1
expect_text "no new block for 1.0 s"
expect_text "alive"
kill $s
wait $s || true
no_process $s
echo ok
