#!/usr/bin/env bash
# Where the time of an HTTP request through mproxy goes: the set-up of run-http.sh (wrk -> gateway HTTP port =(wss
# tunnel)=> connector -> nginx, a 1 KiB or 64 KiB file, Host-routed), one mode at a time, and for each forwarder:
#
#   CPU by thread    user and system ticks of every JVM thread over the measured run (event loops, JIT compiler
#                    threads, GC), per request: says whether the time is ours, the kernel's or the JVM's
#   system calls     strace -c -f over a few seconds, divided by the connections accepted (gateway) or made
#                    (connector) in that time; strace slows the run, but the calls per connection stay the same
#   JFR              a recording of each JVM over the warm-up and the measured run (bench/profile.jfc: Java
#                    samples every 1 ms, native every 2 ms, allocation samples), with its top frames printed
#   perf (--perf)    instead of JFR: perf record -e cpu-clock on each JVM over the measured run, the JIT's
#                    symbols from jcmd Compiler.perfmap, and the top symbols of everything the process ran (the
#                    JVM itself, the kernel, BoringSSL and compiled Java): JFR sees only Java frames
#   async-profiler (--async-profiler)  instead of JFR: async-profiler (Maven Central's
#                    tools.profiler:async-profiler jar, fetched with mvn) loaded into each JVM for the measured run:
#                    CPU samples with whole stacks, Java, native and kernel; the collapsed stacks are kept (not
#                    committed: 5 MB each), and the top frames printed, self time and inclusive (mproxy's methods)
#
#   bench/profile-http.sh close          new connection per request (wrk -H 'Connection: close')
#   bench/profile-http.sh keepalive      reused connections
#   options: --seconds S (measured, default 15)  --warmup S (default 20: the JIT must be done, see bench/README.md)
#            --size 1k|64k (the file requested, default 1k)  --perf (perf instead of JFR; needs linux-perf)
#            --async-profiler (async-profiler instead of JFR)
#
# Files (the JFR recordings, strace and per-thread tables) stay in bench/results/profile-<date>-<mode>[-N]/.
# Needs wrk, nginx, strace, python3 and a JDK 17 (jcmd, jfr); the missing ones are installed when running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
PATH=$PATH:/usr/sbin:/sbin

MODE_HTTP=${1:-}
[[ $MODE_HTTP == close || $MODE_HTTP == keepalive ]] || { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
shift
SECONDS_MEASURED=15
WARMUP=20
SIZE=1k
PERF=0
ASPROF=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) SECONDS_MEASURED=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --perf) PERF=1; shift ;;
        --async-profiler) ASPROF=1; shift ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
[[ $SIZE == 1k || $SIZE == 64k ]] || { echo "--size: expected 1k or 64k, got $SIZE" >&2; exit 2; }
[[ $PERF == 0 || -z $ASPROF ]] || { echo "--perf and --async-profiler: one profiler at a time" >&2; exit 2; }
MODE=full
install_missing wrk nginx strace python3 java:openjdk-17-jdk-headless
[[ $PERF == 0 ]] || install_missing perf:linux-perf
use_jar
start_work profile
if [[ -n $ASPROF ]]; then
    ASPROF_VERSION=4.2
    ASPROF_JAR=$HOME/.m2/repository/tools/profiler/async-profiler/$ASPROF_VERSION/async-profiler-$ASPROF_VERSION.jar
    [[ -f $ASPROF_JAR ]] || mvn -B -q dependency:get -Dartifact="tools.profiler:async-profiler:$ASPROF_VERSION" >&2 \
        || die "cannot fetch async-profiler $ASPROF_VERSION from Maven Central"
    (cd "$WORK" && unzip -q -o "$ASPROF_JAR" 'linux-x64/*')
    ASPROF=$WORK/linux-x64/libasyncProfiler.so
    [[ $(uname -m) == x86_64 ]] || die "--async-profiler: only linux-x64 is set up here"
fi
OUTDIR=bench/results/profile-$(date +%Y-%m-%d)-$MODE_HTTP$([[ $SIZE == 1k ]] || echo "-$SIZE")
n=2
while [[ -e $OUTDIR ]]; do # never overwritten: -2, -3, ... appended
    OUTDIR=bench/results/profile-$(date +%Y-%m-%d)-$MODE_HTTP$([[ $SIZE == 1k ]] || echo "-$SIZE")-$n
    n=$((n + 1))
