#!/usr/bin/env bash
# Rendezvous relay throughput on loopback, in one run, against same-run baselines:
#
#   direct           iperf3 client -> iperf3 server                                          (1 TCP connection)
#   haproxy x3       client -> haproxy -> haproxy -> haproxy -> server, three processes, mode tcp: the same
#                    socket hops as the relay path below                                     (4 TCP connections)
#   mproxy TLS       client -> mproxy relay --listen =(wss)=> gateway /relay =(wss)=> mproxy relay --connect
#                    -> server: two relay clients paired through the gateway               (4 TCP connections)
#   mproxy no-TLS    the same over ws:// (gateway --no-tls), to separate the cost of TLS
#
# For each: iperf3 1 stream and 16 streams (-P 16), client->server (fwd) and server->client (rev, -R); the
# receiver's Gbit/s, and the CPU the three forwarding processes used (from /proc/PID/stat), in cores and in
# CPU-seconds per GB. A relay id carries one pair at a time and iperf3 opens a control connection plus one per
# stream, so both relay clients run with --sessions 18 (session k joins ID-k; protocol-spec/rendezvous.md 6.5),
# and both hold a token, so that either may come first to each session.
#
#   bench/run-relay.sh             full run: 10 s per iperf3 test (2 s omitted warm-up + 8 s); ~3 minutes on 2 cores
#   bench/run-relay.sh --quick     smoke run: 3 s per test (1 s omitted), client->server only, about 1 minute
#   bench/run-relay.sh --help      all options
#
# Output also goes to bench/results/relay-<date>.txt (-quick / -custom for other runs; never overwritten,
# -2, -3, ... appended). Needs iperf3, haproxy, python3 and a JDK 17; the missing ones are installed with
# apt-get when running as root. Builds target/mproxy.jar when missing or older than the sources (set
# MPROXY_JAR=path to measure another jar; nothing is built then). MPROXY_JAVA_OPTS is passed to the gateway and
# relay JVMs (default: none, i.e. what users run).
#
# All processes share the machine's cores (2 on the reference machine): iperf3 client and server, and the three
# forwarders. The absolute numbers depend on that; compare the ratios, from a run without the WARNING lines.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
PATH=$PATH:/usr/sbin:/sbin   # haproxy lives in /usr/sbin, which a user's PATH may lack

TIME=8          # measured seconds per iperf3 test
OMIT=2          # seconds omitted at the start of each iperf3 test (slow start, JIT)
STREAMS=16
REVERSE=1
MODE=full

usage() {
    cat <<EOF
usage: bench/run-relay.sh [options]
  --time S        measured seconds per iperf3 test (default $TIME)
  --omit S        seconds omitted at the start of each iperf3 test (default $OMIT)
  --streams N     parallel streams of the aggregate test (default $STREAMS)
  --no-reverse    skip the server->client (-R) tests
  --quick         smoke run: --time 3 --omit 1 --no-reverse
Environment: MPROXY_JAR (jar to measure, no build), MPROXY_JAVA_OPTS (gateway/relay JVM flags).
Results: bench/results/relay-<date>[-quick|-custom][-N].txt
EOF
}

