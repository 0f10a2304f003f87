#!/bin/sh
# `tessera store ls|show|rm|gc`: an empty store lists nothing (exit 0);
# objects show their state, blocks, shapes, bytes and creator; hostile
# names are refused with exit 2 and nothing in or outside the store is
# touched; entries that are not objects are left alone; the store comes
# from --store, else TESSERA_STORE, else ~/.tessera/store; a project
# group shares a store (checked as an unprivileged user when run as root).
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"
prog="$TOP_BUILDDIR/tests/prog/store_prog"
unset TESSERA_STORE
export HOME="$SCRATCH/home"

# an empty store, and the default store before anything was stored
mkdir empty
expect_exit 0 "$TESSERA" store ls --store empty
[ -z "$OUT" ] || fail "empty store listed: $OUT"
expect_exit 0 "$TESSERA" store ls
[ -z "$OUT" ] || fail "unused default store listed: $OUT"
[ ! -e home ] || fail "ls created the default store"
expect_exit 0 "$TESSERA" store gc --store empty
expect_text "removed 0 leftover entries"
expect_exit 2 "$TESSERA" store ls --store nothere
expect_text "no such store directory"
expect_exit 2 "$TESSERA" store show --store empty Nothing
expect_text "no object Nothing"
expect_exit 2 "$TESSERA" store rm --store empty Nothing
expect_text "no object Nothing"
expect_exit 2 "$TESSERA" store
expect_text "usage: tessera store ls"
expect_exit 2 "$TESSERA" store frobnicate --store empty
expect_exit 2 "$TESSERA" store show --store empty
expect_text "wrong number of names"
expect_exit 0 "$TESSERA" store --help
expect_text "tessera store show [--store DIR] NAME"

# objects: complete, building (producer gone = incomplete)
expect_exit 0 "$prog" produce st NeuronData 4 25 500 --seed 3
expect_exit 0 "$prog" produce st Partial 3 2 8 --no-complete
expect_exit 0 "$TESSERA" store ls --store st
expect_text "NAME"
echo "$OUT" | grep -q '^NeuronData  *complete  *4  *400000 ' || fail "ls: $OUT"
echo "$OUT" | grep -q '^Partial  *incomplete  *3  *- ' || fail "ls: $OUT"
[ "$(echo "$OUT" | grep -c .)" -eq 3 ] || fail "ls lines: $OUT"
expect_exit 0 "$TESSERA" store show --store st NeuronData
expect_text "state: complete"
expect_text "type: f64"
expect_text "shape: 100x500"
expect_text "block 0: [0:25, 0:500] 25x500 100000 bytes"
expect_text "block 3: [75:100, 0:500] 25x500 100000 bytes"
expect_text "blocks: 4"
expect_text "bytes: 400000"
expect_text "params: seed=3"
expect_text "workflow: store_prog"
expect_text "creator: $(id -un)@$(hostname) pid "
expect_exit 0 "$TESSERA" store show --store st Partial
expect_text "state: incomplete"
expect_text "(gone)"
expect_text "blocks: 3"
# the blocks are HDF5 files anyone can read (fragment format)
id=$(readlink st/NeuronData | sed 's|.objects/||')
h5dump -A "st/.objects/$id/blocks/b2.h5" | grep -q tess_format_version ||
    fail "block file lacks tess_format_version"

# TESSERA_STORE, then the default in $HOME
TESSERA_STORE="$SCRATCH/st" expect_exit 0 "$TESSERA" store ls
expect_text "NeuronData"
expect_exit 0 "$prog" produce "$HOME/.tessera/store" Homed 1 1 1
expect_exit 0 "$TESSERA" store ls
expect_text "Homed"
expect_exit 0 "$TESSERA" store rm Homed

