#!/usr/bin/env bash
# Tunnel throughput and latency on loopback, in one run, against same-run baselines:
#
#   direct         iperf3 client -> iperf3 server                                        (1 TCP connection)
#   haproxy x2     client -> haproxy -> haproxy -> server, two processes, mode tcp       (3 TCP connections)
#   mproxy TLS     client -> gateway public port =(wss tunnel)=> connector -> server      (3 TCP connections)
#   mproxy no-TLS  the same over ws:// (gateway --no-tls), to separate the cost of TLS
#
# For each: iperf3 1 stream and 16 streams (-P 16), client->server (fwd) and server->client (rev, -R), plus
# 1-byte ping-pong round trips (bench/PingPong.java, TCP_NODELAY) with p50/p99/p99.9, and the CPU the two
# forwarding processes used. A summary with ratios vs direct and vs the haproxy chain ends the output.
#
#   bench/run-tunnel.sh             full run: 10 s per iperf3 test (2 s omitted warm-up + 8 s), 20000 round
#                                   trips; about 3 minutes on 2 cores
#   bench/run-tunnel.sh --quick     smoke run (3 s per test, 1 direction, 5000 round trips), about 1 minute
#   bench/run-tunnel.sh --record mcrec   adds mproxy TLS with the gateway recording every stream (--record)
#   bench/run-tunnel.sh --admin          adds mproxy TLS with the admin listener on and /metrics scraped every
#                                   second (bench/run-admin-ab.sh): the cost of metrics, same run
#   bench/run-tunnel.sh --help      all options
#
# Output also goes to bench/results/tunnel-<date>.txt (-quick / -custom for other runs; never overwritten,
# -2, -3, ... appended). Needs iperf3, haproxy, python3 and a JDK 17; iperf3 and haproxy are installed with
# apt-get when missing and running as root. Builds target/mproxy.jar when missing or older than the sources
# (set MPROXY_JAR=path to measure another jar; nothing is built then). MPROXY_JAVA_OPTS is passed to the
# gateway and connector JVMs (default: the launcher's, what users run).
#
# All processes share the machine's cores (2 on the reference machine): iperf3 client and server, and the two
# forwarders. The absolute numbers depend on that; compare the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

TIME=8          # measured seconds per iperf3 test
OMIT=2          # seconds omitted at the start of each iperf3 test (slow start, JIT)
COUNT=20000     # timed ping-pong round trips
WARMUP=2000     # untimed round trips before them
STREAMS=16
REVERSE=1
MODE=full
RECORD=         # --record FORMAT: also measure mproxy TLS with the gateway recording every stream
ADMIN=          # --admin: also measure mproxy TLS with the admin listener on, /metrics scraped every second

usage() {
    cat <<EOF
usage: bench/run-tunnel.sh [options]
  --time S        measured seconds per iperf3 test (default $TIME)
  --omit S        seconds omitted at the start of each iperf3 test (default $OMIT)
  --count N       timed 1-byte round trips (default $COUNT; $WARMUP untimed ones before them)
  --streams N     parallel streams of the aggregate test (default $STREAMS)
  --no-reverse    skip the server->client (-R) tests
  --quick         smoke run: --time 3 --omit 1 --count 5000 --no-reverse
  --record FORMAT also measure mproxy TLS with 'gateway --record DIR --record-format FORMAT' (mcrec or netrecord);
                  recordings go under \$TMPDIR (default /tmp) and are deleted after each test; the recorded
                  configuration is skipped when that file system has less than 2 GB per measured second free
  --admin         also measure mproxy TLS with 'gateway --admin' and a scrape of /metrics every second
Environment: MPROXY_JAR (jar to measure, no build), MPROXY_JAVA_OPTS (gateway/connector JVM flags).
Results: bench/results/tunnel-<date>[-quick|-custom][-N].txt
EOF
}

