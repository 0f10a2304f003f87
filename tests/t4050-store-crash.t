#!/bin/sh
# kill -9 of a producer in the middle of writing a block leaves the store
# consistent: the object is listed as incomplete, every block it shows
# reads back exactly, the half-written block is not a block; a consumer
# waiting for more blocks learns of the death at once (not at its
# time-out); gc removes the dead writer's temporary; rm removes the rest.
# No process is left.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
prog="$TOP_BUILDDIR/tests/prog/store_prog"
mkdir st
pids=""

midwrite=0 maxlate=0
i=0
for extra in 0 0.003 0.007 0.011 0.02 0.035; do
    i=$((i + 1))
    name="Crash$i"
    timeout -s KILL 120 "$prog" consume st $name --timeout 100 > c.out 2> c.err &
    c=$!
    # blocks of 4 MiB written back to back: a kill lands inside one
    "$prog" produce st $name 60 512 1024 --seed $i > p.out 2> p.err &
    p=$!
    pids="$pids $c $p"
    wait_line p.out "committed 2"
    wait_line c.out "opened $name" # (a slow start is not a late notice)
    sleep $extra
    kill -9 $p
    set +e
    wait $p
    t0=$(date +%s)
    wait $c
    rc=$?
    set -e
    # the consumer saw the death promptly and checked what was there
    [ $rc -eq 1 ] || fail "consumer exited $rc: $(cat c.out c.err)"
    # at once, not at its 100 s time-out
    late=$(( $(date +%s) - t0 ))
    [ $late -lt 10 ] || fail "consumer noticed after ${late}s: $(cat c.out c.err)"
    maxlate=$(( late > maxlate ? late : maxlate ))
    grep -q "object $name is incomplete: its producer .* ended without completing it" c.err ||
        fail "consumer's error: $(cat c.err)"
    id=$(readlink st/$name | sed 's|.objects/||')
    tmps=$(ls st/.objects/$id/blocks | grep -c '\.tmp\.' || true)
    [ "$tmps" -gt 0 ] && midwrite=$((midwrite + 1))

    expect_exit 0 "$TESSERA" store ls --store st
    echo "$OUT" | grep -q "^$name  *incomplete " || fail "ls: $OUT"
    expect_exit 0 "$TESSERA" store show --store st $name
    expect_text "state: incomplete"
    shown=$(echo "$OUT" | sed -n 's/^blocks: //p')
    committed=$(grep -c '^committed ' p.out)
    # a kill between the commit and its message leaves one block more
    [ "$shown" -eq "$committed" ] || [ "$shown" -eq $((committed + 1)) ] ||
        fail "$shown blocks shown, $committed committed"
    case "$OUT" in *tmp*) fail "a temporary shown as a block: $OUT" ;; esac
    expect_exit 0 "$prog" read st $name
    expect_text "checked $shown blocks of $name"
    # every block file left opens as HDF5; temporaries are ignored
    for f in st/.objects/$id/blocks/b*.h5; do
        h5dump -H "$f" > /dev/null 2>&1 || fail "$f does not open"
    done
done
echo "producers killed: 6, inside a block write: $midwrite, consumers noticed within ${maxlate}s"
[ $midwrite -ge 1 ] || fail "no kill landed inside a block write"

# gc: the dead writers' temporaries go, the objects stay readable
expect_exit 0 "$TESSERA" store gc --store st
expect_text "removed $midwrite leftover entr"
[ -z "$(find st/.objects -name '*.tmp.*')" ] || fail "temporaries left by gc"
expect_exit 0 "$prog" read st Crash1
expect_exit 0 "$TESSERA" store rm --store st Crash1 Crash2 Crash3 Crash4 Crash5 Crash6
[ -z "$(ls st)" ] && [ -z "$(ls -A st/.objects)" ] || fail "left: $(ls -AR st)"
no_process $pids
echo ok
