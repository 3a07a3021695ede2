#!/usr/bin/env bash
# Atelier as Jupyter sees it: real clients (jupyter_client, nbclient, nbformat) from PyPI
# in a git-ignored virtual environment, made once and kept while the requirements stay
# the same. Usage: Tests/Jupyter/jupyter.sh path/to/atelier
set -euo pipefail
atelier=$(realpath "${1:-.build/release/atelier}")
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.jupyter-venv"
requirements="$root/Tests/Jupyter/requirements.txt"
cd "$root"

if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  echo "making $venv (jupyter_client, nbclient, nbformat, nbconvert from PyPI)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

"$atelier" kernel install --prefix "$venv" >/dev/null
specs=$("$venv/bin/jupyter" kernelspec list 2>/dev/null)
grep -q '^ *atelier ' <<<"$specs" || {
  echo "jupyter kernelspec list does not show the installed Atelier kernel"; exit 1; }
# The clients must not find the kernel any other way than through the spec just installed.
JUPYTER_PATH="$venv/share/jupyter" "$venv/bin/python" -u "$root/Tests/Jupyter/test_kernel.py" "$atelier"
