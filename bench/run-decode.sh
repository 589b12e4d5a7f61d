#!/usr/bin/env bash
# Runs bench/DecodeThroughput.java against target/mproxy.jar and keeps the output in bench/results/.
#
#   bench/run-decode.sh            full run (about 3.5 minutes on 2 cores)
#   bench/run-decode.sh --quick    smoke run (< 20 s)
#   bench/run-decode.sh --sizes 16384 --iterations 10     any DecodeThroughput option
#
# DecodeThroughput.java runs as a single-file program against the jar; the build also compiles it with the
# tests (build-helper-maven-plugin in pom.xml), so it cannot drift from the API it measures.
#
# JVM flags (override with JAVA_OPTS):
#   -Xms1g -Xmx1g -XX:+AlwaysPreTouch  fixed, pre-touched heap: no resizing or page faults inside iterations.
#                                      Direct memory defaults to the heap size, enough for 2 x 64 MiB streams.
#   default collector (G1)             the gateway runs with the JVM default; the decoder allocates a message,
#                                      a StreamAddress and 5-7 Strings per message, so GC cost is part of the
#                                      real cost. ParallelGC would flatter small-body figures.
#   -Dio.netty.leakDetection.level=disabled   throughput run; leaks are covered by `mvn verify` (PARANOID).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build_jar_if_stale

JAVA_OPTS=${JAVA_OPTS:-"-Xms1g -Xmx1g -XX:+AlwaysPreTouch"}
cmd=(java $JAVA_OPTS -Dio.netty.leakDetection.level=disabled -cp target/mproxy.jar bench/DecodeThroughput.java "$@")

for arg in "$@"; do
    if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then
        exec "${cmd[@]}"
    fi
done

# decode-<date>.txt for a full run with no options, -quick for --quick alone, -custom otherwise;
# an existing file is never overwritten (-2, -3, ... are appended).
mkdir -p bench/results
base="bench/results/decode-$(date +%Y-%m-%d)"
if [[ $# -eq 1 && "$1" == "--quick" ]]; then
    base+="-quick"
elif [[ $# -gt 0 ]]; then
    base+="-custom"
fi
out=$(unique_results_file "$base")
{
    echo "# command: ${cmd[*]}"
    echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src/main 2>/dev/null || echo ' (src/main modified)')"
} | tee "$out"
"${cmd[@]}" 2>&1 | tee -a "$out"
status=${PIPESTATUS[0]}
echo "results: $out" >&2
exit "$status"
