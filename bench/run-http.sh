#!/usr/bin/env bash
# HTTP requests per second through mproxy's Host-routed public port, on loopback, in one run, against same-run
# baselines. wrk is the client and a local nginx (started here with its own config) serves static files:
#
#   direct         wrk -> nginx                                                           (1 TCP connection)
#   haproxy        wrk -> haproxy -> nginx: one reverse proxy, what you would run without a tunnel (2 connections)
#   haproxy x2     wrk -> haproxy -> haproxy -> nginx: two processes, as in run-tunnel.sh  (3 connections)
#   mproxy TLS     wrk -> gateway HTTP port =(wss tunnel)=> connector -> nginx  (2 connections + the shared tunnel)
#   mproxy no-TLS  the same over ws:// (gateway --no-tls), only with --with-no-tls
#
# Both haproxy baselines are measured because neither alone is "the same work" as mproxy. The chain has mproxy's
# shape (two forwarding processes, three sockets, every byte copied twice in user space) and makes the ratios
# comparable with run-tunnel.sh; the single haproxy is the real alternative for a server that is reachable, and
# says what the tunnel costs over it. haproxy runs in `mode tcp` by default: mproxy reads the Host header of a
# connection's first request to pick the device and then forwards bytes without parsing HTTP, and with one new
# backend connection per client connection; `mode tcp` does the same minus the Host lookup. `mode http` parses
# every request and, with `Connection: close` from the client, may keep and reuse its connections to nginx
# (http-reuse), which would take the connect cost out of the baseline; --haproxy-mode http measures it anyway.
#
# Every configuration is measured in two modes, with the same Host header everywhere (Host: bench.localhost):
#   keep-alive  wrk's default: connections are reused; measures forwarding of requests and responses
#   close       wrk -H 'Connection: close': nginx closes after each response, so every request is a new
#               connection through every hop (for mproxy: a new stream on the tunnel and a connect to nginx)
# for each file size (1 KiB and 64 KiB). Reported: requests/s, latency p50/p99 (wrk's --latency; a closed loop,
# so latency includes queueing behind the other connections), the forwarders' CPU (cores and CPU-us per request,
# from /proc/PID/stat), errors; the summary ends with ratios mproxy/direct and mproxy/haproxy.
#
# wrk: 1 thread, 16 connections (--threads, --connections). The reference machine has 2 cores, shared by wrk,
# nginx and the forwarders: one wrk thread (one epoll loop) easily keeps 16 connections busy and leaves a core
# for the rest; nginx runs one worker for the same reason. 16 requests in flight keep every hop of the proxied
# paths busy; more only adds queueing latency, fewer leaves hops idle while others work.
#
#   bench/run-http.sh             full run: 15 s warm-up per mode and configuration, then 10 s per test; ~5 min
#   bench/run-http.sh --quick     smoke run: 3 s per test, same 15 s warm-up (less leaves the JVMs half-compiled:
#                                 2 s gave mproxy 0.55x its warmed-up rate); about 3 minutes
#   bench/run-http.sh --help      all options
#
# Output also goes to bench/results/http-<date>.txt (-quick / -custom for other runs; never overwritten, -2, -3,
# ... appended). Needs wrk, nginx, haproxy, python3 and a JDK 17; the missing ones are installed with apt-get
# when running as root. Builds target/mproxy.jar when missing or older than the sources (MPROXY_JAR=path measures
# another jar; nothing is built then). MPROXY_JAVA_OPTS is passed to the gateway and connector JVMs (default: the
# launcher's, what users run). A jar without the Host-routed port (gateway --http-port, connect --http) gives "n/a" mproxy rows; the
# baselines are still measured.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
PATH=$PATH:/usr/sbin:/sbin   # nginx and haproxy live in /usr/sbin, which a user's PATH may lack

DURATION=10     # measured seconds per wrk test
WARMUP=15       # untimed seconds of each mode before a configuration's tests: C2 compiles for ~30 s of close mode
                # on a busy 2-core machine, and a compiler thread took more CPU than the event loops (profile-http.sh)
