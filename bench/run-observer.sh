#!/usr/bin/env bash
# Runs bench/ObserverCost.java (the per-stream cost of the gateway's metrics, in process) against
# target/mproxy.jar and keeps the output in bench/results/observer-<date>.txt.
#
#   bench/run-observer.sh                      2,000,000 streams per round, best of 10 rounds (~1 minute)
#   bench/run-observer.sh STREAMS ROUNDS
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build_jar_if_stale

JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+AlwaysPreTouch"}
cmd=(java $JAVA_OPTS -Dio.netty.leakDetection.level=disabled -cp target/mproxy.jar bench/ObserverCost.java "$@")
mkdir -p bench/results
out=$(unique_results_file "bench/results/observer-$(date +%Y-%m-%d)$([[ $# -gt 0 ]] && echo -custom)")
{
    echo "# command: ${cmd[*]}"
    echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')  load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
"${cmd[@]}" 2>&1 | tee -a "$out"
echo "results: $out" >&2
