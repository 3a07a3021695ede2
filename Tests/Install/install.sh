#!/usr/bin/env bash
# Atelier installed as a Unix tool: `make install` into a scratch root, then used from
# another folder with a clean environment, as a person would; `make uninstall` must
# leave the root empty. A binary with no library anywhere warns once and still runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dest="$scratch/root" home="$scratch/home" elsewhere="$scratch/elsewhere"
mkdir -p "$dest" "$home" "$elsewhere"
fail() { echo "install check failed: $*"; exit 1; }

make -C "$root" --no-print-directory install DESTDIR="$dest" PREFIX=/usr/local >/dev/null
bin="$dest/usr/local/bin/atelier"
run() { (cd "$elsewhere" && env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"); }

out=$(run "$bin" -e 'print(len(params(lenet5())))' 2>&1) || fail "the installed binary failed: $out"
[ "$out" = "10" ] || fail "lenet5() from the installed library: $out"
version=$(run "$bin" --version) || fail "--version failed"
grep -q '^atelier [0-9]' <<<"$version" || fail "--version printed: $version"
grep -q '^gnuplot: [0-9]' <<<"$version" || fail "--version does not name gnuplot's version: $version"
grep -q "^stdlib: $dest/usr/local/share/atelier/stdlib" <<<"$version" || fail "--version's stdlib: $version"
doctor=$(run "$bin" doctor) || fail "atelier doctor failed: $doctor"
grep -q 'Atelier is ready' <<<"$doctor" || fail "doctor: $doctor"

# bash completes the subcommands from the installed script.
completion="$dest/usr/local/share/bash-completion/completions/atelier"
words=$(cd "$elsewhere" && env -i HOME="$home" PATH="$dest/usr/local/bin:/usr/bin:/bin" TERM=dumb bash --norc -i -c "
  source '$completion'
  COMP_WORDS=(atelier r); COMP_CWORD=1; COMP_LINE='atelier r'; COMP_POINT=9
  _atelier atelier r atelier 2>/dev/null
  printf '%s\n' \"\${COMPREPLY[@]}\"" 2>/dev/null | sort | tr '\n' ' ')
[ "$words" = "repl run " ] || fail "bash completes 'atelier r' to: '$words'"

# Each page renders, and says what it is for (read whole: grep -q closing a pipe early
# would fail the pipeline).
rendered() { MANWIDTH=80 man -l "$dest/usr/local/share/man/$1" 2>/dev/null | col -b; }
commands=$(rendered man1/atelier.1) || fail "man -l atelier.1"
grep -q 'doctor' <<<"$commands" || fail "atelier.1 does not describe doctor"
grep -q 'kernel' <<<"$commands" || fail "atelier.1 does not describe kernel"
language=$(rendered man7/atelier-language.7) || fail "man -l atelier-language.7"
grep -q 'tsne' <<<"$language" || fail "atelier-language.7 does not describe tsne"

make -C "$root" --no-print-directory uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null
left=$(cd "$dest" && find . -mindepth 1)
[ -z "$left" ] || fail "make uninstall left: $left"

# A lone binary: no library beside it, above it or in ATELIER_STDLIB.
mkdir -p "$scratch/lone/bin"
cp "$root/.build/release/atelier" "$scratch/lone/bin/atelier"
lone_out=$(run "$scratch/lone/bin/atelier" -e 'print(1 + 1)' 2>"$scratch/lone.err") || fail "the lone binary failed"
[ "$lone_out" = "2" ] || fail "the lone binary printed: $lone_out"
[ "$(grep -c 'standard library (prelude.atl) was not found' "$scratch/lone.err")" = 1 ] ||
  fail "the missing library is not said exactly once: $(cat "$scratch/lone.err")"
grep -q "$scratch/lone/share/atelier/stdlib" "$scratch/lone.err" || fail "the warning does not list the folders tried"
echo "install check passed: installed, used from elsewhere, completed, man pages rendered, uninstalled to nothing"
