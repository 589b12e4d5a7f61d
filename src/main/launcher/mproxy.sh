#!/bin/sh
# mproxy: runs mproxy.jar (next to this script, or MPROXY_JAR) with JVM options for a small network daemon.
#
#   MPROXY_JAVA_OPTS  replaces the default JVM options below (heap, direct memory for Netty's buffers, the
#                     serial collector for a process that mostly waits, exit rather than limp on when memory
#                     runs out, so that systemd restarts it, and give freed native memory back to the system every
#                     5 s: the JIT's scratch memory after a burst of compiling, about 20 MiB of the gateway's RSS
#                     after iperf3 through its tunnel; JDK 17.0.9 and later, ignored by older ones), and compile
#                     with C2 alone: no C1 and none of its profiled code, 15-20 MiB less RSS in each process at
#                     the same speed once warm (bench/README.md, "Third pass"); the first seconds run interpreted
#                     longer, with a longer tail
#   MALLOC_ARENA_MAX  glibc's malloc arenas (default 2 here, glibc's own is 8 per core): fewer half-empty arenas
#                     kept by the event loops' and the JIT's threads
#   JAVA_HOME, JAVA   which java to run (default: $JAVA_HOME/bin/java, else java on the PATH)
#   MPROXY_JAR        the jar to run
set -e
here=$(cd "$(dirname "$0")" && pwd)
jar=${MPROXY_JAR:-$here/mproxy.jar}
if [ ! -f "$jar" ] && [ -f "$here/../lib/mproxy/mproxy.jar" ]; then
    jar=$here/../lib/mproxy/mproxy.jar
fi
if [ -z "$JAVA" ]; then
    if [ -n "$JAVA_HOME" ]; then JAVA=$JAVA_HOME/bin/java; else JAVA=java; fi
fi
: "${MPROXY_JAVA_OPTS=-Xms16m -Xmx128m -XX:MaxDirectMemorySize=128m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -XX:+IgnoreUnrecognizedVMOptions -XX:TrimNativeHeapInterval=5000 -XX:-TieredCompilation}"
: "${MALLOC_ARENA_MAX=2}"
export MALLOC_ARENA_MAX
# $MPROXY_JAVA_OPTS is split on spaces on purpose: it holds several options
# shellcheck disable=SC2086
exec "$JAVA" $MPROXY_JAVA_OPTS -Dmproxy.launcher="$0" -jar "$jar" "$@"