args=("$@")
while [[ $# -gt 0 ]]; do
    case "$1" in
        --time) TIME=$2; MODE=custom; shift 2 ;;
        --omit) OMIT=$2; MODE=custom; shift 2 ;;
        --streams) STREAMS=$2; MODE=custom; shift 2 ;;
        --no-reverse) REVERSE=0; MODE=custom; shift ;;
        --quick) TIME=3; OMIT=1; REVERSE=0; MODE=quick; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ ${#args[@]} -gt 1 && $MODE == quick ]] && MODE=custom
[[ $TIME =~ ^[1-9][0-9]*$ ]] || { echo "--time: a whole number of seconds, at least 1" >&2; exit 2; }
[[ $OMIT =~ ^[0-9]+$ ]] || { echo "--omit: a whole number of seconds" >&2; exit 2; }
[[ $STREAMS =~ ^[1-9][0-9]*$ && $STREAMS -le 64 ]] || { echo "--streams: 1 to 64" >&2; exit 2; }
SESSIONS=$((STREAMS + 2))   # iperf3's control connection and one per stream, and one spare

# ---------------------------------------------------------------------------------------------- dependencies
install_missing iperf3 haproxy python3 java:openjdk-17-jdk-headless

# ---------------------------------------------------------------------------------------------- the jar
use_jar
# Captured, not piped into grep -q (an early grep exit would fail the pipe under pipefail).
relay_help=$(java -jar "$JAR" relay --help 2>&1 || true)
[[ $relay_help == *--sessions* ]] || { echo "$JAR: it has no 'relay' command with --sessions" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------- output file
results_to relay

start_work relay

CLK_TCK=$(getconf CLK_TCK)
RESULTS=$WORK/results.tsv   # CONFIG \t METRIC \t VALUE, read by the summary
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
# Everything iperf3 moved, the omitted seconds included (the forwarders' CPU counts them too).
data = sum(i["sum"]["bytes"] for i in doc["intervals"])
cpu_s = int(ticks) / int(hz)
cores = cpu_s / (float(t1) - float(t0))
with open(results, "a") as f:
    f.write(f"{config}\t{name}\t{gbps:.3f}\n")
    if config != "direct":
        f.write(f"{config}\t{name}_cores\t{cores:.2f}\n")
        f.write(f"{config}\t{name}_cpu_s_per_gb\t{cpu_s / (data / 1e9) if data else float('nan'):.2f}\n")
extra = "" if config == "direct" else (f"   forwarders used {cores:.2f} cores, "
                                        f"{cpu_s / (data / 1e9) if data else float('nan'):.2f} CPU-s/GB")
print(f"  {name:<10} {gbps:7.2f} Gbit/s{extra}")
EOF
        then
            return 0
        fi
        record "$config" "${name}_failures" "$attempt"
        sleep 1
    done
}

# measure CONFIG PORT FORWARDER_PIDS...: every iperf3 test of one configuration.
measure() {
    local config=$1 port=$2
    shift 2
    iperf "$config" "$port" 1s_fwd "$@" --
    ((REVERSE)) && iperf "$config" "$port" 1s_rev "$@" -- -R
    iperf "$config" "$port" "${STREAMS}s_fwd" "$@" -- -P "$STREAMS"
    ((REVERSE)) && iperf "$config" "$port" "${STREAMS}s_rev" "$@" -- -P "$STREAMS" -R
    return 0
}

# logged_problems NAME LOG...: what the forwarders logged besides their session lines, if anything.
logged_problems() {
    local name=$1 pattern='Exception|SEVERE|WARNING'
    shift
    if grep -qE "$pattern" "$@"; then
        echo "  $name logged ($(cat "$@" | grep -cE "$pattern") lines; first 3):"
        grep -hE -A1 "$pattern" "$@" | head -6 | sed 's/^/    /'
    fi
}

# ---------------------------------------------------------------------------------------------- header
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo '?')
echo "# command: bench/run-relay.sh ${args[*]}"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src/main 2>/dev/null || echo ' (src/main modified)')"
echo "# jar: $JAR$([[ -n "${MPROXY_JAR:-}" ]] && echo " (MPROXY_JAR: the commit above is this checkout's, not necessarily the jar's)")  gateway/relay JVM flags: ${MPROXY_JAVA_OPTS:-(none)}"
echo "# $(java -version 2>&1 | head -1); $(iperf3 --version | head -1); $(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "# cpu: $(nproc) x $cpu_model; kernel $(uname -r)"
echo "# iperf3: -t $TIME -O $OMIT (receiver's figure, omitted seconds excluded), $STREAMS streams for the aggregate;" \
     "relay clients: --sessions $SESSIONS"
