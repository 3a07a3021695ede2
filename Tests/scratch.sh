# Sourced by the shell tests: `check_with NAME path/to/atelier` sets $atelier, $root (the
# source tree) and $scratch (removed on exit), and `fail` ends the test saying NAME failed.
# `notebook_copy FILE DEST` copies a test notebook, its ../Fixtures pointing at the tree's.
check_with() {
  check_name=$1
  atelier=$(realpath "${2:-.build/release/atelier}")
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
}
fail() { echo "$check_name check failed: $*"; exit 1; }
notebook_copy() { sed "s|\"../Fixtures\"|\"$root/Tests/Fixtures\"|" "$1" >"$2"; }