# hostile names: exit 2, clear message, nothing touched
ln -s /etc st/evil
: > st/README
mkdir lists
snapshot() {
    find "$SCRATCH" -path "$SCRATCH/lists" -prune -o \
        -exec ls -ld --time-style=+%s.%N {} + > "lists/$1"
}
snapshot before
check_refused() {
    for cmd in show rm; do
        expect_exit 2 "$TESSERA" store $cmd --store st "$1"
        expect_text "refused"
    done
    expect_exit 2 "$prog" create st "$1"
    expect_text "refused"
}
long=$(printf 'n%.0s' $(seq 1 129))
for name in ../escape /etc/passwd .hidden a/../../b "" "$long" \
    "$(printf 'a\nb')" "$(printf 'tab\there')" "$(printf '\001x')" \
    "$(printf '\377\376')" "$(printf 'caf\303\251')" "a b" ; do
    check_refused "$name"
done
expect_exit 2 "$TESSERA" store show --store st "$(printf '\377\376')"
expect_text "not ASCII"
case "$OUT" in *"$(printf '\377')"*) fail "raw byte echoed: $OUT" ;; esac
expect_exit 2 "$TESSERA" store rm --store st ../escape
expect_text "starts with '.'"
# not objects: refused by name, left alone
expect_exit 2 "$TESSERA" store rm --store st evil
expect_text "evil is not a Tessera object"
expect_exit 2 "$TESSERA" store show --store st README
snapshot after
cmp -s lists/before lists/after ||
    fail "a refused name touched something: $(diff lists/before lists/after)"
[ -f /etc/passwd ] || fail "/etc/passwd"
expect_exit 0 "$TESSERA" store ls --store st
case "$OUT" in *README*|*evil*) fail "ls lists non-objects: $OUT" ;; esac

# a name whose object directory is gone (damage by hand): shown as broken,
# removable
ln -s .objects/0123456789abcdef0123456789abcdef st/Broken
expect_exit 0 "$TESSERA" store ls --store st
echo "$OUT" | grep -q '^Broken  *broken ' || fail "ls: $OUT"
expect_exit 2 "$TESSERA" store show --store st Broken
expect_text "object Broken is broken"
expect_exit 0 "$TESSERA" store rm --store st Broken
[ ! -e st/Broken ] && [ ! -L st/Broken ] || fail "broken name not removed"

# rm: several names, the object and its files go; a missing one is exit 2
expect_exit 2 "$TESSERA" store rm --store st Partial Missing
expect_text "no object Missing"
[ ! -e st/Partial ] || fail "Partial not removed"
expect_exit 0 "$TESSERA" store rm --store st NeuronData
[ ! -e "st/.objects/$id" ] || fail "files of a removed object remain"
expect_exit 0 "$TESSERA" store ls --store st
[ -z "$OUT" ] || fail "ls after rm: $OUT"
[ "$(ls st/.objects | wc -l)" -eq 0 ] || fail "left in .objects: $(ls st/.objects)"

# a group shares a store: the setgid group propagates, the umask rules
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$SCRATCH"
    mkdir proj
    chgrp 4343 proj
    chmod 2770 proj
    (umask 007 && "$prog" produce proj Shared 2 4 4 --seed 5 >/dev/null) ||
        fail "producing into the group store"
    obj=$(readlink proj/Shared)
    [ "$(stat -c %g proj/$obj)" = 4343 ] || fail "object directory group"
    [ "$(stat -c %a proj/$obj/blocks/b1.h5)" = 660 ] || fail "block mode"
    member="setpriv --reuid=65534 --regid=4343 --clear-groups"
    stranger="setpriv --reuid=65534 --regid=65534 --clear-groups"
    expect_exit 0 $member "$prog" read proj Shared
    expect_text "checked 2 blocks of Shared"
    expect_exit 0 $member "$TESSERA" store ls --store proj
    expect_text "Shared"
    expect_exit 1 $stranger "$TESSERA" store ls --store proj
    expect_text "Permission denied"
    (umask 077 && "$prog" produce proj Private 1 1 1 >/dev/null)
    expect_exit 1 $member "$TESSERA" store rm --store proj Private
    expect_text "cannot delete its files: Permission denied"
    [ -L proj/Private ] || fail "a failed rm removed the name"
    expect_exit 0 $member "$TESSERA" store rm --store proj Shared
fi
echo "ok"
