#!/usr/bin/env bash
# Stops a SecantusDB started by start-secantus.sh: SIGTERM by pid, then SIGKILL after ~10 s
# (a server stuck in a catastrophic $regex ignores SIGTERM). Usage: stop-secantus.sh DATA_DIR
set -uo pipefail
pidfile="${1:?usage: stop-secantus.sh DATA_DIR}/secantus.pid"
[ -f "$pidfile" ] || exit 0
pid="$(cat "$pidfile")"
kill -TERM "$pid" 2>/dev/null || { rm -f "$pidfile"; exit 0; }
for _ in $(seq 1 40); do
  kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; exit 0; }
  sleep 0.25
done
echo "stop-secantus: pid $pid ignored SIGTERM for 10 s; sending SIGKILL" >&2
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pidfile"