args=("$@")
while [[ $# -gt 0 ]]; do
    case "$1" in
        --time) TIME=$2; MODE=custom; shift 2 ;;
        --omit) OMIT=$2; MODE=custom; shift 2 ;;
        --count) COUNT=$2; MODE=custom; shift 2 ;;
        --streams) STREAMS=$2; MODE=custom; shift 2 ;;
        --no-reverse) REVERSE=0; MODE=custom; shift ;;
        --quick) TIME=3; OMIT=1; COUNT=5000; REVERSE=0; MODE=quick; shift ;;
        --record) RECORD=$2; MODE=custom; shift 2 ;;
        --admin) ADMIN=1; MODE=custom; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ ${#args[@]} -gt 1 && $MODE == quick ]] && MODE=custom
[[ -z $RECORD || $RECORD == mcrec || $RECORD == netrecord ]] || { echo "--record: mcrec or netrecord" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------- dependencies
install_missing iperf3 haproxy python3 java:openjdk-17-jdk-headless curl

# ---------------------------------------------------------------------------------------------- the jar
use_jar

# ---------------------------------------------------------------------------------------------- output file
results_to tunnel

start_work tunnel

CLK_TCK=$(getconf CLK_TCK)

RESULTS=$WORK/results.tsv
: >"$RESULTS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

# iperf CONFIG PORT NAME FORWARDER_PIDS... -- iperf3 extra args: one iperf3 test, recorded as CONFIG/NAME.
iperf() {
    local config=$1 port=$2 name=$3 pids=() json t0 t1 c0 c1 attempt
    shift 3
    while [[ $1 != -- ]]; do pids+=("$1"); shift; done
    shift
    json=$WORK/iperf-$config-$name.json
    # A failed test is reported, not hidden: retried once, FAIL in the summary if the retry fails too.
    for attempt in 1 2; do
        c0=$( ((${#pids[@]})) && cpu_ticks "${pids[@]}" || echo 0)
        t0=$(date +%s.%N)
        iperf3 -c 127.0.0.1 -p "$port" -t "$TIME" -O "$OMIT" -J "$@" >"$json" 2>"$json.err" || true
        t1=$(date +%s.%N)
        c1=$( ((${#pids[@]})) && cpu_ticks "${pids[@]}" || echo 0)
        if python3 - "$json" "$config" "$name" "$RESULTS" "$((c1 - c0))" "$CLK_TCK" "$t0" "$t1" <<'EOF'
import json, sys
path, config, name, results, ticks, hz, t0, t1 = sys.argv[1:]
try:
    doc = json.load(open(path))
except ValueError:
    doc = {"error": open(path + ".err").read().strip() or "no JSON output"}
if doc.get("error") or "sum_received" not in doc.get("end", {}):
    print(f"  {name:<10} FAILED: iperf3: {doc.get('error', 'no summary')}")
    sys.exit(1)
gbps = doc["end"]["sum_received"]["bits_per_second"] / 1e9
cores = int(ticks) / int(hz) / (float(t1) - float(t0))
with open(results, "a") as f:
    f.write(f"{config}\t{name}\t{gbps:.3f}\n")
    if config != "direct":
        f.write(f"{config}\t{name}_cores\t{cores:.2f}\n")
extra = "" if config == "direct" else f"   forwarders used {cores:.2f} cores"
print(f"  {name:<10} {gbps:7.2f} Gbit/s{extra}")
EOF
        then
            return 0
        fi
        record "$config" "${name}_failures" "$attempt"
        sleep 1
    done
}

# pingpong CONFIG PORT: 1-byte round trips through PORT to the echo server.
pingpong() {
    local config=$1 port=$2 line kv
    line=$(java bench/PingPong.java client 127.0.0.1 "$port" "$COUNT" "$WARMUP") || die "ping-pong $config failed"
    echo "  ping-pong  $line"
    for kv in $line; do
        case "$kv" in
            p50_us=*|p99_us=*|p999_us=*) record "$config" "${kv%%=*}" "${kv#*=}" ;;
        esac
    done
}

# measure CONFIG IPERF_PORT ECHO_PORT FORWARDER_PIDS...: every test of one configuration. Recordings (in
# $RECORDINGS when set) are deleted after each test.
measure() {
    local config=$1 iport=$2 eport=$3
    shift 3
    iperf "$config" "$iport" 1s_fwd "$@" --
    clear_recordings
    ((REVERSE)) && iperf "$config" "$iport" 1s_rev "$@" -- -R && clear_recordings
    iperf "$config" "$iport" "${STREAMS}s_fwd" "$@" -- -P "$STREAMS"
    clear_recordings
    ((REVERSE)) && iperf "$config" "$iport" "${STREAMS}s_rev" "$@" -- -P "$STREAMS" -R && clear_recordings
    pingpong "$config" "$eport"
}

RECORDINGS=
RECORDED_BYTES=0
# clear_recordings: adds up and deletes what the gateway recorded so far (open files are freed when closed).
clear_recordings() {
    [[ -n $RECORDINGS && -d $RECORDINGS ]] || return 0
    local bytes
    bytes=$(find "$RECORDINGS" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
    RECORDED_BYTES=$((RECORDED_BYTES + bytes))
    find "$RECORDINGS" -type f -delete
}

# ---------------------------------------------------------------------------------------------- header
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo '?')
echo "# command: bench/run-tunnel.sh ${args[*]}"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src/main 2>/dev/null || echo ' (src/main modified)')"
echo "# jar: $JAR$([[ -n "${MPROXY_JAR:-}" ]] && echo " (MPROXY_JAR: the commit above is this checkout's, not necessarily the jar's)")  gateway/connector JVM flags: ${MPROXY_JVM[*]:-(none: the JVM defaults)}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-(glibc default)}"
echo "# $(java -version 2>&1 | head -1); $(iperf3 --version | head -1); $(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "# cpu: $(nproc) x $cpu_model; kernel $(uname -r)"
echo "# iperf3: -t $TIME -O $OMIT (receiver's figure, omitted seconds excluded), $STREAMS streams for the aggregate;" \
     "ping-pong: $COUNT timed 1-byte round trips after $WARMUP"
echo "# every process (iperf3 client and server, both forwarders) shares the $(nproc) cores; compare the ratios"
echo "# load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running skews the figures)"

# ---------------------------------------------------------------------------------------------- servers
read -r IPERF_PORT ECHO_PORT <<<"$(free_ports 2)"
iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1 &
PIDS+=($!)
java bench/PingPong.java server "$ECHO_PORT" >"$WORK/echo.log" 2>&1 &
PIDS+=($!)
wait_listening "$IPERF_PORT" || die "iperf3 server did not start"
wait_listening "$ECHO_PORT" || die "ping-pong server did not start"

# ---------------------------------------------------------------------------------------------- direct
log "direct (iperf3 on 127.0.0.1:$IPERF_PORT, echo on $ECHO_PORT)"
measure direct "$IPERF_PORT" "$ECHO_PORT"

# ---------------------------------------------------------------------------------------------- haproxy x2
# Two haproxy processes, one "listen" section each (frontend -> one server), chained over loopback:
# the same socket hops as gateway + connector. haproxy's defaults otherwise (threads = cores, no splice).
read -r H1_I H1_E H2_I H2_E <<<"$(free_ports 4)"
haproxy_cfg() { # NAME LISTEN_IPERF TARGET_IPERF LISTEN_ECHO TARGET_ECHO
    cat >"$WORK/$1.cfg" <<EOF
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 1m
    timeout server 1m
listen iperf
    bind 127.0.0.1:$2
    server s 127.0.0.1:$3
listen echo
    bind 127.0.0.1:$4
    server s 127.0.0.1:$5
EOF
}
haproxy_cfg hop2 "$H2_I" "$IPERF_PORT" "$H2_E" "$ECHO_PORT"
haproxy_cfg hop1 "$H1_I" "$H2_I" "$H1_E" "$H2_E"
haproxy -f "$WORK/hop2.cfg" -db >"$WORK/hop2.log" 2>&1 &
HA2=$!
PIDS+=("$HA2")
haproxy -f "$WORK/hop1.cfg" -db >"$WORK/hop1.log" 2>&1 &
HA1=$!
PIDS+=("$HA1")
for p in "$H1_I" "$H1_E" "$H2_I" "$H2_E"; do
    wait_listening "$p" || { cat "$WORK"/hop*.log; die "haproxy did not start"; }
done
log "haproxy x2 (127.0.0.1:$H1_I -> :$H2_I -> iperf3)"
measure haproxy "$H1_I" "$H1_E" "$HA1" "$HA2"
stop "$HA1" "$HA2"

# ---------------------------------------------------------------------------------------------- mproxy
# run_mproxy CONFIG tls|notls [FORMAT] [admin]: gateway + connector serving two public ports (iperf3, echo), then
# measure; with FORMAT the gateway records every stream in it; with admin its admin listener is on and /metrics
# is scraped every second while measuring.
run_mproxy() {
    local config=$1 tls=$2 format=${3:-} admin=${4:-} dir gw pub_i pub_e gwpid conpid fp token scheme trust=()
    local adm scraper=
    dir=$WORK/data-$config
    mkdir -m 700 "$dir"
    read -r gw pub_i pub_e <<<"$(free_ports 3)"
    local gwflags=(--listen "127.0.0.1:$gw" --data-dir "$dir" --bind 127.0.0.1 --hostname localhost)
    [[ $tls == notls ]] && gwflags+=(--no-tls)
    if [[ -n $format ]]; then
        RECORDINGS=$WORK/recordings-$config
        gwflags+=(--record "$RECORDINGS" --record-format "$format")
    fi
    if [[ -n $admin ]]; then
        adm=$(free_ports 1)
        gwflags+=(--admin "127.0.0.1:$adm")
    fi
    java "${MPROXY_JVM[@]}" -jar "$JAR" gateway "${gwflags[@]}" >"$WORK/gateway-$config.log" 2>&1 &
    gwpid=$!
    PIDS+=("$gwpid")
    wait_for "$WORK/gateway-$config.log" "devices connect to" "$gwpid"
    if [[ $tls == tls ]]; then
        fp=$(sed -n 's/^certificate SHA-256 fingerprint: \([0-9A-Fa-f:]*\).*/\1/p' "$WORK/gateway-$config.log")
        [[ -n $fp ]] || { cat "$WORK/gateway-$config.log"; die "no fingerprint in the gateway's output"; }
        scheme=wss
        trust=(--fingerprint "$fp")
    else
        scheme=ws
    fi
    token=$(java -jar "$JAR" token --data-dir "$dir" --device bench --port "$pub_i" --port "$pub_e" --ttl 1h)
    java "${MPROXY_JVM[@]}" -jar "$JAR" connect --gateway "$scheme://localhost:$gw" "${trust[@]}" --token "$token" \
        --tcp "$pub_i=127.0.0.1:$IPERF_PORT" --tcp "$pub_e=127.0.0.1:$ECHO_PORT" >"$WORK/connect-$config.log" 2>&1 &
    conpid=$!
    PIDS+=("$conpid")
    wait_for "$WORK/connect-$config.log" "serving as device" "$conpid"
    wait_listening "$pub_i" || die "public port $pub_i is not listening"
    log "$config ($scheme://localhost:$gw, public port $pub_i -> iperf3)"
    # Untimed warm-up so the JIT has compiled the data path before the first measured test (iperf3's -O
    # seconds are also excluded from every test, the baselines' included).
    iperf3 -c 127.0.0.1 -p "$pub_i" -t 3 -P 4 >/dev/null 2>&1 || echo "  (warm-up iperf3 failed)"
    iperf3 -c 127.0.0.1 -p "$pub_i" -t 2 -P 4 -R >/dev/null 2>&1 || echo "  (warm-up iperf3 -R failed)"
    if [[ -n $admin ]]; then
        # what Prometheus would do, every second instead of every 15 s: /metrics read under load
        ( while sleep 1; do
              curl -sf -H "Authorization: Bearer $(cat "$dir/admin.token")" "http://127.0.0.1:$adm/metrics" \
                  -o /dev/null || echo "  (scrape failed)"
          done ) &
        scraper=$!
        PIDS+=("$scraper")
    fi
    measure "$config" "$pub_i" "$pub_e" "$gwpid" "$conpid"
    if [[ -n $scraper ]]; then
        stop "$scraper"
        echo "  scraped during the tests: $(curl -sf -H "Authorization: Bearer $(cat "$dir/admin.token")" \
            "http://127.0.0.1:$adm/metrics" | grep -E '^mproxy_(streams_opened_total|bytes_total)' | tr '\n' ' ')"
    fi
    # What the forwarders logged about failed streams (E_PAUSE_IGNORED and the like), if anything.
    if grep -qE 'E_[A-Z_]+|Exception|SEVERE|WARNING' "$WORK/gateway-$config.log" "$WORK/connect-$config.log"; then
        echo "  gateway/connector logged ($(cat "$WORK/gateway-$config.log" "$WORK/connect-$config.log" \
            | grep -cE 'E_[A-Z_]+|Exception|SEVERE|WARNING') lines; first 3):"
        grep -hE 'E_[A-Z_]+|Exception|SEVERE|WARNING' "$WORK/gateway-$config.log" "$WORK/connect-$config.log" \
            | head -3 | sed 's/^/    /'
    fi
    report_memory "$config" "$gwpid" "$conpid"
    stop "$conpid" "$gwpid"
    if [[ -n $format ]]; then
        clear_recordings
        echo "  the gateway recorded $RECORDED_BYTES bytes in $format"
        record "$config" recorded_bytes "$RECORDED_BYTES"
        RECORDINGS=
    fi
}
run_mproxy mproxy-tls tls
run_mproxy mproxy-notls notls
if [[ -n $RECORD ]]; then
    avail=$(df -B1 --output=avail "$WORK" | tail -1 | tr -d ' ')
    need=$(( (TIME + OMIT + 5) * 2 * 1000 * 1000 * 1000 ))
    if ((avail >= need)); then
        run_mproxy mproxy-tls-rec tls "$RECORD"
    else
        echo "mproxy TLS recording SKIPPED: $((avail / 1000000000)) GB free in $WORK, need $((need / 1000000000))"
    fi
fi

if [[ -n $ADMIN ]]; then
    run_mproxy mproxy-tls-admin tls "" admin
fi

# ---------------------------------------------------------------------------------------------- summary
python3 - "$RESULTS" "$STREAMS" "$REVERSE" "$RECORD" "$ADMIN" <<'EOF'
import sys
results, streams, reverse, recorded = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
admin = sys.argv[5] == "1"
r = {}
for line in open(results):
    config, metric, value = line.rstrip("\n").split("\t")
    r.setdefault(config, {})[metric] = float(value)
configs = [("direct", "direct"), ("haproxy", "haproxy x2"), ("mproxy-tls", "mproxy TLS"),
           ("mproxy-notls", "mproxy no-TLS")]
if recorded:
    configs.append(("mproxy-tls-rec", f"TLS + {recorded}"))
if admin:
    configs.append(("mproxy-tls-admin", "TLS + admin"))
tput = [("1s_fwd", "1s fwd"), ("1s_rev", "1s rev"), (f"{streams}s_fwd", f"{streams}s fwd"),
        (f"{streams}s_rev", f"{streams}s rev")]
if not reverse:
    tput = [t for t in tput if not t[0].endswith("rev")]
lat = [("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")]

def g(c, m):
    return r.get(c, {}).get(m)

def num(v, fmt, w=9):
    return f"{'FAIL' if v is None else format(v, fmt):>{w}}"

def div(a, b):
    return None if a is None or b is None or b == 0 else a / b

print()
print("=" * 100)
print(f"SUMMARY  throughput in Gbit/s (iperf3 receiver; fwd = client->server, rev = -R; 1s = 1 stream, "
      f"{streams}s = {streams} streams)")
print("         1-byte ping-pong round trip in microseconds")
print()
print(f"{'':<15}" + "".join(f"{lbl:>9}" for _, lbl in tput) + "  |" + "".join(f"{lbl:>9}" for _, lbl in lat))
for c, name in configs:
    print(f"{name:<15}" + "".join(num(g(c, m), ".2f") for m, _ in tput) + "  |"
          + "".join(num(g(c, m), ".1f") for m, _ in lat))
print()
print("forwarders' CPU during each test, in cores (haproxy x2 = both haproxies, mproxy = gateway + connector),")
print("and CPU-seconds per GB forwarded:")
print(f"{'':<15}" + "".join(f"{lbl:>9}" for _, lbl in tput) + "  |" + "".join(f"{lbl + ' s/GB':>12}" for _, lbl in tput))
for c, name in configs[1:]:
    print(f"{name:<15}" + "".join(num(g(c, m + "_cores"), ".2f") for m, _ in tput) + "  |"
          + "".join(num(div(g(c, m + "_cores"), div(g(c, m), 8)), ".2f", 12) for m, _ in tput))
print()
print("ratios (throughput: higher is better; latency: lower is better)")
print(f"{'':<34}" + "".join(f"{lbl:>9}" for _, lbl in tput) + "  |" + "".join(f"{lbl:>9}" for _, lbl in lat))
pairs = [("haproxy", "direct", "haproxy x2 / direct"), ("mproxy-tls", "direct", "mproxy TLS / direct"),
         ("mproxy-notls", "direct", "mproxy no-TLS / direct"),
         ("mproxy-tls", "haproxy", "mproxy TLS / haproxy x2"),
         ("mproxy-notls", "haproxy", "mproxy no-TLS / haproxy x2"),
         ("mproxy-tls", "mproxy-notls", "mproxy TLS / mproxy no-TLS")]
if recorded:
    pairs.append(("mproxy-tls-rec", "mproxy-tls", f"TLS recording {recorded} / TLS"))
if admin:
    pairs.append(("mproxy-tls-admin", "mproxy-tls", "TLS + admin, scraped / TLS"))
for a, b, title in pairs:
    print(f"{title:<34}" + "".join(num(div(g(a, m), g(b, m)), ".2f") for m, _ in tput) + "  |"
          + "".join(num(div(g(a, m), g(b, m)), ".2f") for m, _ in lat))
print()
for c, name in configs:
    for m, lbl in tput:
        n = g(c, m + "_failures")
        if n:
            print(f"FAILED: {name} {lbl}: " + ("both attempts failed (FAIL above)" if n >= 2 or g(c, m) is None
                                               else "1st attempt failed, the retry is the figure above"))
ok = [g("mproxy-tls", m) is not None and g("mproxy-tls", m) >= g("haproxy", m) for m, _ in tput]
print(f"aim (mproxy TLS throughput >= haproxy x2 in every throughput test): {'MET' if all(ok) else 'NOT MET'} "
      f"({sum(ok)}/{len(ok)} tests)")
EOF
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results: $out"