THREADS=1
CONNECTIONS=16
SIZES=1k,64k
WITH_NOTLS=0
HAPROXY_MODE=tcp
MODE=full
HOST=bench.localhost   # the name the device serves; every configuration gets it as the Host header

usage() {
    cat <<EOF
usage: bench/run-http.sh [options]
  --duration S       measured seconds per wrk test (default $DURATION)
  --warmup S         untimed wrk seconds per mode before each configuration's tests (default $WARMUP)
  --threads N        wrk threads (default $THREADS)
  --connections N    wrk connections (default $CONNECTIONS)
  --sizes LIST       file sizes, comma-separated, k = 1024 bytes (default $SIZES)
  --with-no-tls      also measure the tunnel without TLS (gateway --no-tls, connect ws://)
  --haproxy-mode M   tcp (default) or http (routes by Host, parses every request)
  --quick            smoke run: --duration 3 (the warm-up stays 15 s: the JIT needs it)
Environment: MPROXY_JAR (jar to measure, no build), MPROXY_JAVA_OPTS (gateway/connector JVM flags).
Results: bench/results/http-<date>[-quick|-custom][-N].txt
EOF
}

args=("$@")
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) DURATION=$2; MODE=custom; shift 2 ;;
        --warmup) WARMUP=$2; MODE=custom; shift 2 ;;
        --threads) THREADS=$2; MODE=custom; shift 2 ;;
        --connections) CONNECTIONS=$2; MODE=custom; shift 2 ;;
        --sizes) SIZES=$2; MODE=custom; shift 2 ;;
        --with-no-tls) WITH_NOTLS=1; MODE=custom; shift ;;
        --haproxy-mode) HAPROXY_MODE=$2; MODE=custom; shift 2 ;;
        --quick) DURATION=3; MODE=quick; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ ${#args[@]} -gt 1 && $MODE == quick ]] && MODE=custom
[[ $HAPROXY_MODE == tcp || $HAPROXY_MODE == http ]] || { echo "--haproxy-mode: tcp or http" >&2; exit 2; }

IFS=, read -r -a SIZE_LIST <<<"$SIZES"
for s in "${SIZE_LIST[@]}"; do
    [[ $s =~ ^[0-9]+[kK]?$ ]] || { echo "--sizes: '$s' is not a size like 1k or 512" >&2; exit 2; }
done

# ---------------------------------------------------------------------------------------------- dependencies
# Installing nginx does not start anything used here (on a machine with systemd it starts the system service on
# port 80, which this script never touches): the nginx measured is started below with its own config.
install_missing wrk nginx haproxy python3 java:openjdk-17-jdk-headless

# ---------------------------------------------------------------------------------------------- the jar
use_jar

# The Host-routed port is new: a jar without it gets n/a mproxy rows instead of a failed run, so the baselines
# can be measured (and this script checked) before the feature lands. Help output is captured, not piped into
# grep -q, so an early grep exit cannot fail the check under pipefail.
MPROXY_NA=""
gateway_help=$(java -jar "$JAR" gateway --help 2>&1 || true)
connect_help=$(java -jar "$JAR" connect --help 2>&1 || true)
if [[ $gateway_help != *--http-port* ]]; then
    MPROXY_NA="n/a (this jar has no --http-port)"
elif ! grep -qE -- '--http[= ]' <<<"$connect_help"; then
    MPROXY_NA="n/a (this jar's connect has no --http)"
fi

# ---------------------------------------------------------------------------------------------- output file
results_to http

start_work http

CLK_TCK=$(getconf CLK_TCK)
RESULTS=$WORK/results.tsv   # CONFIG \t TEST \t METRIC \t VALUE, read by the summary
: >"$RESULTS"

# ---------------------------------------------------------------------------------------------- wrk
# wrk prints a human summary; this done() hook adds one machine-readable line with exact figures (latency in us).
cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d "
        .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
        summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
        latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

# show_cmd ARG...: prints a command line for the record, single-quoting arguments with spaces.
show_cmd() {
    local a line=""
    for a in "$@"; do
        [[ $a == *[[:space:]]* ]] && a="'$a'"
        line+=" $a"
    done
    echo "  \$$line"
}

# wrk_cmd MODE SECONDS PORT PATH: sets WRK_CMD to the wrk command line of one run (MODE keepalive or close).
wrk_cmd() {
    local mode=$1 secs=$2 port=$3 path=$4
    WRK_CMD=(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${secs}s" --latency -H "Host: $HOST")
    [[ $mode == close ]] && WRK_CMD+=(-H 'Connection: close')
    WRK_CMD+=(-s "$WORK/report.lua" "http://127.0.0.1:$port$path")
}

# wrk_test CONFIG MODE SIZE PORT FORWARDER_PIDS...: one measured wrk run, recorded as CONFIG / SIZE-MODE.
wrk_test() {
    local config=$1 mode=$2 size=$3 port=$4 test t0 t1 c0 c1 log
    shift 4
    test=$size-$mode
    log=$WORK/wrk-$config-$test.log
    wrk_cmd "$mode" "$DURATION" "$port" "/$size"
    # The exact command of each mode, once per configuration (the first size), for the record.
    [[ $size == "${SIZE_LIST[0]}" ]] && show_cmd "${WRK_CMD[@]}"
    c0=$( (($#)) && cpu_ticks "$@" || echo 0)
    t0=$(date +%s.%N)
    "${WRK_CMD[@]}" >"$log" 2>&1 || true
    t1=$(date +%s.%N)
    c1=$( (($#)) && cpu_ticks "$@" || echo 0)
    python3 - "$log" "$config" "$test" "$RESULTS" "$((c1 - c0))" "$CLK_TCK" "$t0" "$t1" "$#" <<'EOF' || true
import sys
log, config, test, results, ticks, hz, t0, t1, nfwd = sys.argv[1:]
text = open(log).read()
line = next((l for l in text.splitlines() if l.startswith("RESULT ")), None)
if line is None:
    print(f"  {test:<16} FAILED: wrk printed no result:")
    print("".join("    " + l + "\n" for l in text.splitlines()[-8:]), end="")
    sys.exit(1)
v = {k: int(x) for k, x in (kv.split("=") for kv in line.split()[1:])}
rps = v["requests"] / (v["duration_us"] / 1e6)
errors = v["connect"] + v["read"] + v["write"] + v["status"] + v["timeout"]
rows = {"rps": rps, "p50_us": v["p50_us"], "p99_us": v["p99_us"], "errors": errors}
extra = ""
if int(nfwd):
    cpu_s = int(ticks) / int(hz)
    rows["cores"] = cpu_s / (float(t1) - float(t0))
    rows["cpu_us_per_req"] = cpu_s * 1e6 / max(v["requests"], 1)
    extra = f"   forwarders {rows['cores']:.2f} cores, {rows['cpu_us_per_req']:.1f} CPU-us/request"
with open(results, "a") as f:
    for k, x in rows.items():
        f.write(f"{config}\t{test}\t{k}\t{x}\n")
err = "" if errors == 0 else (f"   ERRORS: {errors} (connect {v['connect']}, read {v['read']}, write {v['write']}, "
                              f"non-2xx {v['status']}, timeout {v['timeout']})")
label = test.replace("-keepalive", " keep-alive").replace("-close", " close")
print(f"  {label:<16} {rps:9.0f} req/s   p50 {v['p50_us']:6d} us   p99 {v['p99_us']:6d} us{extra}{err}")
EOF
}

# measure CONFIG PORT FORWARDER_PIDS...: check the path, warm up, then every size in both modes.
measure() {
    local config=$1 port=$2 size mode
    shift 2
    check_http "$port" "${SIZE_LIST[0]}" || die "$config: GET /${SIZE_LIST[0]} through port $port failed"
    # Untimed warm-up in both modes (the JVMs' JIT, and the same treatment for everyone); wrk has no -O.
    for mode in keepalive close; do
        wrk_cmd "$mode" "$WARMUP" "$port" "/${SIZE_LIST[0]}"
        "${WRK_CMD[@]}" >/dev/null 2>&1 || true
    done
    for size in "${SIZE_LIST[@]}"; do
        for mode in keepalive close; do
            wrk_test "$config" "$mode" "$size" "$port" "$@"
        done
    done
}

# check_http PORT SIZE: one GET /SIZE with our Host header returns 200 and the whole file (retried for 10 s:
# a tunnel may take a moment to route a name after the connector says it is serving).
check_http() {
    python3 - "$1" "/$2" "$(size_bytes "$2")" "$HOST" <<'EOF'
import http.client, sys, time
port, path, size, host = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
last = None
for _ in range(50):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        body = r.read()
        if r.status == 200 and len(body) == size:
            sys.exit(0)
        last = f"status {r.status}, {len(body)} bytes"
    except OSError as e:
        last = str(e)
    time.sleep(0.2)
print(f"  GET {path} (Host: {host}) on 127.0.0.1:{port}: {last}")
sys.exit(1)
EOF
}

# ---------------------------------------------------------------------------------------------- header
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo '?')
echo "# command: bench/run-http.sh ${args[*]}"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src/main 2>/dev/null || echo ' (src/main modified)')"
echo "# jar: $JAR$([[ -n "${MPROXY_JAR:-}" ]] && echo " (MPROXY_JAR: the commit above is this checkout's, not necessarily the jar's)")  gateway/connector JVM flags: ${MPROXY_JVM[*]:-(none: the JVM defaults)}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-(glibc default)}"
echo "# $(java -version 2>&1 | head -1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-3); $(nginx -v 2>&1 | head -1); $(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "# cpu: $(nproc) x $cpu_model; kernel $(uname -r)"
echo "# wrk: $THREADS thread(s), $CONNECTIONS connections, ${DURATION} s per test after ${WARMUP} s of warm-up per mode;" \
     "Host: $HOST; files: $SIZES; nginx: 1 worker; haproxy: mode $HAPROXY_MODE"
echo "# every process (wrk, nginx, the forwarders) shares the $(nproc) cores; compare the ratios"
idle=$(cpu_idle_percent 2)
echo "# load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); CPU idle over 2 s before it: $idle %" \
     "(anything else running skews the figures)"
((idle < 90)) && echo "# WARNING: the machine was busy before the run (${idle} % idle); the figures include that contention"
[[ -n $MPROXY_NA ]] && echo "# mproxy: $MPROXY_NA; its rows are n/a"

# ---------------------------------------------------------------------------------------------- nginx
# What the whole machine and this script's own processes use from here on: the difference is someone else's.
mark_other_cpu

read -r NGINX_PORT <<<"$(free_ports 1)"
start_nginx "$NGINX_PORT" "${SIZE_LIST[@]}"

# ---------------------------------------------------------------------------------------------- direct
log "direct (nginx on 127.0.0.1:$NGINX_PORT)"
measure direct "$NGINX_PORT"

# ---------------------------------------------------------------------------------------------- haproxy
# haproxy_cfg NAME LISTEN_PORT TARGET_PORT: one frontend to one server, haproxy's defaults otherwise (threads =
# cores, no splicing), as in run-tunnel.sh. In http mode the frontend routes by Host like the gateway does.
haproxy_cfg() {
    if [[ $HAPROXY_MODE == tcp ]]; then
        cat >"$WORK/$1.cfg" <<EOF
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 1m
    timeout server 1m
listen http
    bind 127.0.0.1:$2
    server s 127.0.0.1:$3
EOF
    else
        cat >"$WORK/$1.cfg" <<EOF
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 1m
    timeout server 1m
    timeout http-request 10s
frontend http
    bind 127.0.0.1:$2
    use_backend device if { hdr(host) -i $HOST }
backend device
    server s 127.0.0.1:$3
EOF
    fi
}

# start_haproxy NAME LISTEN_PORT TARGET_PORT: prints nothing; sets HAPROXY_PID.
start_haproxy() {
    haproxy_cfg "$1" "$2" "$3"
    haproxy -f "$WORK/$1.cfg" -db >"$WORK/$1.log" 2>&1 &
    HAPROXY_PID=$!
    PIDS+=("$HAPROXY_PID")
    wait_port "$2" || { cat "$WORK/$1.log"; die "haproxy $1 did not start"; }
}

read -r HA_P <<<"$(free_ports 1)"
start_haproxy single "$HA_P" "$NGINX_PORT"
ha=$HAPROXY_PID
log "haproxy (mode $HAPROXY_MODE; 127.0.0.1:$HA_P -> nginx)"
measure haproxy "$HA_P" "$ha"
stop "$ha"

read -r H1_P H2_P <<<"$(free_ports 2)"
start_haproxy hop2 "$H2_P" "$NGINX_PORT"
ha2=$HAPROXY_PID
start_haproxy hop1 "$H1_P" "$H2_P"
ha1=$HAPROXY_PID
log "haproxy x2 (mode $HAPROXY_MODE; 127.0.0.1:$H1_P -> :$H2_P -> nginx)"
measure haproxy2 "$H1_P" "$ha1" "$ha2"
stop "$ha1" "$ha2"

# ---------------------------------------------------------------------------------------------- mproxy
# run_mproxy CONFIG tls|notls: gateway with a Host-routed HTTP port (no SNI port: --tls-port 0) and a connector
# serving $HOST from nginx, then measure through the HTTP port.
run_mproxy() {
    local config=$1 tls=$2 dir gw http gwpid conpid fp token scheme trust=()
    if [[ -n $MPROXY_NA ]]; then
        log "$config: $MPROXY_NA"
        printf '%s\t-\tna\t%s\n' "$config" "$MPROXY_NA" >>"$RESULTS"
        return 0
    fi
    dir=$WORK/data-$config
    mkdir -m 700 "$dir"
    read -r gw http <<<"$(free_ports 2)"
    local gwflags=(--listen "127.0.0.1:$gw" --data-dir "$dir" --bind 127.0.0.1 --hostname localhost
                   --http-port "$http" --tls-port 0)
    [[ $tls == notls ]] && gwflags+=(--no-tls)
    show_cmd java -jar "$JAR" gateway "${gwflags[@]}"
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
    local tokflags=(--data-dir "$dir" --device bench --domain "$HOST" --ttl 1h)
    show_cmd java -jar "$JAR" token "${tokflags[@]}"
    token=$(java -jar "$JAR" token "${tokflags[@]}")
    local conflags=(--gateway "$scheme://localhost:$gw" "${trust[@]}") mapping=(--http "$HOST=127.0.0.1:$NGINX_PORT")
    show_cmd java -jar "$JAR" connect "${conflags[@]}" --token TOKEN "${mapping[@]}"
    java "${MPROXY_JVM[@]}" -jar "$JAR" connect "${conflags[@]}" --token "$token" "${mapping[@]}" \
        >"$WORK/connect-$config.log" 2>&1 &
    conpid=$!
    PIDS+=("$conpid")
    wait_for "$WORK/connect-$config.log" "serving as device" "$conpid"
    wait_port "$http" || die "the gateway's HTTP port $http is not listening"
    log "$config ($scheme://localhost:$gw, HTTP port $http -> nginx)"
    measure "$config" "$http" "$gwpid" "$conpid"
    # What the forwarders logged about failed streams (E_... codes, exceptions), if anything.
    local pattern='E_[A-Z_]+|Exception|SEVERE|WARNING'
    if grep -qE "$pattern" "$WORK/gateway-$config.log" "$WORK/connect-$config.log"; then
        echo "  gateway/connector logged ($(cat "$WORK/gateway-$config.log" "$WORK/connect-$config.log" \
            | grep -cE "$pattern") lines; first 3):"
        grep -hE "$pattern" "$WORK/gateway-$config.log" "$WORK/connect-$config.log" | head -3 | sed 's/^/    /'
    fi
    report_memory "$config" "$gwpid" "$conpid"
    stop "$conpid" "$gwpid"
}
run_mproxy mproxy-tls tls
((WITH_NOTLS)) && run_mproxy mproxy-notls notls

stop "$NGINX"
# Every process started above has been waited for now, so own_cpu_ticks includes them (wrk and nginx too).
other_cpu=$(other_cpu_since_mark)

# ---------------------------------------------------------------------------------------------- summary
python3 - "$RESULTS" "$SIZES" "$HAPROXY_MODE" "$THREADS" "$CONNECTIONS" <<'EOF'
import sys
results, sizes, hmode, threads, conns = sys.argv[1:]
r, na = {}, {}
for line in open(results):
    config, test, metric, value = line.rstrip("\n").split("\t")
    if metric == "na":
        na[config] = value
    else:
        r.setdefault(config, {}).setdefault(test, {})[metric] = float(value)
hx = "" if hmode == "tcp" else " (http)"
names = {"direct": "direct", "haproxy": "haproxy" + hx, "haproxy2": "haproxy x2" + hx,
         "mproxy-tls": "mproxy TLS", "mproxy-notls": "mproxy no-TLS"}
configs = [c for c in names if c in r or c in na]
tests = [(f"{s}-{m}", f"{s} {'keep-alive' if m == 'keepalive' else 'close'}")
         for s in sizes.split(",") for m in ("keepalive", "close")]

def g(c, t, m):
    return r.get(c, {}).get(t, {}).get(m)

def div(a, b):
    return None if a is None or b is None or b == 0 else a / b

def cell(v, fmt, w, c=None):
    if v is None:
        v = "n/a" if c in na else "FAIL" if c is not None else "-"
        return f"{v:>{w}}"
    return f"{format(v, fmt):>{w}}"

print()
print("=" * 110)
print(f"SUMMARY  wrk {threads} thread(s), {conns} connections, Host-routed; keep-alive = connections reused,")
print("         close = 'Connection: close', a new connection per request; latency in us (closed loop: includes")
print("         queueing); forwarders' CPU = haproxy process(es) or gateway + connector")
print()
print(f"{'config':<20}{'test':<16}{'req/s':>10}{'p50 us':>9}{'p99 us':>9}{'fwd cores':>11}{'CPU-us/req':>12}"
      f"{'errors':>8}")
for c in configs:
    if c in na:
        print(f"{names[c]:<20}{'(all)':<16}{na[c]:>10}")
        print()
        continue
    for t, lbl in tests:
        print(f"{names[c]:<20}{lbl:<16}" + cell(g(c, t, "rps"), ".0f", 10, c) + cell(g(c, t, "p50_us"), ".0f", 9, c)
              + cell(g(c, t, "p99_us"), ".0f", 9, c) + cell(g(c, t, "cores"), ".2f", 11)
              + cell(g(c, t, "cpu_us_per_req"), ".1f", 12) + cell(g(c, t, "errors"), ".0f", 8, c))
    print()

pairs = [("haproxy", "direct"), ("haproxy2", "direct"),
         ("mproxy-tls", "direct"), ("mproxy-tls", "haproxy"), ("mproxy-tls", "haproxy2"),
         ("mproxy-notls", "direct"), ("mproxy-notls", "haproxy"), ("mproxy-notls", "haproxy2"),
         ("mproxy-tls", "mproxy-notls")]
pairs = [(a, b) for a, b in pairs if a in configs and b in configs]

def ratio_cell(a, b, t, m, w):
    if a in na or b in na:
        return f"{'n/a':>{w}}"
    return cell(div(g(a, t, m), g(b, t, m)), ".2f", w, a)

def table(title, metric, rows):
    print(title)
    print(f"{'':<30}" + "".join(f"{lbl:>16}" for _, lbl in tests))
    for a, b in rows:
        print(f"{names[a] + ' / ' + names[b]:<30}" + "".join(ratio_cell(a, b, t, metric, 16) for t, _ in tests))
    print()

table("ratios of requests/s (higher is better; mproxy / haproxy x2 is the like-for-like one)", "rps", pairs)
table("ratios of latency p50 (lower is better)", "p50_us", pairs)
table("ratios of latency p99 (lower is better)", "p99_us", pairs)
table("ratios of the forwarders' CPU per request (lower is better)", "cpu_us_per_req",
      [(a, b) for a, b in pairs if b != "direct"])
for c in configs:
    bad = [lbl for t, lbl in tests if (g(c, t, "errors") or 0) > 0]
    if bad:
        print(f"ERRORS: {names[c]}: wrk counted errors in {', '.join(bad)} (see the errors column)")
    if c in na:
        print(f"{names[c]}: {na[c]}")
EOF
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# CPU used by processes other than this run's (kernel softirq work on ksoftirqd included, a few % is" \
     "normal): $other_cpu"
echo "results: $out"
