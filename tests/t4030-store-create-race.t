#!/bin/sh
# Concurrent creation of one name: in each of 200 rounds 4 processes
# create the same object at the same instant; exactly one wins, the
# others get exit 2 and a message naming the winner; the losers leave
# nothing behind. No process is left.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
prog="$TOP_BUILDDIR/tests/prog/store_prog"
mkdir st

timeout -s KILL 300 "$prog" race st 200 4 > race.out 2> race.err ||
    fail "races: $(tail -5 race.err) $(tail -1 race.out)"
grep -q "^200 races, 200 winners, 0 bad rounds$" race.out ||
    fail "races: $(grep races race.out)"
[ "$(grep -c '^pid ' race.out)" -eq 800 ] || fail "not 800 racers"
no_process $(sed -n 's/^pid //p' race.out)
# each loser said why
[ "$(grep -c 'exists already (created by ' race.err)" -eq 600 ] ||
    fail "loser messages: $(grep -c 'exists already' race.err) of 600"
# every round's object was deleted: nothing left, no temporary either
[ -z "$(ls -A st/.objects)" ] || fail "left in .objects: $(ls -A st/.objects)"
[ -z "$(ls st)" ] || fail "left in the store: $(ls st)"

# the same through the command line, exit statuses as documented
"$prog" create st Twice > a.out 2>&1 & a=$!
"$prog" create st Twice > b.out 2>&1 & b=$!
set +e
wait $a; ra=$?
wait $b; rb=$?
set -e
no_process $a $b
[ $((ra + rb)) -eq 2 ] && [ $((ra * rb)) -eq 0 ] ||
    fail "exit statuses $ra and $rb: $(cat a.out b.out)"
cat a.out b.out | grep -q "object Twice exists already (created by $(id -un)@" ||
    fail "loser's message: $(cat a.out b.out)"
expect_exit 0 "$TESSERA" store ls --store st
[ "$(echo "$OUT" | grep -c '^Twice ')" -eq 1 ] || fail "ls: $OUT"
echo ok
