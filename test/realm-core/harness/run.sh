#!/usr/bin/env bash
# Runs the Realm Core App-client harness: run.sh BASE_URL APP_ID [--timeout-ms=N] [--http-timeout-ms=N]
#   [--base-path=DIR] [--metadata=plaintext|disabled] [--core-log=LEVEL]
# Commands on stdin (one JSON per line), one JSON answer per line on stdout; see ../README.md.
# Builds first (output on stderr) when target/ is missing; needs Java 17 and Maven 3.8.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -f "$here/target/classpath.txt" ] || [ ! -f "$here/target/native/librealmc.so" ] \
  || [ ! -f "$here/target/classes/harness/Harness.class" ]; then
  (cd "$here" && mvn -q -B package) >&2
fi
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.library.path="$here/target/native" \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" harness.Harness "$@"
