#!/usr/bin/env bash
# Cross-node against same-node, in one run (protocol-spec/cluster.md): two gateway processes in one cluster on a
# local redis-server, one device (connector) on node one serving iperf3 and an echo server, and clients at
#
#   same-node    client -> node one's public port =(ws tunnel)=> connector -> server
#   cross-node   client -> node two's public port =(ws node tunnel)=> node one -> loopback -> =(ws tunnel)=>
#                connector -> server
#
# Node one's public ports bind to 127.0.0.1, node two's to 127.0.0.2 (the same port numbers). For each: iperf3
# with 1 stream and with 16 (-P 16), client->server, and 1-byte ping-pong round trips (bench/PingPong.java:
# the request rate is 1 / the mean round trip). Everything runs over ws:// (gateway --no-tls) on loopback,
# sharing the machine's cores: compare the ratios.
#
#   bench/run-cluster.sh           10 s per iperf3 test (2 s omitted + 8 s), 20000 round trips
#   bench/run-cluster.sh --quick   3 s per test, 5000 round trips
#
# Output also goes to bench/results/cluster-<date>[-quick].txt. Needs iperf3, redis-server, python3, a JDK 17.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

TIME=8
OMIT=2
COUNT=20000
WARMUP=2000
MODE=full
args=("$@")
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) TIME=3; OMIT=1; COUNT=5000; MODE=quick; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

install_missing iperf3 python3 redis-server java:openjdk-17-jdk-headless
use_jar
results_to cluster
start_work cluster

echo "# command: bench/run-cluster.sh ${args[*]}"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# $(java -version 2>&1 | head -1); $(iperf3 --version | head -1); $(redis-server --version | cut -d' ' -f1-3)"
echo "# cpu: $(nproc) cores; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"

read -r REDIS IPERF ECHO DEV1 DEV2 PUB_I PUB_E <<<"$(free_ports 7)"
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
iperf3 -s -B 127.0.0.1 -p "$IPERF" >"$WORK/iperf-server.log" 2>&1 &
PIDS+=($!)
java bench/PingPong.java server "$ECHO" >"$WORK/echo.log" 2>&1 &
PIDS+=($!)
for p in "$REDIS" "$IPERF" "$ECHO"; do wait_listening "$p" || die "a server on port $p did not start"; done

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/secret"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/cluster-secret"
node() { # ID DEVICE_PORT BIND
    java "${MPROXY_JVM[@]}" -jar "$JAR" gateway --no-tls --listen "127.0.0.1:$2" --bind "$3" --tls-port 0 \
        --http-port 0 --data-dir "$WORK/data-$1" --secret-file "$WORK/secret" --cluster "redis://127.0.0.1:$REDIS" \
        --node-id "$1" --advertise "ws://127.0.0.1:$2" --cluster-secret-file "$WORK/cluster-secret" \
        >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    wait_for "$WORK/$1.log" "devices connect to" $!
}
node one "$DEV1" 127.0.0.1
node two "$DEV2" 127.0.0.2
TOKEN=$(java -jar "$JAR" token --secret-file "$WORK/secret" --device bench --port "$PUB_I" --port "$PUB_E")
java "${MPROXY_JVM[@]}" -jar "$JAR" connect --gateway "ws://127.0.0.1:$DEV1" --token "$TOKEN" \
    --tcp "$PUB_I=127.0.0.1:$IPERF" --tcp "$PUB_E=127.0.0.1:$ECHO" >"$WORK/connector.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/connector.log" "serving as device" $!
python3 - "$PUB_E" <<'PY' || die "node two never served the device's port"
import socket, sys, time
for _ in range(300):
    try:
        s = socket.create_connection(("127.0.0.2", int(sys.argv[1])), 1); s.sendall(b"x")
        if s.recv(1) == b"x": sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY

gbps() { # HOST [iperf3 args]: receiver's Gbit/s
    local host=$1; shift
    iperf3 -c "$host" -p "$PUB_I" -t "$TIME" -O "$OMIT" -J "$@" >"$WORK/iperf.json" 2>&1 || true
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' \
        "$WORK/iperf.json" 2>/dev/null || echo FAILED
}
declare -A R
for config in same-node:127.0.0.1 cross-node:127.0.0.2; do
    name=${config%%:*} host=${config#*:}
    log "$name ($host)"
    R[$name-1s]=$(gbps "$host")
    echo "  1 stream     ${R[$name-1s]} Gbit/s"
    R[$name-16s]=$(gbps "$host" -P 16)
    echo "  16 streams   ${R[$name-16s]} Gbit/s"
    R[$name-pp]=$(java bench/PingPong.java client "$host" "$PUB_E" "$COUNT" "$WARMUP")
    echo "  ping-pong    ${R[$name-pp]}"
done
echo "# summary: cross-node / same-node throughput: 1 stream $(python3 -c "print('%.2f' % (${R[cross-node-1s]}/${R[same-node-1s]}))" 2>/dev/null || echo '?')," \
     "16 streams $(python3 -c "print('%.2f' % (${R[cross-node-16s]}/${R[same-node-16s]}))" 2>/dev/null || echo '?')"
