# shellcheck shell=bash
# Shared by the bench scripts; sourced from the repository's root.

# Builds target/mproxy.jar when it is missing or older than any source, so a run never measures stale code.
build_jar_if_stale() {
    if [[ ! -f target/mproxy.jar || -n "$(find src pom.xml -newer target/mproxy.jar -type f -print -quit)" ]]; then
        echo "target/mproxy.jar missing or stale; building it (mvn -B -q package -DskipTests)" >&2
        mvn -B -q package -DskipTests
    fi
}

# Prints BASE.txt, or BASE-2.txt, BASE-3.txt, ... whichever does not exist yet: results are never overwritten.
unique_results_file() {
    local out="$1.txt" n=2
    while [[ -e "$out" ]]; do
        out="$1-$n.txt"
        n=$((n + 1))
    done
    printf '%s\n' "$out"
}

# ---------------------------------------------------------------------------------------------------------------
# Helpers for the scripts that start servers and forwarders (run-tunnel.sh, run-http.sh, run-record.sh). They
# need python3, and `stop` the caller's PIDS array.

log() { echo "[$(date +%H:%M:%S)] $*"; }
die() { echo "ERROR: $*"; exit 1; }

# install_missing TOOL[:DEBIAN_PACKAGE]...: installs the packages of the tools not on PATH with apt-get when
# running as root (apt-get update first); otherwise says what to install and exits 1.
install_missing() {
    local spec tool pkg need=()
    for spec in "$@"; do
        tool=${spec%%:*}
        pkg=${spec#*:}
        command -v "$tool" >/dev/null 2>&1 || need+=("$pkg")
    done
    [[ ${#need[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${need[*]} (apt-get)" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
    else
        echo "missing: ${need[*]}; install them, e.g. sudo apt-get install ${need[*]}" >&2
        exit 1
    fi
}

# stop PID...: ends processes this script started (listed in the caller's PIDS array), and forgets them.
stop() {
    local pid keep=() p
    for pid in "$@"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        [[ " $* " == *" $p "* ]] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
}

# free_ports N: N distinct loopback ports that are free right now.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_for FILE PATTERN PID [SECONDS]: until FILE has a line matching PATTERN; fails if PID dies first.
wait_for() {
    local file=$1 pattern=$2 pid=$3 limit=$((${4:-30} * 10)) i
    for ((i = 0; i < limit; i++)); do
        grep -q -- "$pattern" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$file"; die "process $pid exited before printing '$pattern'"; }
        sleep 0.1
    done
    cat "$file"
    die "timed out waiting for '$pattern' in $file"
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (30 s at most).
wait_port() {
    python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(300):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# wait_listening PORT: until something listens on 127.0.0.1:PORT (30 s at most), read from /proc/net/tcp without
# connecting. For forwarders: wait_port's probe would be forwarded, and a server that takes the empty connection
# for a failed client may reset the next one (iperf3's server closes and reopens its listening socket then).
wait_listening() {
    python3 - "$1" <<'PY'
import sys, time
port = ":%04X" % int(sys.argv[1])
for _ in range(300):
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                rows = [line.split() for line in f.readlines()[1:]]
        except OSError:
            continue
        if any(r[1].endswith(port) and r[3] == "0A" for r in rows):   # local address, state LISTEN
            sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}

# cpu_ticks PID...: user+system clock ticks used so far by these processes (all threads; not their children).
cpu_ticks() {
    local total=0 pid t
    for pid in "$@"; do
        t=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        total=$((total + t))
    done
    echo "$total"
}

# cpu_idle_percent SECONDS: how idle the whole machine was over the next SECONDS (all cores, /proc/stat; idle +
# iowait). A benchmark that shares the cores with a build measures the build too; this says so in the output.
cpu_idle_percent() {
    local a b
    a=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    sleep "$1"
    b=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        printf "%.0f\n", (y[1] > x[1]) ? 100 * (y[2] - x[2]) / (y[1] - x[1]) : 100 }'
}

# machine_busy_ticks: clock ticks (CLK_TCK) all cores have spent busy since boot (/proc/stat: not idle, not iowait).
machine_busy_ticks() {
    awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

# machine_ticks: the machine's steal and all its clock ticks so far (/proc/stat), "STEAL TOTAL". Steal is time the
# hypervisor gave to other guests: it slows a run without showing in its processes' own CPU figures, and a run
# with much of it says little about what it ran.
machine_ticks() {
    awk '/^cpu / {t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t}' /proc/stat
}

# own_cpu_ticks: clock ticks used by this shell and every child it has waited for (their own waited-for children
# included): with machine_busy_ticks, what the rest of the machine used during a run. From /proc/$$/stat, not
# `times`, which reports a subshell's own figures when called in $(...) or a pipe.
own_cpu_ticks() {
    awk '{print $14 + $15 + $16 + $17}' "/proc/$$/stat"
}

# mark_other_cpu: remembers the time and the machine's and this shell's CPU so far, for other_cpu_since_mark.
mark_other_cpu() {
    RUN_T0=$(date +%s.%N)
    RUN_BUSY0=$(machine_busy_ticks)
    RUN_OWN0=$(own_cpu_ticks)
    RUN_TICKS0=$(machine_ticks)
}

# other_cpu_since_mark: one line saying how much CPU processes other than this run's used since mark_other_cpu,
# with a WARNING past 10 % of the cores. Call once every process this run started has been waited for, so
# own_cpu_ticks includes them.
other_cpu_since_mark() {
    python3 - "$RUN_T0" "$(date +%s.%N)" "$RUN_BUSY0" "$(machine_busy_ticks)" "$RUN_OWN0" \
        "$(own_cpu_ticks)" "$(getconf CLK_TCK)" "$(nproc)" $RUN_TICKS0 $(machine_ticks) <<'EOF'
import sys
t0, t1, b0, b1, o0, o1, hz, cores, s0, m0, s1, m1 = map(float, sys.argv[1:])
other = max(0.0, ((b1 - b0) - (o1 - o0)) / hz)   # tick sampling can make it slightly negative on an idle machine
share = 100 * other / ((t1 - t0) * cores)
steal = 100 * (s1 - s0) / max(1.0, m1 - m0)
print(f"{other:.1f} CPU-s, {share:.0f} % of the {cores:.0f} cores over the {t1 - t0:.0f} s of the run; "
      f"the hypervisor's steal (other guests) {steal:.0f} % of the machine's time"
      + (" -- WARNING: something else was running; the figures include that contention" if share > 10 else ""))
EOF
}

# start_work NAME: sets WORK to a new directory (absolute, no symlinks) under $TMPDIR or /tmp and PIDS to an
# empty list, and arranges that on exit every process in PIDS is stopped and WORK is removed.
start_work() {
    WORK=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/mproxy-bench-$1.XXXXXX")")
    PIDS=()
    trap cleanup_work EXIT
    trap 'exit 130' INT TERM
}

cleanup_work() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}

# launcher_java_opts: the JVM options the launcher (src/main/launcher/mproxy.sh) runs mproxy with when
# MPROXY_JAVA_OPTS is unset, read from the launcher itself so the benchmarks measure what users run.
launcher_java_opts() {
    sed -n 's/^: "${MPROXY_JAVA_OPTS=\(.*\)}"$/\1/p' src/main/launcher/mproxy.sh
}

# use_jar: sets JAR to $MPROXY_JAR, or to target/mproxy.jar built when missing or stale (installing maven to build
# it when needed), and MPROXY_JVM to the words of $MPROXY_JAVA_OPTS: the launcher's defaults when it is unset (as
# the launcher does), none (the JVM's own defaults) when it is set but empty.
use_jar() {
    if [[ -n "${MPROXY_JAR:-}" ]]; then
        JAR=$MPROXY_JAR
        [[ -f "$JAR" ]] || { echo "MPROXY_JAR=$JAR: no such file" >&2; exit 1; }
    else
        JAR=target/mproxy.jar
        if [[ ! -f $JAR || -n "$(find src pom.xml -newer "$JAR" -type f -print -quit)" ]]; then
            install_missing mvn:maven
        fi
        build_jar_if_stale
    fi
    # shellcheck disable=SC2034  # read by the scripts that source this file
    read -r -a MPROXY_JVM <<<"${MPROXY_JAVA_OPTS-$(launcher_java_opts)}"
    # and glibc's arenas as the launcher sets them, unless set here
    MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX-$(sed -n 's/^: "${MALLOC_ARENA_MAX=\(.*\)}"$/\1/p' src/main/launcher/mproxy.sh)}
    export MALLOC_ARENA_MAX
}

# report_memory CONFIG GATEWAY_PID CONNECTOR_PID: one line with both processes' resident set now and at its peak
# (VmRSS, VmHWM), before they are stopped: the gateway's and the connector's memory after the run (issue 16).
report_memory() {
    local config=$1 gw=$2 con=$3
    python3 - "$config" "$gw" "$con" <<'PY'
import sys
def kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))
config, gw, con = sys.argv[1:]
print(f"  {config} memory: gateway RSS {kib(gw, 'VmRSS') / 1024:.0f} MiB (peak {kib(gw, 'VmHWM') / 1024:.0f}), "
      f"connector RSS {kib(con, 'VmRSS') / 1024:.0f} MiB (peak {kib(con, 'VmHWM') / 1024:.0f})")
PY
}

# results_to NAME: from here on, output goes to the terminal and to out=bench/results/NAME-<date>[-$MODE].txt
# ($MODE unless it is "full"; never overwritten, see unique_results_file).
results_to() {
    local base
    mkdir -p bench/results
    base="bench/results/$1-$(date +%Y-%m-%d)"
    [[ $MODE != full ]] && base+="-$MODE"
    out=$(unique_results_file "$base")
    exec > >(tee "$out") 2>&1
}

# size_bytes 1k|64k|512: the size in bytes (k = 1024).
size_bytes() {
    case "$1" in
        *[kK]) echo $((${1%[kK]} * 1024)) ;;
        *) echo $(($1)) ;;
    esac
}

