#!/bin/sh
# t1100-wf-validate.t - the workflow front end against bad and hostile input.
#
# Runs every line of tests/wf/EXPECT through workflow/test/wf_check validate and
# asserts the exit status and that stderr is exactly one line containing the
# expected "file:line:col: message" (or "--param NAME: message").  Then: the
# input size bound, the examples (constraints and implementations: archs),
# and a 10^6-call expansion.
# Needs TOP_SRCDIR and TOP_BUILDDIR (set by `make check`).
set -u
: "${TOP_SRCDIR:?set TOP_SRCDIR}" "${TOP_BUILDDIR:?set TOP_BUILDDIR}"
W="$TOP_BUILDDIR/workflow/test/wf_check"
MKH5="$TOP_BUILDDIR/workflow/test/wf_mkh5"
KDIR="$TOP_BUILDDIR/examples/pipeline/.libs"
AKDIR="$TOP_BUILDDIR/examples/archs/.libs"
CORPUS="$TOP_SRCDIR/tests/wf"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t1100.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
export TESS_SCHEMA_DIR="$TOP_SRCDIR/schemas"
unset TESS_KERNEL_PATH

for p in "$W" "$MKH5" "$KDIR/pipeline_kernels.so" "$AKDIR/archs_kernels.so" \
    "$TOP_BUILDDIR/tests/prog/store_prog"; do
    if [ ! -e "$p" ]; then
        echo "t1100: $p is missing: build it first (make check does)" >&2
        exit 1
    fi
done
"$MKH5" "$TMP/spikes.h5" /spikes u8 10 20 &&
"$MKH5" "$TMP/rank1.h5" /spikes u8 10 &&
"$MKH5" "$TMP/f64.h5" /spikes f64 10 20 &&
"$MKH5" "$TMP/other.h5" /other u8 10 20 || exit 1
mkdir "$TMP/run" || exit 1
# a store with one complete object, Blocks (f64 20x20, blocks of 5 rows)
"$TOP_BUILDDIR/tests/prog/store_prog" produce "$TMP/st" Blocks 4 5 20 >/dev/null || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

subst() {
    printf '%s' "$1" | sed -e "s|@TMP@|$TMP|g" -e "s|@SRC@|$TOP_SRCDIR|g"
}

# has_msg FILE MESSAGE: FILE contains MESSAGE, literal text in which @N@
# stands for a number.
has_msg() {
    re=$(printf '%s' "$2" | sed -e 's/[][\.*^$(){}?+|]/\\&/g' -e 's/@N@/[0-9]+/g')
    grep -qE -- "$re" "$1"
}

# expect NAME EXIT MESSAGE -- COMMAND...: run COMMAND, check status and stderr.
expect() {
    name=$1 want=$2 msg=$3
    shift 4
    (cd "$TMP/run" && "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        not_ok "$name: exit $rc, expected $want; stderr: $(head -c 300 "$TMP/err")"
        return
    fi
    if [ "$want" -eq 0 ]; then
        if has_msg "$TMP/out" "$msg"; then ok; else
            not_ok "$name: stdout lacks '$msg': $(head -c 300 "$TMP/out")"
        fi
        return
    fi
    lines=$(wc -l <"$TMP/err")
    if [ "$lines" -ne 1 ]; then
        not_ok "$name: $lines lines on stderr, expected one: $(head -c 300 "$TMP/err")"
    elif has_msg "$TMP/err" "$msg"; then
        ok
    else
        not_ok "$name: message '$(cat "$TMP/err")' lacks '$msg'"
    fi
}

# 1. the corpus
n=0
while IFS='|' read -r case args code msg; do
    case "$case" in ''|'#'*) continue ;; esac
    n=$((n + 1))
    args=$(subst "$args")
    msg=$(subst "$msg")
    set -f
    # shellcheck disable=SC2086
    set -- $args
    set +f
    expect "$case $args" "$code" "$msg" -- \
        "$W" validate "$CORPUS/$case" --kernel-path "$KDIR" \
        --run-dir "$TMP/run" "$@"
