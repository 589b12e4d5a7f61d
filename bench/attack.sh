#!/usr/bin/env bash
# The attacks of issue 13 against a running gateway, before and after the bounds of protocol-spec/limits.md:
#
#   h1  2000 connections finish TLS on the device port and send nothing        (limits 1.1)
#   h2  1100 idle TCP connections from one source to a device's public port    (limits 2.1, 2.2)
#   h3  4 clients upgrade without a token and send 60 x 1 MiB junk control messages, never reading (3.3, 4.1)
#   m1  a device with a token ignores pause toward 20 public clients that never read, 32 MiB each  (3.1, 3.2)
#
# Each attack runs against a gateway on embedded defaults (TLS, loopback) with a well-behaved connector serving
# an echo server; bench/Attack.java attacks and prints the gateway's file descriptors and RSS before, at the
# peak and 3 s after, and whether a legitimate client (from 127.0.0.2) is still echoed through the device.
#
#   bench/attack.sh                  against this checkout (target/mproxy.jar, built when stale)
#   bench/attack.sh --compare-main   also against branch main, built in a temporary directory from `git archive
#                                    main`, and a side-by-side table
#   ATTACKS="h1 h3" bench/attack.sh  a subset
#
# Output also goes to bench/results/attack-<date>.txt (never overwritten). Needs a JDK 17 and python3.
# GATEWAY_JAVA_OPTS (default: -Xmx1g -XX:MaxDirectMemorySize=512m) bounds the gateway JVM, so that the
# unbounded run cannot take the machine with it.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ATTACKS=${ATTACKS:-h1 h2 h3 m1}
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:--Xmx1g -XX:MaxDirectMemorySize=512m}
COMPARE=0
[[ ${1:-} == --compare-main ]] && COMPARE=1
[[ ${1:-} == --help ]] && { sed -n '2,20p' "$0"; exit 0; }

PIDS=()
WORK=$(mktemp -d)
trap 'stop "${PIDS[@]}"; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() { # wait_port PORT SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    die "port $1 not listening after $2 s"
}

# run_against LABEL JAR: one gateway, one connector, all attacks; prints Attack.java's lines prefixed by LABEL
run_against() {
    local label=$1 jar=$2 dir="$WORK/$1"
    mkdir -p "$dir" && chmod 700 "$dir"
    local device_port legit_port evil_port echo_port
    device_port=$(free_port); legit_port=$(free_port); evil_port=$(free_port); echo_port=$(free_port)
    java bench/PingPong.java server "$echo_port" >/dev/null 2>&1 &
    PIDS+=($!); local echo_pid=$!
    # shellcheck disable=SC2086
    java $GATEWAY_JAVA_OPTS -jar "$jar" gateway --data-dir "$dir/data" --listen "127.0.0.1:$device_port" \
        --bind 127.0.0.1 --tls-port 0 --http-port 0 --hostname localhost >"$dir/gateway.log" 2>&1 &
    PIDS+=($!); local gateway_pid=$!
    wait_port "$device_port" 60
    local legit_token evil_token
    legit_token=$(java -jar "$jar" token --data-dir "$dir/data" --device legit --port "$legit_port")
    evil_token=$(java -jar "$jar" token --data-dir "$dir/data" --device evil --port "$evil_port")
    java -jar "$jar" connect --gateway "wss://127.0.0.1:$device_port" --insecure --token "$legit_token" \
        --tcp "$legit_port=127.0.0.1:$echo_port" >"$dir/connector.log" 2>&1 &
    PIDS+=($!); local connector_pid=$!
    wait_port "$legit_port" 60
    log "$label: gateway pid $gateway_pid ($jar), attacks: $ATTACKS" >&2
    # shellcheck disable=SC2086
    java -cp "$jar" bench/Attack.java "$gateway_pid" "$device_port" "$legit_port" "$evil_port" "$evil_token" \
        $ATTACKS | sed "s/^/jar=$label /"
    echo "jar=$label gateway_log_lines=$(wc -l <"$dir/gateway.log") gateway_log_bytes=$(wc -c <"$dir/gateway.log")" \
        "out_of_memory=$(grep -c OutOfMemoryError "$dir/gateway.log" || true)"
    stop "$connector_pid" "$gateway_pid" "$echo_pid"
}

build_jar_if_stale
OUT=$(unique_results_file "bench/results/attack-$(date +%F)")
{
    echo "# bench/attack.sh ${1:-} on $(uname -n), $(nproc) cores; $(java -version 2>&1 | head -1)"
    echo "# commit $(git rev-parse --short HEAD) ($(git rev-parse --abbrev-ref HEAD)); gateway JVM: $GATEWAY_JAVA_OPTS"
    run_against "$(git rev-parse --abbrev-ref HEAD)" target/mproxy.jar
    if [[ $COMPARE == 1 ]]; then
        mkdir -p "$WORK/main-src"
        git archive main | tar -x -C "$WORK/main-src"
        log "building main ($(git rev-parse --short main)) in $WORK/main-src" >&2
        (cd "$WORK/main-src" && mvn -B -q package -DskipTests) >&2
        echo "# main is $(git rev-parse --short main)"
        run_against main "$WORK/main-src/target/mproxy.jar"
    fi
} | tee "$OUT"
# one row per attack and jar: the numbers that show the bound (or its absence)
tabulate() {
    awk '/^jar=.* attack=/ {
            delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            held = v["still_open_after_15s"] != "" ? v["still_open_after_15s"] : v["held_by_gateway"]
            sent = v["junk_sent_mb"] != "" ? v["junk_sent_mb"] : v["device_sent_mb"]
            if (!(v["attack"] in rows)) order[n++] = v["attack"]
            rows[v["attack"]] = rows[v["attack"]] sprintf("%-7s %-8s %9s %9s %12s %13s %8s %s\n", v["attack"],
                v["jar"], v["fds_peak"], held == "" ? "-" : held, v["rss_peak_mb"], v["rss_after_mb"],
                sent == "" ? "-" : sent, v["legit"])
        }
        /gateway_log_lines/ { logs = logs "# " $0 "\n" }
        END {
            printf "\n%-7s %-8s %9s %9s %12s %13s %8s %s\n", "attack", "jar", "fds_peak", "held", "rss_peak_mb",
                "rss_after_mb", "sent_mb", "legitimate client"
            for (i = 0; i < n; i++) printf "%s", rows[order[i]]
            printf "%s", logs
        }' "$1"
}
tabulate "$OUT" | tee -a "$OUT"
echo "results: $OUT" >&2
