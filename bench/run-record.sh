#!/usr/bin/env bash
# Throughput and CPU of the recording proxy (`mproxy record`), recording on and off, on loopback, in one run,
# against same-run baselines:
#
#   direct               iperf3 client -> iperf3 server                                         (1 TCP connection)
#   haproxy              client -> haproxy -> server, one process, mode tcp: forwarding, nothing recorded   (2)
#   mproxy no-record     client -> mproxy record --no-record -> server: the same relay without its tap       (2)
#   mproxy netrecord     client -> mproxy record (--format netrecord) -> server, every byte recorded to disk (2)
#   mproxy mcrec         client -> mproxy record --format mcrec -> server                                   (2)
#
# For each: iperf3 1 stream and 16 streams (-P 16), client->server (fwd) and server->client (rev, -R); the
# receiver's Gbit/s, and for the forwarders their CPU (from /proc/PID/stat) in CPU-seconds per GB forwarded.
# For the two recording configurations also the bytes written to disk against the bytes forwarded: a
# recording holds both directions, and iperf3's control connection is a connection like the others, so it is
# recorded too (one file per connection: 2 per 1-stream test, 17 per 16-stream test). Recordings are deleted
# after each test. A summary with ratios (recording on / off, mproxy / haproxy, each / direct) ends the output.
#
#   bench/run-record.sh             full run: 10 s per iperf3 test (2 s omitted warm-up + 8 s); ~5 minutes on
#                                   2 cores; a recorded test writes about 1 GB per second of test on this
#                                   machine (deleted after it; free space is checked with df before each)
#   bench/run-record.sh --quick     smoke run: 4 s per test (1 s omitted + 3 s), about 2 minutes
#   bench/run-record.sh --help      all options
#
# Output also goes to bench/results/record-<date>.txt (-quick / -custom for other runs; never overwritten,
# -2, -3, ... appended). Needs iperf3, haproxy, python3 and a JDK 17; the missing ones are installed with
# apt-get when running as root. Builds target/mproxy.jar when missing or older than the sources (set
# MPROXY_JAR=path to measure another jar; nothing is built then). MPROXY_JAVA_OPTS is passed to the mproxy JVMs
# (default: none, i.e. what users run). Recordings go to a directory made with mktemp -d under $TMPDIR (default
# /tmp), removed on exit; a recorded test is skipped, not run, when that file system has too little free space.
#
# All processes share the machine's cores (2 on the reference machine): iperf3 client and server, and the
# forwarder. The absolute numbers depend on that; compare the ratios, from a run without the WARNING lines.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
PATH=$PATH:/usr/sbin:/sbin   # haproxy lives in /usr/sbin, which a user's PATH may lack

TIME=8          # measured seconds per iperf3 test
OMIT=2          # seconds omitted at the start of each iperf3 test (slow start, JIT)
STREAMS=16
MODE=full
RESERVE_GB=2    # free space a recorded test must leave on the recordings' file system (by its estimate)

usage() {
    cat <<EOF
usage: bench/run-record.sh [options]
  --time S        measured seconds per iperf3 test (default $TIME)
  --omit S        seconds omitted at the start of each iperf3 test (default $OMIT)
  --quick         smoke run: --time 3 --omit 1
Environment: MPROXY_JAR (jar to measure, no build), MPROXY_JAVA_OPTS (mproxy JVM flags), TMPDIR (where the
recordings go; default /tmp).
Results: bench/results/record-<date>[-quick|-custom][-N].txt
EOF
}

