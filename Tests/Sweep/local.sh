#!/usr/bin/env bash
# Local sweeps: Ctrl-C stops the runs and keeps the finished ones, a second sweep goes on
# without running them again, and a changed notebook is refused unless allowed.
# Usage: Tests/Sweep/local.sh path/to/atelier
set -euo pipefail
source "$(dirname "$0")/../scratch.sh"
check_with "local sweep" "${1:-}"
mkdir -p "$scratch/nb"
notebook_copy "$root/Tests/Sweep/tiny.atl" "$scratch/nb/tiny.atl"
grid=(--grid lr=0.02,0.1,0.3 --grid width=8,32 --set pause=1 --jobs 2 --out "$scratch/sweep")

# Ctrl-C (to the whole process group, as a terminal sends it) after the first runs.
setsid "$atelier" sweep "$scratch/nb/tiny.atl" "${grid[@]}" >"$scratch/first.out" 2>&1 &
pid=$!
for _ in $(seq 200); do
  [ "$(ls "$scratch"/sweep/tasks/*/result.json 2>/dev/null | wc -l)" -ge 2 ] && break
  sleep 0.1
done
kill -INT -- "-$pid"
status=0
wait "$pid" || status=$?
[ "$status" -ne 0 ] || fail "an interrupted sweep exits 0"
grep -q 'sweep interrupted: [0-9]* of 6 runs finished and kept' "$scratch/first.out" ||
  fail "the interrupt is not reported: $(cat "$scratch/first.out")"
kept=$(ls "$scratch"/sweep/tasks/*/result.json | wc -l)
[ "$kept" -ge 2 ] && [ "$kept" -lt 6 ] || fail "$kept results after the interrupt"
stamps=$(stat -c '%n %Y.%y' "$scratch"/sweep/tasks/*/result.json)

# Going on: only the runs without a result run.
"$atelier" sweep "$scratch/nb/tiny.atl" "${grid[@]}" >"$scratch/second.out" 2>&1 ||
  fail "the second sweep failed: $(cat "$scratch/second.out")"
grep -q "sweep: $kept of 6 runs already done" "$scratch/second.out" || fail "not resumed: $(cat "$scratch/second.out")"
[ "$(grep -c 'done in' "$scratch/second.out")" -eq $((6 - kept)) ] || fail "finished runs ran again"
[ "$(stat -c '%n %Y.%y' $(cut -d' ' -f1 <<<"$stamps"))" = "$stamps" ] || fail "a kept result was rewritten"
grep -q 'sweep: 6 of 6 runs finished' "$scratch/second.out" || fail "the sweep did not finish"

# A changed notebook is refused; allowed, it keeps the results and runs nothing.
echo "# changed" >>"$scratch/nb/tiny.atl"
if "$atelier" sweep "$scratch/nb/tiny.atl" "${grid[@]}" >"$scratch/third.out" 2>&1; then fail "a changed notebook ran"; fi
grep -q 'changed since the results' "$scratch/third.out" || fail "the refusal: $(cat "$scratch/third.out")"
"$atelier" sweep "$scratch/nb/tiny.atl" "${grid[@]}" --allow-changed >"$scratch/fourth.out" 2>&1 ||
  fail "--allow-changed failed: $(cat "$scratch/fourth.out")"
grep -q 'sweep: 6 of 6 runs already done' "$scratch/fourth.out" || fail "--allow-changed: $(cat "$scratch/fourth.out")"
grep -q '6 of 6 runs finished (6 by an earlier version of the notebook)' "$scratch/fourth.out" ||
  fail "kept results of the earlier notebook are not said: $(cat "$scratch/fourth.out")"
# Still mixed: without --allow-changed the next sweep refuses again.
if "$atelier" sweep "$scratch/nb/tiny.atl" "${grid[@]}" >"$scratch/fifth.out" 2>&1; then fail "mixed results were taken"; fi
echo "local sweep check passed: interrupted with $kept of 6 kept, resumed without re-running them, a changed notebook refused"

# Study E's full path (each variant its own run, nets and histories loaded back), on its quick data.
study=$(cd "$scratch" && "$atelier" run "$root/notebooks/mlp_cnn_sweeps.atl" --set quick=true --set sweep=true \
  --out "$scratch/study-e" 2>&1) || fail "Study E through sweep: $study"
grep -q 'sweep: 12 of 12 runs finished' <<<"$study" || fail "Study E's MLP sweep: $study"
grep -q 'sweep: 8 of 8 runs finished' <<<"$study" || fail "Study E's CNN sweep: $study"
[ -f "$scratch/study-e/sweep-cnns/tasks/6/net-best.atlm" ] || fail "the 3-block CNN's best checkpoint is missing"
echo "Study E's sweeps ran: 12 MLPs and 8 CNNs as separate runs, loaded back into the notebook"
