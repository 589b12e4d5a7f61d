#!/usr/bin/env bash
# Where the gateway's and the connector's resident memory goes after load: both run with the launcher's JVM options
# (MPROXY_JAVA_OPTS replaces them, as for the launcher) plus -XX:NativeMemoryTracking=summary, iperf3 goes through
# the TLS tunnel (1 and 16 streams, each direction), and after a pause (the launcher's native heap trim runs every
# 5 s) each process's VmRSS, VmHWM, RssAnon and RssFile (/proc/PID/status) and the JVM's own account of its memory
# (jcmd PID VM.native_memory summary: heap, metaspace, JIT code, Netty's direct buffers under "Other", ...) are
# printed. RssAnon minus NMT's committed total (less the file-mapped CDS archive) is native memory the JVM does not
# see (BoringSSL, malloc). NMT itself costs ~2 MiB per process. bench/README.md, "Idle cost", reads it.
#
#   bench/run-memory.sh              4 s per iperf3 test, 8 s pause; output also in bench/results/memory-<date>.txt
#   bench/run-memory.sh --time S --pause S
#
# Needs iperf3, python3 and a JDK 17 with jcmd; MPROXY_JAR measures another jar (nothing is built then).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

TIME=4
PAUSE=8
MODE=full
while [[ $# -gt 0 ]]; do
    case $1 in
        --time) TIME=$2; MODE=custom; shift 2 ;;
        --pause) PAUSE=$2; MODE=custom; shift 2 ;;
        --help|-h) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (expected: --time S, --pause S, --help)" ;;
    esac
done

install_missing iperf3 python3 java:openjdk-17-jdk-headless
use_jar
results_to memory
start_work memory
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# JVM flags: ${MPROXY_JVM[*]:-(none: the JVM defaults)} -XX:NativeMemoryTracking=summary, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-(glibc default)}"
JVM=("${MPROXY_JVM[@]}" -XX:NativeMemoryTracking=summary)

read -r gw pub iperf <<<"$(free_ports 3)"
iperf3 -s -p "$iperf" >"$WORK/iperf3.log" 2>&1 &
PIDS+=("$!")
wait_listening "$iperf" || die "iperf3 did not start"
java "${JVM[@]}" -jar "$JAR" gateway --listen "127.0.0.1:$gw" --data-dir "$WORK/data" --bind 127.0.0.1 \
    --hostname localhost --http-port 0 --tls-port 0 --log-level warn >"$WORK/gateway.log" 2>&1 &
gwpid=$!
PIDS+=("$gwpid")
wait_for "$WORK/gateway.log" "devices connect to" "$gwpid"
fp=$(sed -n 's/^certificate SHA-256 fingerprint: \([0-9A-Fa-f:]*\).*/\1/p' "$WORK/gateway.log")
java -jar "$JAR" token --data-dir "$WORK/data" --device bench --port "$pub" --ttl 1h >"$WORK/token"
java "${JVM[@]}" -jar "$JAR" connect --gateway "wss://localhost:$gw" --fingerprint "$fp" --token-file "$WORK/token" \
    --tcp "$pub=127.0.0.1:$iperf" --log-level warn >"$WORK/connect.log" 2>&1 &
conpid=$!
PIDS+=("$conpid")
wait_for "$WORK/connect.log" "serving as device" "$conpid"
wait_listening "$pub" || die "public port $pub is not listening"

memory() { # LABEL
    local who pid
    for who in gateway connector; do
        [[ $who == gateway ]] && pid=$gwpid || pid=$conpid
        echo "  $1 $who: $(grep -E '^(VmRSS|VmHWM|RssAnon|RssFile):' "/proc/$pid/status" | awk '{printf "%s %d MiB  ", $1, $2 / 1024}')"
    done
}
memory "started"
for args in "-P 1" "-P 16" "-P 1 -R" "-P 16 -R"; do
    # shellcheck disable=SC2086  # two words on purpose
    log "iperf3 $args: $(iperf3 -c 127.0.0.1 -p "$pub" -t "$TIME" $args 2>&1 | grep -E 'receiver' | tail -1 \
        | grep -oE '[0-9.]+ [GMK]bits/sec') (noisy on a shared machine)"
done
memory "right after"
sleep "$PAUSE"
memory "${PAUSE} s later"
for who in gateway connector; do
    [[ $who == gateway ]] && pid=$gwpid || pid=$conpid
    echo "== $who: jcmd VM.native_memory summary (committed, categories over 512 KiB)"
    jcmd "$pid" VM.native_memory summary | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"\s*(?:-\s*)?([A-Za-z][A-Za-z ]*?)(?:\s*\(|:\s*)reserved=\d+KB, committed=(\d+)KB", line)
    if m and int(m.group(2)) > 512:
        print(f"   {m.group(1):28s} {int(m.group(2)) / 1024:7.1f} MiB")'
done
echo "results: $out" >&2
