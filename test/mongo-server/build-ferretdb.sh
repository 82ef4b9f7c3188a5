#!/usr/bin/env bash
# Builds the FerretDB v1 (SQLite backend) wrapper in ./ferretdb with the machine's Go
# and prints the binary's path. The binary is cached under ~/.cache keyed by the
# module's sources, so only the first build on a machine pays the few minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")/ferretdb" && pwd)"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/customdata-desk"
bin="$cache/ferretdb-sqlite-$key"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "build-ferretdb: Go is required (https://go.dev/dl/)" >&2; exit 1; }
  mkdir -p "$cache"
  echo "build-ferretdb: building FerretDB v1.24.2 wrapper (first time: a few minutes)..." >&2
  (cd "$here" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
