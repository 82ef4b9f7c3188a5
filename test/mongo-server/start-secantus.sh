#!/usr/bin/env bash
# Starts SecantusDB (a MongoDB-wire server on WiredTiger, from PyPI) on 127.0.0.1 in the
# background, for tests, CI, benchmarks and the local no-download fallback.
# Usage: start-secantus.sh DATA_DIR [PORT] [--memory]   (default port 27117)
# Prints `MONGODB_URI=...` on stdout once it answers; writes its pid to DATA_DIR/secantus.pid
# and its log to DATA_DIR/secantus.log. Stop it with stop-secantus.sh DATA_DIR.
# The venv is cached under ${XDG_CACHE_HOME:-~/.cache}/customdata-desk/, keyed by the pins' hash.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:?usage: start-secantus.sh DATA_DIR [PORT] [--memory]}"
port="${2:-27117}"
storage="$data/db"
[ "${3:-}" = "--memory" ] && storage=":memory:"

venv="$(bash "$here/secantus-venv.sh")"
mkdir -p "$data"
[ "$storage" = ":memory:" ] || mkdir -p "$storage"
"$venv/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path "$storage" \
  --log-level WARNING --cache-size 256M >"$data/secantus.log" 2>&1 &
echo $! >"$data/secantus.pid"
for _ in $(seq 1 120); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "MONGODB_URI=mongodb://127.0.0.1:$port/?directConnection=true"
    exit 0
  fi
  if ! kill -0 "$(cat "$data/secantus.pid")" 2>/dev/null; then
    echo "start-secantus: the server exited; its log:" >&2
    cat "$data/secantus.log" >&2
    exit 1
  fi
  sleep 0.25
done
echo "start-secantus: not listening on 127.0.0.1:$port after 30 s; log in $data/secantus.log" >&2
bash "$here/stop-secantus.sh" "$data" >&2 || true
exit 1
