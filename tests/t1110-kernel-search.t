#!/bin/sh
# Kernel libraries: the search order (--kernel-path, TESS_KERNEL_PATH, the
# workflow's directory, the installed kernel directory; NAME.so, libNAME.so,
# and both under .libs/), what `tessera validate --verbose` prints (the file
# and symbol of every kernel), the not-found message listing the
# directories in order, and that validation loads libraries (their
# constructors run). Hermetic: every library found is a copy in a scratch
# directory, and the not-found case names a library nothing installs.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
S=$SCRATCH
unset TESS_KERNEL_PATH
AK="$TOP_BUILDDIR/examples/archs/.libs/archs_kernels.so"
[ -f "$AK" ] || fail "$AK is missing: build it first (make check does)"
mkdir "$S/kp" "$S/env" "$S/wf" "$S/lib" "$S/lib/.libs"
cp "$TOP_SRCDIR/examples/archs/archs.xml" "$S/wf/"
for d in kp env wf; do cp "$AK" "$S/$d/"; done
WF="$S/wf/archs.xml"

# --kernel-path first, for the task's kernel and its implementations
expect_exit 0 env TESS_KERNEL_PATH="$S/env" "$TESSERA" validate "$WF" \
    --kernel-path "$S/kp" --verbose
expect_text "task 'which': kernel archs_kernels:which_default: symbol which_default in $S/kp/archs_kernels.so"
expect_text "task 'which', implementation for 'mic': kernel archs_kernels:which_mic: symbol which_mic in $S/kp/archs_kernels.so"
expect_text "task 'on_mic': kernel archs_kernels:which_mic: symbol which_mic in $S/kp/archs_kernels.so"
expect_text "archs.xml: valid workflow 'archs'"
# then TESS_KERNEL_PATH
expect_exit 0 env TESS_KERNEL_PATH="$S/env" "$TESSERA" validate "$WF" -v
expect_text "symbol which_default in $S/env/archs_kernels.so"
# then the workflow's directory: a library beside a copied workflow
# shadows the installed one
expect_exit 0 "$TESSERA" validate "$WF" -v
expect_text "symbol which_default in $S/wf/archs_kernels.so"
# libNAME.so, under .libs/ (a libtool build directory)
cp "$AK" "$S/lib/.libs/libarchs_kernels.so"
expect_exit 0 "$TESSERA" validate "$WF" -v --kernel-path "$S/lib"
expect_text "symbol which_default in $S/lib/.libs/libarchs_kernels.so"
# without --verbose: no kernel lines
expect_exit 0 "$TESSERA" validate "$WF"
case "$OUT" in *"symbol which_default"*) fail "kernels printed without --verbose: $OUT" ;; esac

# not found: the place, and the directories in search order
sed 's/archs_kernels:/t1110_absent_kernels:/' "$WF" >"$S/wf/absent.xml"
expect_exit 2 env TESS_KERNEL_PATH="$S/env" "$TESSERA" validate \
    "$S/wf/absent.xml" --kernel-path "$S/kp"
expect_text "absent.xml:26:30: kernel library 't1110_absent_kernels' not found (looked for t1110_absent_kernels.so and libt1110_absent_kernels.so, also under .libs/, in $S/kp:$S/env:$S/wf:"

# validation loads the libraries: their constructors run
expect_exit 0 env TESS_TEST_LOADED="$S/loaded" "$TESSERA" validate \
    "$TOP_SRCDIR/tests/wfrun/naps.xml" --kernel-path "$TOP_BUILDDIR/tests/prog"
[ "$(cat "$S/loaded" 2>/dev/null)" = "test_kernels loaded" ] ||
    fail "validate did not load test_kernels (constructor output: $(cat "$S/loaded" 2>/dev/null))"
echo "t1110: ok"
