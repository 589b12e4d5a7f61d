#!/usr/bin/env bash
# JVM option sets against each other on one HTTP path, alternated: wrk -> gateway HTTP port =(wss tunnel)=>
# connector -> nginx (as run-http.sh), a fresh gateway and connector per set, each set run ROUNDS times in turn
# (A B C A B C ...), so that a slow phase of the machine falls on every set alike. Per run: requests/s, p99, the
# gateway's and the connector's CPU-us per request (from /proc/PID/stat), RSS after the run, and the machine's steal.
# At the end, per set: the means, and CPU per request fitted against steal to none (the hypervisor's other guests
# slow every run they fall on; bench/README.md, "Fifth pass").
#
#   bench/run-jvm-ab.sh [--size 1k|64k] [--mode keepalive|close] [--rounds N] [--warmup S] [--seconds S] \
#       -- 'OPTIONS A' 'OPTIONS B' ...
#
# Each set is added to the launcher's JVM options (src/main/launcher/mproxy.sh, or MPROXY_JAVA_OPTS); '' is the
# launcher's alone. A set that starts with jar=PATH runs that jar (an older build, to compare commits):
#   bench/run-jvm-ab.sh --mode close -- 'jar=/tmp/mproxy-before.jar' ''
# The warm-up defaults to 35 s: C2 kept compiling for about 30 s of 64 KiB keep-alive on this 2-core machine, and
# runs measured inside that window split into a fast and a slow group whatever the options.
# Example (collectors, bench/README.md "Garbage collectors"):
#   bench/run-jvm-ab.sh --size 1k --mode close -- '' '-XX:-UseSerialGC -XX:+UseG1GC' \
#       '-XX:-UseSerialGC -XX:+UseZGC' '-XX:-UseSerialGC -XX:+UseShenandoahGC'
# Output also goes to bench/results/jvm-ab-<date>[-N].txt. Needs wrk, nginx, python3 and a JDK 17.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
PATH=$PATH:/usr/sbin:/sbin

