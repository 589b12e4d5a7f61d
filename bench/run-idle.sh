#!/usr/bin/env bash
# The idle cost of devices and streams on the gateway (bench/IdleCost.java): the gateway runs as its own process
# through the launcher (target/mproxy) with the launcher's default JVM options, the way users run it; simulated
# devices connect over TLS in steps, then idle public TCP connections; after each step the gateway's RSS, live
# heap after a full GC, direct memory, threads and descriptors, then the cost per device and per stream and the
# classes that grew most per unit.
#
#   bench/run-idle.sh             devices 0, 1000, 5000, 10000, then streams 0, 10000, 50000, 100000 over them
#                                 (cut where the open file limit stops it; a few minutes)
#   bench/run-idle.sh --quick     devices 0, 100, 500, then streams 0, 1000, 5000 (under a minute)
#   bench/run-idle.sh --help      all options (passed on to IdleCost.java)
#
# The open file limit (ulimit -n) is raised to its hard limit first: each device and each stream holds one
# descriptor in the gateway and one in this benchmark. MPROXY_JAVA_OPTS replaces the gateway's JVM options (as
# it does for the launcher); BENCH_JAVA_OPTS the benchmark's own (default -Xmx2g: it holds the clients).
# MPROXY_JAR measures another jar (nothing is built then). Output also goes to bench/results/idle-<date>.txt
# (-quick / -custom; never overwritten). Needs a JDK 17 with jcmd.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

MODE=full
for arg in "$@"; do
    case $arg in
        --help|-h) exec java -cp target/mproxy.jar bench/IdleCost.java --help ;;
        --quick) [[ $MODE == full ]] && MODE=quick ;;
        *) MODE=custom ;;
    esac
done
[[ $MODE == quick && $# -gt 1 ]] && MODE=custom

use_jar
command -v jcmd >/dev/null || die "jcmd not found (it comes with the JDK: openjdk-17-jdk-headless)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

results_to idle
start_work idle
read -r -a BENCH_JVM <<<"${BENCH_JAVA_OPTS:--Xmx2g}"
cmd=(java "${BENCH_JVM[@]}" -Dio.netty.leakDetection.level=disabled -cp "$JAR" bench/IdleCost.java
    --launcher target/mproxy --work "$WORK" "$@")
echo "# command: ${cmd[*]}"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+dirty')  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# java: $(java -version 2>&1 | head -1); ulimit -n $(ulimit -n); MPROXY_JAVA_OPTS=${MPROXY_JAVA_OPTS-unset (the launcher defaults)}"
mark_other_cpu
MPROXY_JAR=$JAR "${cmd[@]}"
echo "# other processes' CPU during the run: $(other_cpu_since_mark)"
echo "results: $out" >&2
