#!/usr/bin/env bash
# The prompt as a person sees it: drives the REPL in a 160×50 tmux window and checks
# the screen. Usage: Tests/Scenarios/prompt.sh path/to/atelier
set -euo pipefail
atelier=$(realpath "${1:-.build/release/atelier}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
socket="atelier-scenario-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"

start() {
  tmux -L "$socket" new-session -d -s prompt -x 160 -y 50 \
    "env -i HOME=$work PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 $atelier"
  wait_for 'atelier>\s*$'
}
screen() { tmux -L "$socket" capture-pane -t prompt -p -e; }
# Waits (up to 120 s) until the last non-empty line of the screen matches a pattern.
wait_for() {
  for _ in $(seq 1200); do
    if tmux -L "$socket" capture-pane -t prompt -p | grep -v '^\s*$' | tail -1 | grep -Eq "$1"; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for /$1/; the screen:"; tmux -L "$socket" capture-pane -t prompt -p; exit 1
}
# Types an entry, waits for the next prompt, and saves the screen for checking.
entry() {
  tmux -L "$socket" send-keys -t prompt C-l
  tmux -L "$socket" send-keys -t prompt -l "$1"
  tmux -L "$socket" send-keys -t prompt Enter
  wait_for "${2:-atelier>\s*$}"
  screen > "$work/screen.txt"
}
# With $SCENARIO_SCREENS set, each checked screen is kept there (NAME.txt, with colours).
check() {
  if [ -n "${SCENARIO_SCREENS:-}" ]; then cp "$work/screen.txt" "$SCENARIO_SCREENS/$1.txt"; fi
  python3 "$root/Tests/Scenarios/check_screen.py" "$1" "$work/screen.txt"
}

# Entries piped in are numbered as lines of the whole input.
piped=$(printf 'x = 1\n\ny = [1,\n  q]\n' | "$atelier" 2>&1 || true)
if ! grep -q '^<stdin>:4:3: error' <<<"$piped"; then echo "a piped error names the wrong line: $piped"; exit 1; fi

start
entry 'd = idx("Tests/Fixtures", classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])'
entry 'plot d.test[0:8]'
check images
tmux -L "$socket" send-keys -t prompt 'net = model {' Enter 'conv 6, 5, pad: 2; relu; maxpool 2' Enter 'flatten; dense 10' Enter '}' Enter
wait_for 'atelier>\s*$'
entry 'h1 = fit(net, d.train, epochs: 2, val: d.test)'
check first-fit
entry 'plot(tsne(features(net, d.train, at: "flatten1")))'
check scatter
entry 'plot(filters(net, "conv1"))'
check filters
entry 'plot(misclassified(net, d.test, n: 6))'
check misclassified
entry 'h2 = fit(net, d.train, epochs: 1, val: d.test)'
check continued-fit
entry 'plot([h1, h2])'
check histories
# The last entry before leaving spans lines; after a restart one Up brings it back whole.
tmux -L "$socket" send-keys -t prompt 'small = model {' Enter 'conv 6, 5, pad: 2; relu; maxpool 2' Enter 'flatten; dense 10' Enter '}' Enter
wait_for 'atelier>\s*$'
tmux -L "$socket" send-keys -t prompt ':quit' Enter
sleep 1
tmux -L "$socket" kill-server 2>/dev/null || true
start
tmux -L "$socket" send-keys -t prompt Up
sleep 0.5
screen > "$work/screen.txt"
check recalled
echo "prompt scenario: every screen as expected"