args=("$@")
while [[ $# -gt 0 ]]; do
    case "$1" in
        --time) TIME=$2; MODE=custom; shift 2 ;;
        --omit) OMIT=$2; MODE=custom; shift 2 ;;
        --quick) TIME=3; OMIT=1; MODE=quick; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ ${#args[@]} -gt 1 && $MODE == quick ]] && MODE=custom
[[ $TIME =~ ^[1-9][0-9]*$ ]] || { echo "--time: a whole number of seconds, at least 1" >&2; exit 2; }
[[ $OMIT =~ ^[0-9]+$ ]] || { echo "--omit: a whole number of seconds" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------- dependencies
install_missing iperf3 haproxy python3 java:openjdk-17-jdk-headless

# ---------------------------------------------------------------------------------------------- the jar
use_jar
# Captured, not piped into grep -q (an early grep exit would fail the pipe under pipefail).
record_help=$(java -jar "$JAR" record --help 2>&1 || true)
[[ $record_help == *--no-record* ]] || { echo "$JAR: its 'record' command has no --no-record" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------- output file
results_to record

# start_work makes WORK absolute, without symlinks: recordings_closed compares it with /proc/PID/fd targets.
start_work record

CLK_TCK=$(getconf CLK_TCK)
RESULTS=$WORK/results.tsv   # CONFIG \t METRIC \t VALUE, read by the summary
: >"$RESULTS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

# free_bytes DIR: bytes available to this user on DIR's file system.
free_bytes() {
    local b
    b=$(df -B1 --output=avail "$1" | tail -1 | tr -d ' ')
    [[ $b =~ ^[0-9]+$ ]] || die "df: no free space figure for $1"
    echo "$b"
}

# gb BYTES: BYTES in GB (1e9), 1 decimal.
gb() {
    awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e9 }'
}

# recordings_closed PID DIR: until PID has no file under DIR open (10 s at most): the relay closes a recording
# once both sides of its connection have ended, a moment after iperf3 itself has finished.
recordings_closed() {
    local pid=$1 dir=$2 i
    for ((i = 0; i < 100; i++)); do
        find "/proc/$pid/fd" -lname "$dir/*" -print -quit 2>/dev/null | grep -q . || return 0
        sleep 0.1
    done
    echo "  (recordings still open 10 s after the test)"
}

# relay_finished LOG FROM N: until LOG has N "connection ... finished" lines after its first FROM lines (10 s at
# most; mproxy logs one per connection once both of its sides have ended).
relay_finished() {
    local log=$1 from=$2 n=$3 i
    for ((i = 0; i < 100; i++)); do
        (($(tail -n +"$((from + 1))" "$log" | grep -c ' finished in ' || true) >= n)) && return 0
        sleep 0.1
    done
}

# iperf CONFIG PORT NAME [FORWARDER_PID [RECORDINGS_DIR RELAY_LOG]] -- iperf3 extra args: one iperf3 test,
# recorded as CONFIG/NAME. With a forwarder: its CPU; with a relay log: the bytes mproxy forwarded (both
# directions, every connection of the test, iperf3's control connection included); with a recordings directory:
# the bytes written there, deleted afterwards.
iperf() {
    local config=$1 port=$2 name=$3 pid="" dir="" relaylog="" conns json t0 t1 c0 c1 from attempt
    shift 3
    if [[ $1 != -- ]]; then pid=$1; shift; fi
    if [[ $1 != -- ]]; then dir=$1; relaylog=$2; shift 2; fi
    [[ $1 == -- ]] || die "iperf: expected --, got $1"
    shift
    conns=1   # iperf3's control connection, then one per stream
    if [[ " $* " == *" -P "* ]]; then conns=$((conns + STREAMS)); else conns=$((conns + 1)); fi
    json=$WORK/iperf-$config-$name.json
    # A failed test is reported, not hidden: retried once, FAIL in the summary if the retry fails too.
    for attempt in 1 2; do
        from=0
        [[ -n $relaylog ]] && from=$(wc -l <"$relaylog")
        c0=$([[ -n $pid ]] && cpu_ticks "$pid" || echo 0)
        t0=$(date +%s.%N)
        iperf3 -c 127.0.0.1 -p "$port" -t "$TIME" -O "$OMIT" -J "$@" >"$json" 2>"$json.err" || true
        t1=$(date +%s.%N)
        c1=$([[ -n $pid ]] && cpu_ticks "$pid" || echo 0)
        local disk=-1 files=-1 relay=-1
        if [[ -n $relaylog ]]; then
            relay_finished "$relaylog" "$from" "$conns"
            relay=$(tail -n +"$((from + 1))" "$relaylog" | python3 -c '
import re, sys
total, n = 0, 0
for line in sys.stdin:
    m = re.search(r" finished in \d+ ms: (\d+) bytes from the client .*?, (\d+) from the server", line)
    if m:
        total += int(m.group(1)) + int(m.group(2)); n += 1
print(total if n else -1)')
        fi
        if [[ -n $dir ]]; then
            recordings_closed "$pid" "$dir"
            disk=$(find "$dir" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')
            files=$(find "$dir" -type f | wc -l)
            find "$dir" -type f -delete
        fi
        if python3 - "$json" "$config" "$name" "$RESULTS" "$((c1 - c0))" "$CLK_TCK" "$t0" "$t1" "$pid" \
                "$relay" "$disk" "$files" <<'EOF'
import json, sys
path, config, name, results, ticks, hz, t0, t1, pid, relay, disk, files = sys.argv[1:]
relay, disk, files = (int(float(x)) for x in (relay, disk, files))
try:
    doc = json.load(open(path))
except ValueError:
    doc = {"error": open(path + ".err").read().strip() or "no JSON output"}
if doc.get("error") or "sum_received" not in doc.get("end", {}):
    print(f"  {name:<8} FAILED: iperf3: {doc.get('error', 'no summary')}")
    sys.exit(1)
gbps = doc["end"]["sum_received"]["bits_per_second"] / 1e9
# Everything iperf3 moved, the omitted seconds included (the forwarder's CPU counts them too); per interval the
# client's side (sender in fwd, receiver in -R).
data = sum(i["sum"]["bytes"] for i in doc["intervals"])
rows = {name: gbps, name + "_bytes": data}
line = f"  {name:<8} {gbps:7.2f} Gbit/s"
if pid:
    cpu_s = int(ticks) / int(hz)
    rows[name + "_cores"] = cpu_s / (float(t1) - float(t0))
    rows[name + "_cpu_s_per_gb"] = cpu_s / (data / 1e9) if data else float("nan")
    line += (f"   forwarder {rows[name + '_cores']:.2f} cores, {rows[name + '_cpu_s_per_gb']:.2f} CPU-s/GB"
             f" ({data / 1e9:.2f} GB of iperf3 data in {float(t1) - float(t0):.1f} s)")
if relay >= 0:
    rows[name + "_relay_bytes"] = relay
if disk >= 0:
    rows[name + "_disk_bytes"] = disk
    rows[name + "_files"] = files
    base = relay if relay > 0 else data
    line += (f"\n  {'':<8} recorded {disk / 1e9:.2f} GB in {files} files = {disk / base:.4f} x the "
             f"{base / 1e9:.2f} GB {'mproxy forwarded (both ways, control connection included)' if relay > 0 else 'iperf3 moved'}")
with open(results, "a") as f:
    for k, v in rows.items():
        f.write(f"{config}\t{k}\t{v}\n")
print(line)
EOF
        then
            return 0
        fi
        record "$config" "${name}_failures" "$attempt"
        sleep 1
    done
}

# measure CONFIG PORT [FORWARDER_PID [RECORDINGS_DIR RELAY_LOG]]: the four iperf3 tests of one configuration.
# Before each recorded test, the free space is checked against an estimate of what it writes.
measure() {
    local config=$1 port=$2 name
    shift 2
    local tests=("1s_fwd" "1s_rev" "${STREAMS}s_fwd" "${STREAMS}s_rev")
    for name in "${tests[@]}"; do
        if [[ $# -ge 2 ]] && ! space_for "$name" $((TIME + OMIT + 2)); then
            record "$config" "${name}_skipped" 1
            continue
        fi
        local extra=()
        [[ $name == "${STREAMS}s_"* ]] && extra+=(-P "$STREAMS")
        [[ $name == *_rev ]] && extra+=(-R)
        iperf "$config" "$port" "$name" "$@" -- "${extra[@]}"
    done
}

# space_for NAME SECONDS: whether the recordings' file system has room for SECONDS of test NAME (warm-up: of
# the fastest test) at the rate measured without recording (mproxy no-record, else direct; 1 GB/s if neither
# was measured), 1.5 x for the formats' overhead and safety, plus RESERVE_GB left free. Says why not if not.
space_for() {
    local name=$1 secs=$2 rate need avail
    rate=$(python3 - "$RESULTS" "$name" "$STREAMS" <<'EOF'
import sys
results, name, streams = sys.argv[1:]
r = {}
for line in open(results):
    c, m, v = line.rstrip("\n").split("\t")
    r.setdefault(c, {})[m] = float(v)
tests = [name] if name != "warm-up" else [f"{n}_{d}" for n in ("1s", f"{streams}s") for d in ("fwd", "rev")]
gbps = [r.get("no-record", {}).get(t) or r.get("direct", {}).get(t) or 0 for t in tests]
print(int((max(gbps) or 8.0) * 1e9 / 8))
EOF
)
    need=$(python3 -c "print(int($rate * $secs * 1.5 + $RESERVE_GB * 1e9))")
    avail=$(free_bytes "$WORK")
    ((avail >= need)) && return 0
    echo "  $name SKIPPED: $(gb "$avail") GB free in $WORK, a recorded $name may need ~$(gb "$need") GB" \
         "(incl. $RESERVE_GB GB left free); set TMPDIR to a roomier file system"
    return 1
}

# ---------------------------------------------------------------------------------------------- header
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo '?')
fstype=$(findmnt -n -o FSTYPE -T "$WORK" 2>/dev/null || stat -f -c %T "$WORK")
echo "# command: bench/run-record.sh ${args[*]}"
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src/main 2>/dev/null || echo ' (src/main modified)')"
echo "# jar: $JAR$([[ -n "${MPROXY_JAR:-}" ]] && echo " (MPROXY_JAR: the commit above is this checkout's, not necessarily the jar's)")  mproxy JVM flags: ${MPROXY_JAVA_OPTS:-(none)}"
echo "# $(java -version 2>&1 | head -1); $(iperf3 --version | head -1); $(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "# cpu: $(nproc) x $cpu_model; kernel $(uname -r)"
echo "# iperf3: -t $TIME -O $OMIT (receiver's figure, omitted seconds excluded), $STREAMS streams for the aggregate;" \
     "CPU-s/GB: the forwarder's CPU over the whole test / all bytes iperf3 moved (omitted seconds included)"
echo "# recordings: $WORK ($fstype, $(gb "$(free_bytes "$WORK")") GB free; deleted after each test; not fsync'ed:" \
     "dirty_ratio $(cat /proc/sys/vm/dirty_ratio 2>/dev/null || echo '?') %, $(free -g | awk '/^Mem:/ {print $2}') GB RAM)"
[[ $fstype == tmpfs || $fstype == ramfs ]] && echo "# WARNING: the recordings go to $fstype, i.e. to memory, not a disk"
echo "# every process (iperf3 client and server, the forwarder) shares the $(nproc) cores; compare the ratios"
idle=$(cpu_idle_percent 2)
echo "# load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); CPU idle over 2 s before it: $idle %" \
     "(anything else running skews the figures)"
((idle < 90)) && echo "# WARNING: the machine was busy before the run (${idle} % idle); the figures include that contention"
# What the whole machine and this script's own processes use from here on: the difference is someone else's.
mark_other_cpu

# ---------------------------------------------------------------------------------------------- server
read -r IPERF_PORT <<<"$(free_ports 1)"
iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1 &
IPERF_SERVER=$!
PIDS+=("$IPERF_SERVER")
wait_listening "$IPERF_PORT" || die "iperf3 server did not start"

# ---------------------------------------------------------------------------------------------- direct
log "direct (iperf3 on 127.0.0.1:$IPERF_PORT)"
measure direct "$IPERF_PORT"

# ---------------------------------------------------------------------------------------------- haproxy
# One haproxy process, one "listen" section (frontend -> one server): the same socket hops as mproxy record.
# haproxy's defaults otherwise (threads = cores, no splicing), as in run-tunnel.sh and run-http.sh.
read -r HA_PORT <<<"$(free_ports 1)"
cat >"$WORK/haproxy.cfg" <<EOF
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 1m
    timeout server 1m
listen iperf
    bind 127.0.0.1:$HA_PORT
    server s 127.0.0.1:$IPERF_PORT
EOF
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
HA=$!
PIDS+=("$HA")
wait_listening "$HA_PORT" || { cat "$WORK/haproxy.log"; die "haproxy did not start"; }
log "haproxy (mode tcp; 127.0.0.1:$HA_PORT -> iperf3)"
measure haproxy "$HA_PORT" "$HA"
stop "$HA"

# ---------------------------------------------------------------------------------------------- mproxy record
# run_record CONFIG [FLAGS...]: mproxy record on a fresh port, recording (unless --no-record) under a fresh
# directory; warm-up, then measure.
run_record() {
    local config=$1 port dir pid logfile recflags=()
    shift
    read -r port <<<"$(free_ports 1)"
    dir=$WORK/rec-$config
    mkdir -m 700 "$dir"
    logfile=$WORK/record-$config.log
    local cmd=(java -jar "$JAR" record 127.0.0.1 "$IPERF_PORT" "$port" "$dir/conn" --bind 127.0.0.1 "$@")
    echo "  \$ ${cmd[*]}"
    java "${MPROXY_JVM[@]}" "${cmd[@]:1}" >"$logfile" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_for "$logfile" "^mproxy record:" "$pid"
    wait_listening "$port" || die "mproxy record is not listening on $port"
    [[ " $* " == *" --no-record "* ]] || recflags=("$dir" "$logfile")
    log "$config ($(grep -m1 '^mproxy record:' "$logfile"))"
    # Untimed warm-up so the JIT has compiled the data path before the first measured test (iperf3's -O
    # seconds are also excluded from every test, the baselines' included); its recordings are deleted.
    if [[ ${#recflags[@]} -eq 0 ]] || space_for warm-up 6; then
        iperf3 -c 127.0.0.1 -p "$port" -t 3 -P 4 >"$WORK/warm-up.log" 2>&1 \
            || echo "  (warm-up iperf3 failed: $(tail -1 "$WORK/warm-up.log"))"
        iperf3 -c 127.0.0.1 -p "$port" -t 2 -P 4 -R >"$WORK/warm-up.log" 2>&1 \
            || echo "  (warm-up iperf3 -R failed: $(tail -1 "$WORK/warm-up.log"))"
        if [[ ${#recflags[@]} -gt 0 ]]; then
            recordings_closed "$pid" "$dir"
            find "$dir" -type f -delete
        fi
    fi
    measure "$config" "$port" "$pid" "${recflags[@]}"
    # What the relay logged besides its "connection ... finished" lines: failures, exceptions.
    local pattern='Exception|SEVERE|WARNING|failed|cannot'
    if grep -E "$pattern" "$logfile" | grep -qv ' finished in '; then
        echo "  mproxy record logged ($(grep -E "$pattern" "$logfile" | grep -cv ' finished in ') lines; first 3):"
        grep -E "$pattern" "$logfile" | grep -v ' finished in ' | head -3 | sed 's/^/    /'
    fi
    stop "$pid"
}
run_record no-record --no-record
run_record netrecord --format netrecord
run_record mcrec --format mcrec

stop "$IPERF_SERVER"
# Every process started above has been waited for now, so own_cpu_ticks includes them (iperf3 too).
other_cpu=$(other_cpu_since_mark)

# ---------------------------------------------------------------------------------------------- summary
python3 - "$RESULTS" "$STREAMS" <<'EOF'
import sys
results, streams = sys.argv[1:]
r = {}
for line in open(results):
    config, metric, value = line.rstrip("\n").split("\t")
    r.setdefault(config, {})[metric] = float(value)
names = {"direct": "direct", "haproxy": "haproxy", "no-record": "mproxy no-record",
         "netrecord": "mproxy netrecord", "mcrec": "mproxy mcrec"}
tput = [("1s_fwd", "1s fwd"), ("1s_rev", "1s rev"), (f"{streams}s_fwd", f"{streams}s fwd"),
        (f"{streams}s_rev", f"{streams}s rev")]

def g(c, m):
    return r.get(c, {}).get(m)

def div(a, b):
    return None if a is None or b is None or b == 0 else a / b

def num(v, fmt, w=10, c=None, m=None):
    if v is None:
        v = "skipped" if c is not None and g(c, m + "_skipped") else "FAIL"
        return f"{v:>{w}}"
    return f"{format(v, fmt):>{w}}"

def head(first):
    print(f"{first:<34}" + "".join(f"{lbl:>10}" for _, lbl in tput))

def rows(metric, configs, fmt):
    for c in configs:
        print(f"{names[c]:<34}" + "".join(num(g(c, m + metric), fmt, 10, c, m) for m, _ in tput))

print()
print("=" * 80)
print(f"SUMMARY  iperf3 receiver's Gbit/s (fwd = client->server, rev = -R; 1s = 1 stream, {streams}s = {streams} streams)")
print()
head("Gbit/s")
rows("", list(names), ".2f")
print()
head("forwarder's CPU-s per GB forwarded")
rows("_cpu_s_per_gb", list(names)[1:], ".2f")
print()
head("forwarder's cores during the test")
rows("_cores", list(names)[1:], ".2f")
print()
print("recordings: bytes on disk / bytes mproxy forwarded (both directions of every connection, iperf3's")
print("control connection included: it is recorded too); GB on disk per test")
head("")
for c in ("netrecord", "mcrec"):
    print(f"{names[c] + ' disk / forwarded':<34}"
          + "".join(num(div(g(c, m + "_disk_bytes"), g(c, m + "_relay_bytes") or g(c, m + "_bytes")), ".4f", 10, c, m)
                    for m, _ in tput))
    print(f"{names[c] + ' GB on disk':<34}"
          + "".join(num(div(g(c, m + "_disk_bytes"), 1e9), ".2f", 10, c, m) for m, _ in tput))
print()
print("ratios of throughput (higher is better) | of CPU-s per GB (lower is better)")
print(f"{'':<34}" + "".join(f"{lbl:>8}" for _, lbl in tput) + "  |" + "".join(f"{lbl:>8}" for _, lbl in tput))
pairs = [("netrecord", "no-record", "recording on / off: netrecord"), ("mcrec", "no-record", "recording on / off: mcrec"),
         ("no-record", "haproxy", "mproxy no-record / haproxy"), ("netrecord", "haproxy", "mproxy netrecord / haproxy"),
         ("mcrec", "haproxy", "mproxy mcrec / haproxy"), ("haproxy", "direct", "haproxy / direct"),
         ("no-record", "direct", "mproxy no-record / direct"), ("netrecord", "direct", "mproxy netrecord / direct"),
         ("mcrec", "direct", "mproxy mcrec / direct")]
for a, b, title in pairs:
    cpu = "".join(num(div(g(a, m + "_cpu_s_per_gb"), g(b, m + "_cpu_s_per_gb")), ".2f", 8, a, m) for m, _ in tput) \
        if b != "direct" else "".join(f"{'':>8}" for _ in tput)
    print(f"{title:<34}" + "".join(num(div(g(a, m), g(b, m)), ".2f", 8, a, m) for m, _ in tput) + "  |" + cpu)
print()
for c, name in names.items():
    for m, lbl in tput:
        n = g(c, m + "_failures")
        if n:
            print(f"FAILED: {name} {lbl}: " + ("both attempts failed (FAIL above)" if n >= 2 or g(c, m) is None
                                               else "1st attempt failed, the retry is the figure above"))
        if g(c, m + "_skipped"):
            print(f"SKIPPED: {name} {lbl}: too little free space for its recording")
EOF
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# CPU used by processes other than this run's (kernel softirq and writeback work included, a few % is" \
     "normal): $other_cpu"
echo "results: $out"