SIZE=1k
MODE_HTTP=keepalive
ROUNDS=2
WARMUP=35
SECONDS_MEASURED=10
while [[ $# -gt 0 ]]; do
    case "$1" in
        --size) SIZE=$2; shift 2 ;;
        --mode) MODE_HTTP=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --seconds) SECONDS_MEASURED=$2; shift 2 ;;
        --) shift; break ;;
        *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[[ $# -gt 0 ]] || { echo "no option sets: give them after --, '' for the launcher's alone" >&2; exit 2; }
[[ $SIZE == 1k || $SIZE == 64k ]] || { echo "--size: expected 1k or 64k, got $SIZE" >&2; exit 2; }
[[ $MODE_HTTP == keepalive || $MODE_HTTP == close ]] || { echo "--mode: expected keepalive or close" >&2; exit 2; }
SETS=("$@")
MODE=full
install_missing wrk nginx python3 java:openjdk-17-jdk-headless
use_jar
start_work jvm-ab
results_to jvm-ab
echo "# bench/run-jvm-ab.sh --size $SIZE --mode $MODE_HTTP --rounds $ROUNDS --warmup $WARMUP --seconds" \
     "$SECONDS_MEASURED; $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); jar $JAR;" \
     "$(java -version 2>&1 | head -1); launcher's JVM options: ${MPROXY_JVM[*]:-(none)}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-(glibc default)}"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

read -r NGINX_PORT GW HTTP <<<"$(free_ports 3)"
start_nginx "$NGINX_PORT" "$SIZE"

WRK=(wrk -t1 -c16 -H "Host: bench.localhost")
[[ $MODE_HTTP == close ]] && WRK+=(-H 'Connection: close')
URL=http://127.0.0.1:$HTTP/$SIZE
HZ=$(getconf CLK_TCK)
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# run_set N OPTIONS: a fresh gateway and connector with the launcher's options and OPTIONS, warmed up, measured.
run_set() {
    local n=$1 extra=() jar=$JAR dir g0 c0 g1 c1 s0 t0 s1 t1 report requests
    read -r -a extra <<<"$2"
    if [[ ${extra[0]:-} == jar=* ]]; then
        jar=${extra[0]#jar=}
        extra=("${extra[@]:1}")
        [[ -f $jar ]] || die "no jar at $jar"
    fi
    dir=$WORK/data-$n
    start_http_path "$jar" "$dir" "-$n" "${extra[@]}"
    "${WRK[@]}" -d "${WARMUP}s" "$URL" >/dev/null
    g0=$(cpu_ticks "$GWPID")
    c0=$(cpu_ticks "$CONPID")
    read -r s0 t0 <<<"$(machine_ticks)"
    report=$("${WRK[@]}" -d "${SECONDS_MEASURED}s" --latency "$URL")
    g1=$(cpu_ticks "$GWPID")
    c1=$(cpu_ticks "$CONPID")
    read -r s1 t1 <<<"$(machine_ticks)"
    requests=$(awk '/requests in/ {print $1}' <<<"$report")
    python3 - "$2" "$(awk '/Requests\/sec/ {print $2}' <<<"$report")" "$(awk '$1 == "99%" {print $2}' <<<"$report")" \
        "$requests" "$((g1 - g0))" "$((c1 - c0))" "$HZ" "$(rss_mib "$GWPID")" "$(rss_mib "$CONPID")" \
        "$((s1 - s0))" "$((t1 - t0))" "$WORK/runs.tsv" <<'PY'
import sys
opts, rps, p99, n, g, c, hz, rg, rc, steal, total, runs = sys.argv[1:]
per = lambda t: int(t) * 1e6 / int(hz) / max(1, int(n))
steal = 100 * int(steal) / max(1, int(total))
print(f"{opts or '(launcher only)':<58} {float(rps):>9,.0f} req/s  p99 {p99:>8}  CPU/request gateway "
      f"{per(g):5.0f} us, connector {per(c):5.0f} us  RSS {rg}/{rc} MiB  steal {steal:4.1f} %")
with open(runs, "a") as f:
    f.write(f"{opts}\t{float(rps)}\t{per(g)}\t{per(c)}\t{steal}\n")
PY
    stop "$CONPID" "$GWPID"
    rm -rf "$dir"
}

log "$SIZE $MODE_HTTP, ${#SETS[@]} option sets x $ROUNDS rounds, ${WARMUP}s warm-up + ${SECONDS_MEASURED}s each"
n=0
for ((round = 1; round <= ROUNDS; round++)); do
    for set in "${SETS[@]}"; do
        n=$((n + 1))
        run_set "$n" "$set"
    done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Per set: the means, and where steal varied, CPU per request fitted against it (least squares) at no steal.
python3 - "$WORK/runs.tsv" <<'PY'
import sys
from collections import OrderedDict
sets = OrderedDict()
for line in open(sys.argv[1]):
    opts, *values = line.rstrip("\n").split("\t")
    sets.setdefault(opts, []).append([float(v) for v in values])
def at_no_steal(runs, i):
    xs, ys = [r[3] for r in runs], [r[i] for r in runs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if len(runs) < 3 or sxx < len(runs):  # steal too even to fit against
        return None
    return my - sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx * mx
print("per set: mean req/s; mean CPU/request gateway, connector; the same fitted to no steal (3+ runs)")
for opts, runs in sets.items():
    mean = lambda i: sum(r[i] for r in runs) / len(runs)
    fits = [at_no_steal(runs, i) for i in (1, 2)]
    fitted = ", at no steal %.0f, %.0f us" % tuple(fits) if None not in fits else ""
    print(f"  {opts or '(launcher only)':<58} {mean(0):>9,.0f} req/s  {mean(1):5.0f}, {mean(2):5.0f} us{fitted}"
          f"  (steal {min(r[3] for r in runs):.0f}-{max(r[3] for r in runs):.0f} %)")
PY
echo "results: $out"