# start_nginx PORT FILE...: nginx serving FILE... (each named by its size: 1k, 64k, 4096) of random bytes from
# $WORK/nginx/www on 127.0.0.1:PORT, with its own config, prefix, pid, logs and temp paths under $WORK, as the
# current user, in the foreground (NGINX is the master's PID; SIGTERM to it stops the worker too). One worker;
# access_log off so logging is not measured; keepalive_requests raised so keep-alive connections are never closed
# mid-test (default: 1000).
start_nginx() {
    local port=$1 dir=$WORK/nginx s user=""
    shift
    mkdir -p "$dir/www" "$dir/tmp" "$dir/logs"
    for s in "$@"; do
        head -c "$(size_bytes "$s")" /dev/urandom >"$dir/www/$s"
    done
    # As root, nginx would switch its worker to nobody, which cannot read $WORK (0700).
    [[ $(id -u) -eq 0 ]] && user="user $(id -un) $(id -gn);"
    cat >"$dir/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $dir/www;
    }
}
EOF
    # -e: the error log before the config is read (else the compiled-in /var/log/nginx/error.log).
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >"$dir/logs/stdout.log" 2>&1 &
    NGINX=$!
    PIDS+=("$NGINX")
    wait_port "$port" || { cat "$dir"/logs/*.log; die "nginx did not start"; }
}

# start_http_path JAR DIR TAG [JVM option...]: the HTTP path profile-http.sh and run-jvm-ab.sh measure, as
# run-http.sh builds it: a gateway (devices on $GW, HTTP port $HTTP, data in DIR, made here) and a connector that
# serves bench.localhost from nginx on $NGINX_PORT, both with the launcher's JVM options and those given, logs in
# $WORK/gateway$TAG.log and $WORK/connect$TAG.log. Sets GWPID and CONPID once the HTTP port is up.
start_http_path() {
    local jar=$1 dir=$2 tag=$3 fp token
    shift 3
    mkdir -m 700 "$dir"
    java "${MPROXY_JVM[@]}" "$@" -jar "$jar" gateway --listen "127.0.0.1:$GW" --data-dir "$dir" --bind 127.0.0.1 \
        --hostname localhost --http-port "$HTTP" --tls-port 0 >"$WORK/gateway$tag.log" 2>&1 &
    GWPID=$!
    PIDS+=("$GWPID")
    wait_for "$WORK/gateway$tag.log" "devices connect to" "$GWPID"
    fp=$(sed -n 's/^certificate SHA-256 fingerprint: \([0-9A-Fa-f:]*\).*/\1/p' "$WORK/gateway$tag.log")
    token=$(java -jar "$jar" token --data-dir "$dir" --device bench --domain bench.localhost --ttl 1h)
    java "${MPROXY_JVM[@]}" "$@" -jar "$jar" connect --gateway "wss://localhost:$GW" --fingerprint "$fp" \
        --token "$token" --http "bench.localhost=127.0.0.1:$NGINX_PORT" >"$WORK/connect$tag.log" 2>&1 &
    CONPID=$!
    PIDS+=("$CONPID")
    wait_for "$WORK/connect$tag.log" "serving as device" "$CONPID"
    wait_port "$HTTP" || die "the gateway's HTTP port $HTTP is not listening"
}