done
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/summary.txt") 2>&1
echo "# bench/profile-http.sh $MODE_HTTP --size $SIZE --seconds $SECONDS_MEASURED --warmup $WARMUP; $(date -u +%FT%TZ);" \
     "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); jar $JAR$([[ -n ${MPROXY_JAR:-} ]] && echo " (MPROXY_JAR, not necessarily built from that commit)"); $(java -version 2>&1 | head -1); JVM flags: ${MPROXY_JVM[*]:-(none: the JVM defaults)}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-(glibc default)}"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) (profiles of a busy machine show the other load's effects)"

# ---- nginx with one worker, no access log (as run-http.sh)
read -r NGINX_PORT GW HTTP <<<"$(free_ports 3)"
start_nginx "$NGINX_PORT" "$SIZE"

# ---- gateway and connector, as run-http.sh starts them
start_http_path "$JAR" "$WORK/data" ""

WRK=(wrk -t1 -c16 -H "Host: bench.localhost")
[[ $MODE_HTTP == close ]] && WRK+=(-H 'Connection: close')
URL=http://127.0.0.1:$HTTP/$SIZE
# JFR starts with the warm-up: a recording's first seconds load and compile JFR's own code, which measured as more
# JIT work than the forwarding itself when the recording began with the measured run. Its file holds both.
if [[ $PERF == 0 && -z $ASPROF ]]; then
    for pid in "$GWPID" "$CONPID"; do
        jcmd "$pid" JFR.start name=profile settings="$PWD/bench/profile.jfc" >/dev/null
    done
fi
log "warm-up ${WARMUP}s"
"${WRK[@]}" -d "${WARMUP}s" "$URL" >/dev/null

# thread_ticks PID: "tid user system name" for every thread of PID.
thread_ticks() {
    local t s
    for t in /proc/"$1"/task/*; do
        s=$(cat "$t/stat" 2>/dev/null) || continue
        python3 -c 'import sys; l=sys.argv[1]; r=l[l.rindex(")")+2:].split(); print(l.split()[0], r[11], r[12], l[l.index("(")+1:l.rindex(")")])' "$s"
    done
}
# thread_table BEFORE AFTER REQUESTS: CPU per thread group (digits folded), in ticks and in CPU-us per request.
thread_table() {
    python3 - "$1" "$2" "$3" "$(getconf CLK_TCK)" <<'PY'
import collections, re, sys
def read(path):
    rows = {}
    for line in open(path):
        tid, user, system, name = line.rstrip("\n").split(" ", 3)
        rows[tid] = (int(user), int(system), name)
    return rows
before, after, requests, hz = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
user, system = collections.Counter(), collections.Counter()
for tid, (u, s, name) in after.items():
    u0, s0, _ = before.get(tid, (0, 0, name))
    group = re.sub(r"\d+", "#", name)
    user[group] += u - u0
    system[group] += s - s0
us = lambda ticks: ticks / hz * 1e6 / max(requests, 1)
print(f"  {'thread':<22} {'user':>7} {'system':>7}   CPU-us/request (user + system)")
for group in sorted(user, key=lambda g: -(user[g] + system[g]))[:8]:
    if user[group] + system[group]:
        print(f"  {group:<22} {user[group]:7d} {system[group]:7d}   {us(user[group]):7.1f} + {us(system[group]):6.1f}")
print(f"  {'all':<22} {sum(user.values()):7d} {sum(system.values()):7d}   "
      f"{us(sum(user.values())):7.1f} + {us(sum(system.values())):6.1f}")
PY
}

# ---- measured run: per-thread CPU (JFR has been recording since the warm-up)
thread_ticks "$GWPID" >"$WORK/gw.0"
thread_ticks "$CONPID" >"$WORK/con.0"
log "measuring ${SECONDS_MEASURED}s"
if [[ $PERF == 1 ]]; then
    perf record -q -e cpu-clock -p "$GWPID" -o "$WORK/gateway.perf" -- sleep "$SECONDS_MEASURED" 2>/dev/null &
    p1=$!
    perf record -q -e cpu-clock -p "$CONPID" -o "$WORK/connector.perf" -- sleep "$SECONDS_MEASURED" 2>/dev/null &
    p2=$!
elif [[ -n $ASPROF ]]; then
    for pid in "$GWPID" "$CONPID"; do
        java bench/AgentLoad.java "$pid" "$ASPROF" start,event=cpu,interval=1ms >/dev/null
    done
fi
"${WRK[@]}" -d "${SECONDS_MEASURED}s" --latency "$URL" >"$OUTDIR/wrk.txt"
thread_ticks "$GWPID" >"$WORK/gw.1"
thread_ticks "$CONPID" >"$WORK/con.1"
if [[ $PERF == 1 ]]; then
    wait "$p1" "$p2" || true
    # the JIT's code addresses, for perf report (/tmp/perf-PID.map); written while the JVM still runs
    jcmd "$GWPID" Compiler.perfmap >/dev/null
    jcmd "$CONPID" Compiler.perfmap >/dev/null
elif [[ -n $ASPROF ]]; then
    java bench/AgentLoad.java "$GWPID" "$ASPROF" "stop,collapsed,file=$PWD/$OUTDIR/gateway.collapsed"
    java bench/AgentLoad.java "$CONPID" "$ASPROF" "stop,collapsed,file=$PWD/$OUTDIR/connector.collapsed"
else
    jcmd "$GWPID" JFR.dump name=profile filename="$PWD/$OUTDIR/gateway.jfr" >/dev/null
    jcmd "$CONPID" JFR.dump name=profile filename="$PWD/$OUTDIR/connector.jfr" >/dev/null
fi
requests=$(awk '/requests in/ {print $1}' "$OUTDIR/wrk.txt")
grep -E "Requests/sec|Latency|50%|99%|errors" "$OUTDIR/wrk.txt" | sed 's/^/  /'
echo "gateway CPU by thread over $requests requests:"
thread_table "$WORK/gw.0" "$WORK/gw.1" "$requests"
echo "connector CPU by thread:"
thread_table "$WORK/con.0" "$WORK/con.1" "$requests"

# ---- system calls per connection (a separate, shorter run under strace)
log "system calls (strace -c -f, 5 s)"
"${WRK[@]}" -d 8s "$URL" >/dev/null &
load=$!
sleep 1
timeout -s INT 5 strace -c -f -p "$GWPID" -o "$OUTDIR/gateway-syscalls.txt" 2>/dev/null &
s1=$!
timeout -s INT 5 strace -c -f -p "$CONPID" -o "$OUTDIR/connector-syscalls.txt" 2>/dev/null &
s2=$!
wait "$s1" "$s2" "$load" || true
for side in gateway connector; do
    python3 - "$OUTDIR/$side-syscalls.txt" "$side" "$MODE_HTTP" <<'PY'
import sys
path, side, mode = sys.argv[1:]
calls = {}
for line in open(path).read().splitlines()[2:]:
    f = line.split()
    if len(f) >= 5 and f[-1] not in ("total",) and f[3].isdigit():
        calls[f[-1]] = int(f[3])
unit = calls.get("accept" if side == "gateway" else "connect", 0) if mode == "close" else 0
per = f"per {'accepted' if side == 'gateway' else 'made'} connection ({unit})" if unit else "in 5 s"
# gettid is the JIT compiler's (os::current_thread_id), not the forwarding path's: left out
top = sorted(((n, c) for n, c in calls.items() if n != "gettid"), key=lambda x: -x[1])[:14]
print(f"{side} system calls {per}: " + " ".join(f"{n}={c / unit:.1f}" if unit else f"{n}={c}" for n, c in top))
PY
done

# ---- top frames of the recordings
if [[ $PERF == 1 ]]; then
    for side in gateway connector; do
        perf report -i "$WORK/$side.perf" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#' | grep . \
            >"$OUTDIR/$side-perf-dso.txt"
        perf report -i "$WORK/$side.perf" --no-children --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep . \
            | head -300 >"$OUTDIR/$side-perf-sym.txt"
        echo "$side: where the CPU went (perf cpu-clock samples, by library; files $side-perf-*.txt)"
        head -6 "$OUTDIR/$side-perf-dso.txt" | sed 's/^ */  /'
        echo "$side: top symbols"
        head -25 "$OUTDIR/$side-perf-sym.txt" | sed 's/^ */  /' | cut -c1-150
    done
    echo "files: $OUTDIR"
    exit 0
fi
if [[ -n $ASPROF ]]; then
    for side in gateway connector; do
        echo "$side: top frames (async-profiler CPU samples: self, then inclusive for mproxy's methods)"
        python3 - "$OUTDIR/$side.collapsed" <<'PY'
import collections, sys
self_, incl, total = collections.Counter(), collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip("\n").rpartition(" ")
    n = int(n)
    frames = stack.split(";")
    total += n
    self_[frames[-1]] += n
    for f in set(frames):
        incl[f] += n
for f, n in self_.most_common(20):
    print(f"  self {100 * n / total:5.1f}%  {f[:140]}")
ours = [(f, n) for f, n in incl.items() if f.startswith("dev/mproxy")]
for f, n in sorted(ours, key=lambda x: -x[1])[:20]:
    print(f"  incl {100 * n / total:5.1f}%  {f[:140]}")
PY
    done
    echo "files: $OUTDIR"
    exit 0
fi
for side in gateway connector; do
    echo "$side: top Java frames (JFR execution samples, self time; native and idle time is not sampled)"
    jfr print --events jdk.ExecutionSample --stack-depth 1 "$OUTDIR/$side.jfr" \
        | sed -n 's/^ *\([a-zA-Z_$].*([^)]*)\).*line:.*/\1/p' | sort | uniq -c | sort -rn | head -12 | sed 's/^/  /'
done
echo "files: $OUTDIR"