echo "# every process (iperf3 client and server, the three forwarders) shares the $(nproc) cores; compare the ratios"
idle=$(cpu_idle_percent 2)
echo "# load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); CPU idle over 2 s before it: $idle %" \
     "(anything else running skews the figures)"
((idle < 90)) && echo "# WARNING: the machine was busy before the run (${idle} % idle); the figures include that contention"

# ---------------------------------------------------------------------------------------------- server
read -r IPERF_PORT <<<"$(free_ports 1)"
iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1 &
IPERF_SERVER=$!
PIDS+=("$IPERF_SERVER")
wait_listening "$IPERF_PORT" || die "iperf3 server did not start"

# ---------------------------------------------------------------------------------------------- direct
log "direct (iperf3 on 127.0.0.1:$IPERF_PORT)"
measure direct "$IPERF_PORT"

# ---------------------------------------------------------------------------------------------- haproxy x3
# Three haproxy processes, one "listen" section each (frontend -> one server), chained over loopback: the
# same socket hops as relay --listen, the gateway and relay --connect. haproxy's defaults otherwise (threads =
# cores, no splicing), as in run-tunnel.sh.
read -r H1 H2 H3 <<<"$(free_ports 3)"
haproxy_cfg() { # NAME LISTEN TARGET
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
EOF
}
haproxy_cfg hop3 "$H3" "$IPERF_PORT"
haproxy_cfg hop2 "$H2" "$H3"
haproxy_cfg hop1 "$H1" "$H2"
HA=()
for hop in hop3 hop2 hop1; do
    haproxy -f "$WORK/$hop.cfg" -db >"$WORK/$hop.log" 2>&1 &
    HA+=($!)
    PIDS+=($!)
done
for p in "$H1" "$H2" "$H3"; do
    wait_listening "$p" || { cat "$WORK"/hop*.log; die "haproxy did not start"; }
done
log "haproxy x3 (127.0.0.1:$H1 -> :$H2 -> :$H3 -> iperf3)"
measure haproxy "$H1" "${HA[@]}"
stop "${HA[@]}"

# ---------------------------------------------------------------------------------------------- mproxy relay
# run_relay CONFIG tls|notls: a gateway, relay --connect to the iperf3 server and relay --listen on a local
# port, both with a token of that gateway and the same id; warm-up, then measure.
run_relay() {
    local config=$1 tls=$2 dir gw listen gwpid conpid lispid fp token scheme id trust=()
    dir=$WORK/data-$config
    mkdir -m 700 "$dir"
    read -r gw listen <<<"$(free_ports 2)"
    local gwflags=(--listen "127.0.0.1:$gw" --data-dir "$dir" --bind 127.0.0.1 --hostname localhost
        --tls-port 0 --http-port 0)
    [[ $tls == notls ]] && gwflags+=(--no-tls)
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
    # Any token of the gateway identifies a relay peer; 'mproxy token' wants a grant, so it gets a port.
    token=$(java -jar "$JAR" token --data-dir "$dir" --device bench --relay-only --ttl 1h)
    id=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
    local join=(relay --gateway "$scheme://localhost:$gw" "${trust[@]}" --token "$token" --id "$id"
        --sessions "$SESSIONS")
    java "${MPROXY_JVM[@]}" -jar "$JAR" "${join[@]}" --connect "127.0.0.1:$IPERF_PORT" \
        >"$WORK/connect-$config.log" 2>&1 &
    conpid=$!
    PIDS+=("$conpid")
    wait_for "$WORK/connect-$config.log" "^mproxy relay: .*: serving" "$conpid"
    java "${MPROXY_JVM[@]}" -jar "$JAR" "${join[@]}" --listen "127.0.0.1:$listen" >"$WORK/listen-$config.log" 2>&1 &
    lispid=$!
    PIDS+=("$lispid")
    wait_for "$WORK/listen-$config.log" "^mproxy relay: .*: listening on" "$lispid"
    wait_listening "$listen" || die "relay --listen is not listening on $listen"
    log "$config (127.0.0.1:$listen =($scheme://localhost:$gw/relay)=> iperf3, $SESSIONS sessions)"
    # Untimed warm-up so the JIT has compiled the data path before the first measured test (iperf3's -O
    # seconds are also excluded from every test, the baselines' included).
    iperf3 -c 127.0.0.1 -p "$listen" -t 3 -P 4 >"$WORK/warm-up.log" 2>&1 \
        || echo "  (warm-up iperf3 failed: $(tail -1 "$WORK/warm-up.log"))"
    iperf3 -c 127.0.0.1 -p "$listen" -t 2 -P 4 -R >"$WORK/warm-up.log" 2>&1 \
        || echo "  (warm-up iperf3 -R failed: $(tail -1 "$WORK/warm-up.log"))"
    measure "$config" "$listen" "$lispid" "$gwpid" "$conpid"
    logged_problems "gateway/relay clients" "$WORK/gateway-$config.log" "$WORK/connect-$config.log" \
        "$WORK/listen-$config.log"
    stop "$lispid" "$conpid" "$gwpid"
}
run_relay mproxy-tls tls
run_relay mproxy-notls notls

