#!/usr/bin/env bash
# Cross-node against same-node, in one run (protocol-spec/cluster.md): two gateway processes in one cluster on a
# local redis-server, one device (connector) on node one serving iperf3, an echo server and nginx, and clients at
#
#   same-node    client -> node one's public port =(ws tunnel)=> connector -> server
#   cross-node   client -> node two's public port =(ws node tunnel)=> node one -> loopback -> =(ws tunnel)=>
#                connector -> server
#
# Node one's public ports bind to 127.0.0.1, node two's to 127.0.0.2 (the same port numbers). For each: iperf3
# with 1 stream and with 16 (-P 16), client->server; 1-byte ping-pong round trips (bench/PingPong.java); and the
# HTTP request rate of wrk (1 thread, 16 connections, a 1 KiB file from a local nginx with one worker) through
# the shared HTTP port routed by Host, with keep-alive (requests over 16 streams) and with 'Connection: close'
# (a new stream, and for cross-node a new node-tunnel stream, per request). Everything runs over ws://
# (gateway --no-tls) on loopback, sharing the machine's cores: compare the ratios.
#
#   bench/run-cluster.sh           8 s per iperf3 and wrk test (after 2 s omitted or warming up), 20000 round trips
#   bench/run-cluster.sh --quick   3 s per test (after 1 s), 5000 round trips
#
# Output also goes to bench/results/cluster-<date>[-quick].txt. Needs iperf3, redis-server, wrk, nginx, python3,
# a JDK 17.
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
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

PATH=$PATH:/usr/sbin:/sbin   # nginx lives in /usr/sbin, which a user's PATH may lack
install_missing iperf3 python3 redis-server wrk nginx java:openjdk-17-jdk-headless
use_jar
results_to cluster
start_work cluster

echo "# command: bench/run-cluster.sh ${args[*]}"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# $(java -version 2>&1 | head -1); $(iperf3 --version | head -1); $(redis-server --version | cut -d' ' -f1-3);" \
     "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(nginx -v 2>&1 | head -1)"
echo "# cpu: $(nproc) cores; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
mark_other_cpu

read -r REDIS IPERF ECHO DEV1 DEV2 PUB_I PUB_E PUB_H NGINX_PORT <<<"$(free_ports 9)"
HOST=bench.example.com
mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp" "$WORK/nginx/logs"
head -c 1024 /dev/urandom >"$WORK/nginx/www/1k"
NGINX_USER=""
[[ $(id -u) -eq 0 ]] && NGINX_USER="user $(id -un) $(id -gn);"   # as root its worker would be nobody
cat >"$WORK/nginx/nginx.conf" <<CONF
$NGINX_USER
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/octet-stream;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    server { listen 127.0.0.1:$NGINX_PORT; root $WORK/nginx/www; }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" >"$WORK/nginx/logs/stdout.log" 2>&1 &
PIDS+=($!)
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
iperf3 -s -B 127.0.0.1 -p "$IPERF" >"$WORK/iperf-server.log" 2>&1 &
PIDS+=($!)
java bench/PingPong.java server "$ECHO" >"$WORK/echo.log" 2>&1 &
PIDS+=($!)
for p in "$REDIS" "$IPERF" "$ECHO" "$NGINX_PORT"; do wait_listening "$p" || die "a server on port $p did not start"; done

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/secret"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/cluster-secret"
node() { # ID DEVICE_PORT BIND
    java "${MPROXY_JVM[@]}" -jar "$JAR" gateway --no-tls --listen "127.0.0.1:$2" --bind "$3" --tls-port 0 \
        --http-port "$PUB_H" --data-dir "$WORK/data-$1" --secret-file "$WORK/secret" --cluster "redis://127.0.0.1:$REDIS" \
        --node-id "$1" --advertise "ws://127.0.0.1:$2" --cluster-secret-file "$WORK/cluster-secret" \
        >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    wait_for "$WORK/$1.log" "devices connect to" $!
}
node one "$DEV1" 127.0.0.1
node two "$DEV2" 127.0.0.2
TOKEN=$(java -jar "$JAR" token --secret-file "$WORK/secret" --device bench --port "$PUB_I" --port "$PUB_E" \
    --domain "$HOST")
java "${MPROXY_JVM[@]}" -jar "$JAR" connect --gateway "ws://127.0.0.1:$DEV1" --token "$TOKEN" \
    --tcp "$PUB_I=127.0.0.1:$IPERF" --tcp "$PUB_E=127.0.0.1:$ECHO" --http "$HOST=127.0.0.1:$NGINX_PORT" \
    >"$WORK/connector.log" 2>&1 &
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
rps() { # HOST [wrk args]: requests/s and latency p99 of one wrk run, after an untimed warm-up of OMIT seconds
    local host=$1; shift
    wrk -t 1 -c 16 -d "${OMIT}s" -H "Host: $HOST" "$@" "http://$host:$PUB_H/1k" >/dev/null 2>&1 || true
    wrk -t 1 -c 16 -d "${TIME}s" --latency -H "Host: $HOST" "$@" "http://$host:$PUB_H/1k" >"$WORK/wrk.log" 2>&1 || true
    python3 - "$WORK/wrk.log" <<'PY' 2>/dev/null || echo FAILED
import re, sys
text = open(sys.argv[1]).read()
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p99 = re.search(r"99%\s+(\S+)", text).group(1)
errors = re.search(r"Socket errors: (.*)", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rate:.0f} req/s, p99 {p99}" + (f"; socket errors: {errors.group(1)}" if errors else "")
      + (f"; {non2xx.group(1)} non-2xx" if non2xx else ""))
PY
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
    R[$name-ka]=$(rps "$host")
    echo "  HTTP keep-alive        ${R[$name-ka]}"
    R[$name-close]=$(rps "$host" -H "Connection: close")
    echo "  HTTP Connection: close ${R[$name-close]}"
done
echo "# summary: cross-node / same-node throughput: 1 stream $(python3 -c "print('%.2f' % (${R[cross-node-1s]}/${R[same-node-1s]}))" 2>/dev/null || echo '?')," \
     "16 streams $(python3 -c "print('%.2f' % (${R[cross-node-16s]}/${R[same-node-16s]}))" 2>/dev/null || echo '?')"
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1].split()[0]) / float(sys.argv[2].split()[0])))" "$1" "$2" 2>/dev/null || echo '?'; }
echo "# summary: cross-node / same-node HTTP request rate: keep-alive $(ratio "${R[cross-node-ka]}" "${R[same-node-ka]}")," \
     "Connection: close $(ratio "${R[cross-node-close]}" "${R[same-node-close]}")"
stop "${PIDS[@]}"
echo "# CPU of other processes during the run: $(other_cpu_since_mark)"
