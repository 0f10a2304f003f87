#!/bin/sh
# docs/slurm.md's first job, as a new user follows it: a fresh build
# configured with --prefix=$HOME/tessera, then every command of the
# walkthrough section, verbatim, on the emulated cluster (from `make
# install` to results, by `tessera submit` and by the installed job script
# with one variable set). The outputs the page shows appear (but for job
# ids and paths), both jobs complete, and the install layout is the one
# the page describes.
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/slurm-lib.sh"
slurm_test t2060
# A new user's environment: nothing of the build tree.
unset TESS_SCHEMA_DIR TESS_KERNEL_PATH OMPI_MCA_btl
export HOME="$SCRATCH/home"
mkdir -p "$HOME"
cd "$SCRATCH"

# The page's walkthrough: "$ " lines (and their continuation lines) are
# commands; the lines after them, up to a blank line, their output.
page="$TOP_SRCDIR/docs/slurm.md"
sed -n '/^<!-- walkthrough -->$/,/^<!-- \/walkthrough -->$/p' "$page" >walk.md
grep -q '^    \$ make install$' walk.md || fail "no walkthrough in $page"
mkdir cmds
awk '
    /^    \$ / { n++; cmd = substr($0, 7); print cmd > ("cmds/" n ".sh")
                cont = (cmd ~ /\\$/); out = 1; next }
    cont { print substr($0, 5) > ("cmds/" n ".sh"); cont = ($0 ~ /\\$/); next }
    /^    / && out { print substr($0, 5) > ("cmds/" n ".out"); next }
    { out = 0 }
' walk.md
ncmds=$(ls cmds/*.sh | wc -l)
[ "$ncmds" -ge 10 ] || fail "only $ncmds commands found in the walkthrough"

# The build the page's walkthrough starts from (as "Installing" says).
# A source tree configured in place (./configure && make && make check)
# refuses a second, out-of-tree build: build from a clean copy of it then.
src=$TOP_SRCDIR
if [ -f "$TOP_SRCDIR/config.status" ]; then
    mkdir src
    (cd "$TOP_SRCDIR" && tar cf - --exclude=./.git .) | (cd src && tar xf -)
    (cd src && make distclean >/dev/null 2>&1) ||
        fail "make distclean in the copy of $TOP_SRCDIR failed"
    src=$SCRATCH/src
fi
mkdir build
(cd build && "$src/configure" -q --prefix="$HOME/tessera" --with-slurm >config.out 2>&1 &&
    make -j2 >make.out 2>&1) || fail "build for the walkthrough failed: $(tail -20 build/*.out)"

# One shell runs the commands in order (cd and export carry over), each
# command's output kept for the comparison below.
{
    echo 'set -e'
    echo "cd '$SCRATCH/build'"
    i=1
    while [ $i -le "$ncmds" ]; do
        echo "echo '== command $i' >&2"
        printf '{\n%s\n} >"%s/cmds/%s.got" 2>&1 || { cat "%s/cmds/%s.got"; exit 1; }\n' \
            "$(cat "cmds/$i.sh")" "$SCRATCH" "$i" "$SCRATCH" "$i"
        i=$((i + 1))
    done
} >walk.sh
set +e
timeout 400 sh walk.sh >walk.log 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || fail "the walkthrough failed (exit $rc): $(tail -40 walk.log)"

# What the page shows a command prints, it prints (job ids and the example
# home directory aside).
i=1
while [ $i -le "$ncmds" ]; do
    if [ -f "cmds/$i.out" ]; then
        while IFS= read -r line; do
            case $line in *"/home/me"* | *"batch job"*) continue ;; esac
            want=$(echo "$line" | tr -s ' ')
            tr -s ' ' <"cmds/$i.got" | grep -qxF -- "$want" ||
                fail "'$(head -n 1 "cmds/$i.sh")' did not print '$line': $(cat "cmds/$i.got")"
        done <"cmds/$i.out"
    fi
    i=$((i + 1))
done

first="$HOME/first"
grep -q '^state: completed' "$first/run1/status.txt" || fail "submitted job: $(cat "$first"/run1/*)"
ls "$first/run1/slurm-"*.out >/dev/null || fail "no job output in run1"
t=$(ls -d "$first"/tessera-run.cc_surrogates.*)
grep -q '^state: completed' "$t/status.txt" || fail "template job: $(cat "$first"/tessera-*.out)"
# the two jobs computed the same thing
"${PYTHON3:-/usr/bin/python3}" "$TOP_SRCDIR/examples/neurons/cc_numpy.py" --compare \
    "$first/run1/results.h5" "$t/results.h5" || fail "the two jobs' results differ"
# the layout the page describes
share="$HOME/tessera/share/tessera"
for f in tessera.sbatch examples/neurons/cc_surrogates.xml examples/archs/archs.xml \
    examples/pipeline/pipeline.xml schemas/workflow-1.xsd; do
    [ -f "$share/$f" ] || fail "not installed: share/tessera/$f"
done
[ ! -e "$share/examples/examples" ] || fail "examples installed under examples/examples"
[ -x "$share/tessera.sbatch" ] || fail "tessera.sbatch is not executable"
echo "t2060: ok"