done <"$CORPUS/EXPECT"
if [ "$n" -lt 40 ]; then
    not_ok "corpus: only $n cases (at least 40 expected)"
fi
# every corpus file is used
for f in "$CORPUS"/*.xml; do
    b=$(basename "$f")
    case "$b" in ok-*) continue ;; esac
    grep -q "^$b|" "$CORPUS/EXPECT" || not_ok "corpus: $b has no line in EXPECT"
done

# 2. input bounds: a missing file, a directory, a file beyond 16 MiB
expect "missing file" 2 "no-such.xml: cannot open: No such file or directory" -- \
    "$W" validate "$TMP/no-such.xml"
expect "directory" 2 "not a regular file" -- "$W" validate "$TMP"
{
    printf '<?xml version="1.0"?>\n<workflow xmlns="https://tessera.dev/schemas/workflow/1" name="w"><description>'
    head -c 17000000 /dev/zero | tr '\0' 'x'
    printf '</description><body/></workflow>\n'
} >"$TMP/huge.xml"
expect "huge file" 2 "huge.xml: file too large (17000134 bytes): workflow files are limited to 16777216 bytes" -- \
    "$W" validate "$TMP/huge.xml"

# 3. the examples are valid, and expand as the C program submits
NEURONS="$TOP_SRCDIR/examples/neurons/cc_surrogates.xml"
PIPE="$TOP_SRCDIR/examples/pipeline/pipeline.xml"
expect "neurons validate" 0 "cc_surrogates.xml: ok" -- \
    "$W" validate "$NEURONS" --param "spikes=$TMP/spikes.h5" --param num_frags=4 \
    --checks inputs,expand
expect "neurons expand" 0 "task 1 cc_surrogate_range neurons_kernels:cc_surrogate_range (in spikes#1, out frag_orig#4, out frag_surrs#5, 0, 12, 2398645, 200, 200)" -- \
    "$W" expand "$NEURONS" --param "spikes=$TMP/spikes.h5" --param num_frags=4 --checks none
expect "neurons last gather" 0 "task 8 gather neurons_kernels:gather priority (in frag_orig#10, in frag_surrs#11, out cc_original#2[34:45,0:401], out cc_surrs#3[34:45,0:401,0:2])" -- \
    "$W" expand "$NEURONS" --param "spikes=$TMP/spikes.h5" --param num_frags=4 --checks none
expect "neurons too many fragments" 2 "cc_surrogates.xml:66:49: dimension 0 of 'frag_orig' is 0: extents must be >= 1 (in iteration frag=45)" -- \
    "$W" validate "$NEURONS" --param "spikes=$TMP/spikes.h5" --param num_frags=46 --checks inputs,expand
# the persistent variant: the loader expands into one task per block; the
# consumers validate before their producers have made anything (a run
# waits for the objects; the store given here has none of them)
STORE_LOAD="$TOP_SRCDIR/examples/neurons/cc_store_load.xml"
expect "neurons store loader expand" 0 "task 2 store_rows neurons_kernels:copy_block (in spikes#1[5:10,0:20], out nd#2[5:10,0:20])" -- \
    "$W" expand "$STORE_LOAD" --param "spikes=$TMP/spikes.h5" --param block_size=5 --checks none
expect "neurons store loader validate" 0 "cc_store_load.xml: ok" -- \
    "$W" validate "$STORE_LOAD" --param "spikes=$TMP/spikes.h5" --store "$TMP/st" --checks inputs,expand,store
for x in cc_store.xml cc_store_summary.xml; do
    expect "neurons $x validate" 0 "$x: ok" -- \
        "$W" validate "$TOP_SRCDIR/examples/neurons/$x" --store "$TMP/st" --checks inputs,expand,store
done
expect "pipeline validate" 0 "pipeline.xml: ok" -- \
    "$W" validate "$PIPE" --kernel-path "$KDIR" --run-dir "$TMP/run"
expect "pipeline expand" 0 "task 5 smooth pipeline_kernels:pipeline_smooth (in raw_0.bin#4, in raw_1.bin#5, out smoothed#7)" -- \
    "$W" expand "$PIPE" --param nblocks=3 --checks none

# constraints and implementations: what reaches the run (arch, cpus, impls)
ARCHS="$TOP_SRCDIR/examples/archs/archs.xml"
expect "archs validate" 0 "archs.xml: ok" -- \
    "$W" validate "$ARCHS" --kernel-path "$AKDIR" --resources default,mic:4
expect "archs validate, workers unknown" 0 "archs.xml: ok" -- \
    "$W" validate "$ARCHS" --kernel-path "$AKDIR"
expect "archs without mic workers" 2 "archs.xml:31:3: task 'on_mic' needs architecture 'mic' but the workers have: default,x86" -- \
    "$W" validate "$ARCHS" --kernel-path "$AKDIR" --resources default,x86:4
expect "archs too many cpus" 2 "archs.xml:26:3: task 'which' needs 8 cpus but workers have at most 4" -- \
    "$W" validate "$ARCHS" --kernel-path "$AKDIR" --resources default,mic:4 --param cpus=8
# a library nothing installs (an installed archs_kernels would be found
# in the installed kernel directory): the error names the place
sed 's/archs_kernels:/t1100_absent_kernels:/' "$ARCHS" >"$TMP/archs-absent.xml"
expect "archs kernels missing" 2 "archs-absent.xml:26:30: kernel library 't1100_absent_kernels' not found" -- \
    "$W" validate "$TMP/archs-absent.xml" --kernel-path "$KDIR"
expect "archs expand implementations" 0 "task 3 which archs_kernels:which_default impl mic=archs_kernels:which_mic (out where#1[1:2])" -- \
    "$W" expand "$ARCHS" --checks none
expect "archs expand arch constraint" 0 "task 4 on_mic archs_kernels:which_mic arch=mic (out on_mic#2[1:2])" -- \
    "$W" expand "$ARCHS" --checks none
expect "archs expand cpus" 0 "task 1 which archs_kernels:which_default cpus=2 impl mic=archs_kernels:which_mic (out where#1[0:1])" -- \
    "$W" expand "$ARCHS" --checks none --param cpus=2
expect "cpus per call" 0 "task 4 t pipeline_kernels:pipeline_stats cpus=3 (5)" -- \
    "$W" expand "$CORPUS/cpus-per-call.xml" --checks none --param k=4

# 4. 10^6 calls expand in bounded memory: the peak RSS of 10^6 calls
# exceeds that of 10^3 by less than 2 MiB (measured: about 0.15 MiB; a
# record kept per call, 8 bytes or more, would add 8 MiB or more)
maxrss() { sed -n 's/.* maxrss \([0-9]*\) KiB$/\1/p' "$TMP/out"; }
expect "thousand calls" 0 "calls 1000 arrays 1" -- \
    "$W" expand "$CORPUS/ok-million-calls.xml" --count --checks none --param n=1
small=$(maxrss)
expect "million calls" 0 "calls 1000000 arrays 1" -- \
    "$W" expand "$CORPUS/ok-million-calls.xml" --count --checks none
cat "$TMP/out"
large=$(maxrss)
if [ -z "$small" ] || [ -z "$large" ]; then
    not_ok "million calls: no maxrss in the output"
elif [ $((large - small)) -ge 2048 ]; then
    not_ok "million calls: peak RSS grew by $((large - small)) KiB from 10^3 to 10^6 calls (limit 2048)"
else
    ok
fi
expect "expansion limit" 2 "ok-million-calls.xml:15:7: the expansion exceeds the limit of 1000 steps (in iteration i=0, j=332)" -- \
    "$W" expand "$CORPUS/ok-million-calls.xml" --count --checks none --limit 1000

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
