#!/usr/bin/env bash
# The replay cache as a person meets it: a notebook that trains two nets, runs a t-SNE of
# each and plots, replayed again (nothing expensive runs), with one title edited (only that
# plot runs), with the second net's epochs changed (only what depends on it runs), with a
# damaged entry (reported, recomputed), under a small size limit, and twice at once.
# Usage: Tests/Cache/cache.sh path/to/atelier
set -euo pipefail
source "$(dirname "$0")/../scratch.sh"
check_with cache "${1:-}"
notebook="$scratch/two_nets.atl"
notebook_copy "$root/Tests/Cache/two_nets.atl" "$notebook"
export ATELIER_CACHE="$scratch/cache"
replay() { # name: replays into out/, report name.md, seconds in name.time
  local start end
  start=$(date +%s.%N)
  "$atelier" run "$notebook" --out "$scratch/out" --report "$scratch/$1.md" >"$scratch/$1.out" 2>&1 ||
    fail "replay $1: $(cat "$scratch/$1.out")"
  end=$(date +%s.%N)
  echo "$end - $start" | bc >"$scratch/$1.time"
}
# The report without timings (an epoch line's wall time) and cache markers.
plain() { grep -v -e '^\*(cached' -e '^Replayed with' "$scratch/$1.md" | sed -E 's/  [0-9]+(\.[0-9]+)?s$//' | cat -s; }
# The statements a replay restored (the line above each marker is the statement's last).
restored() { grep -B3 '^\*(cached: [0-9.]* s saved)' "$scratch/$1.md" | grep -v -e '^\*(cached' -e '^```' -e '^--' -e '^$'; }
check_line() { grep 'check' "$scratch/$1.out"; }

# Every statement counts as expensive here, so that plots are cached too.
export ATELIER_CACHE_MIN_SECONDS=0
replay first
replay second
for statement in "h1 = fit" "h2 = fit" "e1 = tsne" "e2 = tsne" "plot(e1" "plot(e2" "plot(\[h1"; do
  grep -q "^$statement" <<<"$(restored second)" || fail "the second replay ran '$statement' again"
done
ratio=$(echo "$(cat "$scratch/second.time") / $(cat "$scratch/first.time")" | bc -l)
[ "$(echo "$ratio < 0.05" | bc)" = 1 ] || fail "the cached replay took $ratio of the first's time"
diff <(plain first) <(plain second) >/dev/null || fail "the reports differ: $(diff <(plain first) <(plain second))"
[ "$(check_line first)" = "$(check_line second)" ] ||
  fail "restored models evaluate or train on differently: $(check_line first) / $(check_line second)"
cp "$scratch/out/02-second-net.png" "$scratch/second-net.png"
cp "$scratch/out/03-histories.png" "$scratch/histories.png"

# An edited title: only that plot runs, and its figure changes.
sed -i 's/title: "second net"/title: "second net, edited"/' "$notebook"
replay title
[ "$(grep -c '^\*(cached: [0-9.]* s saved)' "$scratch/title.md")" = 8 ] || fail "after a title edit: $(restored title)"
grep -q '^plot(e2' <<<"$(restored title)" && fail "the edited plot did not run"
cmp -s "$scratch/out/02-second-net-edited.png" "$scratch/second-net.png" && fail "the edited figure did not change"
cmp -s "$scratch/out/03-histories.png" "$scratch/histories.png" || fail "an unedited figure changed"

# The second net's epochs: its fit, t-SNE and plots run; the first net's stay cached.
sed -i 's/epochs: 20/epochs: 21/' "$notebook"
replay epochs
for statement in "h1 = fit" "e1 = tsne" "plot(e1" "first = model" "second = model"; do
  grep -q "^$statement" <<<"$(restored epochs)" || fail "'$statement' ran again after the second net changed"
done
for statement in "h2 = fit" "e2 = tsne" "plot(e2" "plot(\[h1"; do
  grep -q "^$statement" <<<"$(restored epochs)" && fail "'$statement' was restored though the second net changed"
done

# A damaged entry is reported, removed and computed again, with the same result.
entry=$(ls -S "$ATELIER_CACHE"/*.entry | head -1)
truncate -s 1000 "$entry"
replay damaged
grep -q 'is damaged; it is removed and the statement runs' "$scratch/damaged.out" || fail "the damage is not reported"
[ "$(check_line damaged)" = "$(check_line epochs)" ] || fail "the recomputed replay differs"
replay again
[ "$(grep -c 'is damaged' "$scratch/again.out")" = 0 ] || fail "the damaged entry was not replaced"

# Two replays at once share the cache without harm.
rm -rf "$ATELIER_CACHE"
( "$atelier" run "$notebook" --out "$scratch/a" >"$scratch/a.out" 2>&1 ) &
( "$atelier" run "$notebook" --out "$scratch/b" >"$scratch/b.out" 2>&1 ) &
wait
replay after
[ "$(check_line after)" = "$(check_line epochs)" ] || fail "after two replays at once: $(check_line after)"
grep -q 'damaged' "$scratch/after.out" && fail "two replays at once damaged an entry"

# A size limit: the least recently used entries go.
"$atelier" run "$notebook" --out "$scratch/out" --cache-size 300K >/dev/null 2>&1 || fail "--cache-size"
size=$(du -sb --exclude=.gitignore "$ATELIER_CACHE" | cut -f1)
[ "$size" -le $((300 * 1024 + 4096)) ] || fail "the cache holds $size bytes over a 300K limit"
# --no-cache runs everything and leaves the cache alone.
before=$(ls "$ATELIER_CACHE")
"$atelier" run "$notebook" --out "$scratch/out" --no-cache >"$scratch/none.out" 2>&1 || fail "--no-cache"
grep -q '(cached' "$scratch/none.out" && fail "--no-cache restored something"
[ "$(ls "$ATELIER_CACHE")" = "$before" ] || fail "--no-cache changed the cache"
echo "cache check passed: second replay $(printf %.1f "$(echo "$ratio * 100" | bc -l)")% of the first's time, a title edit re-ran one plot, a changed net re-ran what reads it"
