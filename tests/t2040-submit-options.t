#!/bin/sh
# `tessera submit --help` and the man page list the options the code
# accepts, no more and no fewer: the option table of launcher/submit_opts.c
# against the help's synopsis and option list, and the man page's submit
# synopsis and SUBMIT OPTIONS section. Each accepted option is then
# recognised by the parser (not "unknown option").
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
scratch
cd "$SCRATCH"

# opts: the option names (-x, --xxx) in stdin, sorted, one per line
opts() { grep -o -- '--*[a-z][a-z-]*' | sed 's/-$//' | sort -u; }

# the code: the entries of submit_opt_table
sed -n '/submit_opt_table\[\] = {/,/^};/p' "$TOP_SRCDIR/launcher/submit_opts.c" |
    grep -o '{"-[^"]*"' | tr -d '{"' | sort -u >code
[ "$(wc -l <code)" -ge 15 ] || fail "option table not found: $(cat code)"

expect_exit 0 "$TESSERA" submit --help
# submit's own part; the options of every command (launcher/logopts.h)
# follow it
echo "$OUT" | sed '/^options of every command:/,$d' >help.txt
echo "$OUT" | grep -q '^  -q, --quiet' || fail "submit --help lacks the options of every command"
# the synopsis: from "usage:" to the first line that does not continue it
awk 'NR == 1 || /^ +\[/' help.txt | sed 's/^usage: tessera submit WORKFLOW.xml//' | opts >help-synopsis
# the option list: the first 23 columns of the lines starting "  -"
grep '^  -' help.txt | cut -c1-23 | opts >help-list

man="$TOP_SRCDIR/docs/tessera.1"
# the man page's submit synopsis: from ".B tessera submit" to ".br"
sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$man" | sed -n '/^\.B tessera submit$/,/^\.br$/p' |
    sed 's/\\-/-/g' | opts >man-synopsis
# SUBMIT OPTIONS: the line after each .TP
sed -n '/^\.SH SUBMIT OPTIONS/,/^\.SH /p' "$man" | sed 's/\\-/-/g' |
    awk 'prev == ".TP" { print } { prev = $0 }' | opts >man-list

for f in help-synopsis help-list man-synopsis man-list; do
    diff -u code "$f" >"$f.diff" ||
        fail "$f differs from the options of the code (- code, + $f): $(cat "$f.diff")"
done

# every option of the table is known to the parser (a value follows)
for o in $(cat code); do
    set +e
    out=$("$TESSERA" submit nowhere.xml "$o" 1 2>&1)
    set -e
    case $out in
    *"unknown option"*) fail "$o is in the table but refused: $out" ;;
    esac
done
expect_exit 2 "$TESSERA" submit nowhere.xml --nodes 1 --time 5 --bogus
expect_text "unknown option '--bogus'"
echo "t2040: ok"
