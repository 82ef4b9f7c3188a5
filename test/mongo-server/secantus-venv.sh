#!/usr/bin/env bash
# Prints the path of a venv with SecantusDB and its pinned dependencies, creating it once.
# Cached under ${XDG_CACHE_HOME:-~/.cache}/customdata-desk/secantus-<hash of the pins>.
# Needs python3 >= 3.10 with venv. Progress goes to stderr; stdout is the path alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
req="$here/requirements-secantus.txt"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "secantus-venv: needs python3 >= 3.10 with the venv module (found: $("$py" --version 2>&1 || echo none))" >&2
  exit 3
fi
hash="$(sha256sum "$req" | cut -c1-16)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/customdata-desk/secantus-$hash"
# The marker is written last, so an install cut short is redone, not half-used; the lock keeps
# two starts at once (a test run and a benchmark) from installing over each other.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ ! -f "$venv/.complete" ]; then
  echo "secantus-venv: installing SecantusDB into $venv (once, ~15 s)" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
