#!/usr/bin/env bash
# Starts FerretDB (SQLite backend) on 127.0.0.1 in the background for tests and CI.
# Usage: start-ferretdb.sh DATA_DIR [PORT]   (default port 27117)
# Prints `MONGODB_URI=...` on success and writes the server's pid to DATA_DIR/ferretdb.pid.
set -euo pipefail
data="${1:?usage: start-ferretdb.sh DATA_DIR [PORT]}"
port="${2:-27117}"
bin="$("$(dirname "$0")/build-ferretdb.sh")"
mkdir -p "$data"
"$bin" -listen "127.0.0.1:$port" -data "$data/db" >"$data/ferretdb.log" 2>&1 &
echo $! >"$data/ferretdb.pid"
for _ in $(seq 1 180); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "MONGODB_URI=mongodb://127.0.0.1:$port/"
    exit 0
  fi
  if ! kill -0 "$(cat "$data/ferretdb.pid")" 2>/dev/null; then
    echo "start-ferretdb: server exited; its log:" >&2
    cat "$data/ferretdb.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "start-ferretdb: not listening on port $port after 90 s" >&2
exit 1
