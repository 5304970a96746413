#!/usr/bin/env bash
# Checks that Java 17+ is on PATH (Spark 4 needs it) and says how to install it when not.
set -u
how() {
  cat >&2 <<'TXT'
Spark 4 needs Java 17 or newer. Install one, then run the command again:
  Debian/Ubuntu:  sudo apt-get install -y openjdk-17-jre-headless
  Fedora/RHEL:    sudo dnf install -y java-17-openjdk-headless
  macOS:          brew install openjdk@17
or point JAVA_HOME at an existing JDK 17+.
TXT
}
java_bin=java
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_bin="$JAVA_HOME/bin/java"
if ! command -v "$java_bin" >/dev/null 2>&1; then
  echo "Java was not found." >&2; how; exit 3
fi
ver=$("$java_bin" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ -z "$ver" ] || [ "$ver" -lt 17 ]; then
  echo "Java $ver was found; Spark 4 needs 17 or newer." >&2; how; exit 3
fi
echo "java $ver: ok"
