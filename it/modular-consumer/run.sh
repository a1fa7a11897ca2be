#!/usr/bin/env bash
# Builds linux-aio (BOM, aio-core, aio-netty) into a private local repository, then builds this consumer
# against it and runs it on the module path and on the class path (mvn verify here).
#   it/modular-consumer/run.sh [local repository, default: $TMPDIR/linux-aio-consumer-m2]
# Needs a JDK 22+ as JAVA_HOME. Exits non-zero if a run fails or the JVM warns about native access.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
repo="${1:-${TMPDIR:-/tmp}/linux-aio-consumer-m2}"
mvn=(mvn -B -ntp -Dmaven.repo.local="$repo")
if [ ! -d "$repo" ] && [ -d "$HOME/.m2/repository" ]; then
  # a copy of the user's repository saves the downloads; linux-aio itself always comes from this build
  cp -r "$HOME/.m2/repository" "$repo"
  rm -rf "$repo/io/linuxaio"
fi

"${mvn[@]}" -q -f "$root/pom.xml" -pl linux-aio-bom,aio-core,aio-netty -am -DskipTests install
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"${mvn[@]}" -f "$here/pom.xml" clean verify 2>&1 | tee "$out"
if grep -E "restricted method|enable-native-access|Exception in thread" "$out" | grep -v "^\[INFO\]"; then
  echo "modular-consumer: the JVM warned or failed (above)" >&2
  exit 1
fi
[ "$(grep -c '^modular-consumer: ok' "$out")" -eq 2 ] || { echo "modular-consumer: a run did not finish" >&2; exit 1; }
echo "modular-consumer: module path and class path both ok"