stop "$IPERF_SERVER"

# ---------------------------------------------------------------------------------------------- summary
python3 - "$RESULTS" "$STREAMS" "$REVERSE" <<'EOF'
import sys
results, streams, reverse = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
r = {}
for line in open(results):
    config, metric, value = line.rstrip("\n").split("\t")
    r.setdefault(config, {})[metric] = float(value)
configs = [("direct", "direct"), ("haproxy", "haproxy x3"), ("mproxy-tls", "relay TLS"),
           ("mproxy-notls", "relay no-TLS")]
tput = [("1s_fwd", "1s fwd"), ("1s_rev", "1s rev"), (f"{streams}s_fwd", f"{streams}s fwd"),
        (f"{streams}s_rev", f"{streams}s rev")]
if not reverse:
    tput = [t for t in tput if not t[0].endswith("rev")]

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
print()
print(f"{'':<15}" + "".join(f"{lbl:>9}" for _, lbl in tput))
for c, name in configs:
    print(f"{name:<15}" + "".join(num(g(c, m), ".2f") for m, _ in tput))
print()
print("forwarders' CPU during each test, in cores (haproxy x3 = the three haproxies, relay = gateway + both relay")
print("clients), and CPU-seconds per GB iperf3 moved:")
print(f"{'':<15}" + "".join(f"{lbl:>9}" for _, lbl in tput) + "  |" + "".join(f"{lbl + ' s/GB':>12}" for _, lbl in tput))
for c, name in configs[1:]:
    print(f"{name:<15}" + "".join(num(g(c, m + "_cores"), ".2f") for m, _ in tput) + "  |"
          + "".join(num(g(c, m + "_cpu_s_per_gb"), ".2f", 12) for m, _ in tput))
print()
print("ratios (throughput: higher is better)")
print(f"{'':<30}" + "".join(f"{lbl:>9}" for _, lbl in tput))
for a, b, title in [("haproxy", "direct", "haproxy x3 / direct"), ("mproxy-tls", "direct", "relay TLS / direct"),
                    ("mproxy-notls", "direct", "relay no-TLS / direct"),
                    ("mproxy-tls", "haproxy", "relay TLS / haproxy x3"),
                    ("mproxy-notls", "haproxy", "relay no-TLS / haproxy x3"),
                    ("mproxy-tls", "mproxy-notls", "relay TLS / relay no-TLS")]:
    print(f"{title:<30}" + "".join(num(div(g(a, m), g(b, m)), ".2f") for m, _ in tput))
print()
for c, name in configs:
    for m, lbl in tput:
        n = g(c, m + "_failures")
        if n:
            print(f"FAILED: {name} {lbl}: " + ("both attempts failed (FAIL above)" if n >= 2 or g(c, m) is None
                                               else "1st attempt failed, the retry is the figure above"))
EOF
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results: $out"
