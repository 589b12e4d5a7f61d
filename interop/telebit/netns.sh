#!/usr/bin/env bash
# One direction of the telebit interop suite, run by run.sh inside a new network and mount namespace:
#   netns.sh A   telebit's device (telebitd) -> mproxy gateway
#   netns.sh B   mproxy connect             -> telebit's relay
# Everything of the run (server, device, local services, clients) lives here and dies with the namespace.
set -euo pipefail
direction=$1
D=$WORK/$direction
cd "$D"

ip link set lo up
mount --bind "$WORK/hosts" /etc/hosts

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for f in "$D"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
}
trap stop_all EXIT

# greenlock_store DIR NAME: greenlock's le-store-certbot layout, where both programs read their certificates
greenlock_store() {
  local certs=$WORK/certs
  mkdir -p "$1/live/$2"
  cp "$certs/leaf.key" "$1/live/$2/privkey.pem"
  cp "$certs/leaf.pem" "$1/live/$2/cert.pem"
  cp "$certs/ca.pem" "$1/live/$2/chain.pem"
  cat "$certs/leaf.pem" "$certs/ca.pem" > "$1/live/$2/fullchain.pem"
}

# wait_port PORT SECONDS WHAT: until something listens on PORT. Asked of the kernel (ss), not by connecting:
# a probe connection to a tunnel's public port would become a stream of its own, left open by telebit's relay
wait_port() {
  local until=$((SECONDS + $2))
  until [ -n "$(ss -Hltn "sport = :$1")" ]; do
    if [ $SECONDS -ge $until ]; then
      echo "interop: $3 is not listening on port $1 after $2 s" >&2
      return 1
    fi
    sleep 0.2
  done
}

export NODE_EXTRA_CA_CERTS=$WORK/certs/ca.pem # the test CA, for the device's discovery request and WebSocket
export HOME=$D/home
mkdir -p "$HOME"
# mproxy's processes run with Netty's leak detector at its strictest, as the unit tests do
JAVA_OPTS_LEAK=-Dio.netty.leakDetection.level=paranoid
MPROXY_RUN="$MPROXY"
case "$MPROXY" in
  java\ *) MPROXY_RUN="java $JAVA_OPTS_LEAK ${MPROXY#java }" ;;
esac

"$NODE" "$HERE/harness/services.js" "$D/services.jsonl" "$WORK/certs/leaf.pem" "$WORK/certs/leaf.key" \
    > "$D/services.log" 2>&1 &
pids+=($!)
wait_port 3015 20 "the local services"

# public ports of the device: 21700 echo, 21701 slow sink, 21702 sender, 21703 holder, 21704 fast sink
if [ "$direction" = A ]; then
  SERVER_NAME="mproxy gateway"
  DEVICE_NAME="telebitd"
  # the gateway: devices on 7443, the shared TLS port 443 (by SNI) and HTTP port 80 (by Host), as deployed
  start_server="cd '$D' && echo \$\$ > '$D/server.pid' && exec $MPROXY_RUN gateway --listen 127.0.0.1:7443 \
--cert '$WORK/certs/leaf.pem' --key '$WORK/certs/leaf.key' --secret-file '$WORK/secret' --tls-port 443 \
--http-port 80 --bind 127.0.0.1 >> '$D/gateway.log' 2>&1"
  bash -c "$start_server" &
  wait_port 7443 60 "mproxy gateway"

  # a token telebit signs itself, with its own code (lib/cli-common.js signToken): no sub, string ports; port 81
  # lies outside the gateway's allowed ports, so telebitd also gets a refusal ([0, {...}]) before its grant
  (cd "$WORK/telebit-0.20.8" && "$NODE" -e "
    var common = require('./lib/cli-common.js');
    process.stdout.write(common.signToken({ _relayUrl: 'https://gateway.test:7443/', config: {
      secret: require('fs').readFileSync('$WORK/secret', 'utf8'),
      servernames: { 'app.test': {} }, ports: { 81: {}, 21700: {}, 21701: {}, 21702: {}, 21703: {}, 21704: {} } } }));
  ") > "$D/token"

  greenlock_store "$D/device-acme" app.test
  mkdir -p "$D/device-root"
  cat > "$D/telebitd.yml" <<EOF
relay: https://gateway.test:7443
token: $(cat "$D/token")
agree_tos: true
email: interop@example.com
root: $D/device-root
sock: $D/device-root/telebit.sock
servernames:
  app.test:
    handler: 3001
ports:
  21700:
    handler: 3001
  21701:
    handler: 3002
  21702:
    handler: 3003
  21703:
    handler: 3006
  21704:
    handler: 3005
greenlock:
  config_dir: $D/device-acme
EOF
  start_device="cd '$WORK/telebit-0.20.8' && echo \$\$ > '$D/device.pid' && exec '$NODE' bin/telebitd.js \
--config '$D/telebitd.yml' >> '$D/telebitd.log' 2>&1"
  bash -c "$start_device" &
  wait_port 21704 60 "the gateway's port granted to telebitd"
  http_mode=redirect
  known_device_kill=false
  known_device_dies=true
  public_host=gateway.test
else
  SERVER_NAME="telebit-relay"
  DEVICE_NAME="mproxy connect"
  greenlock_store "$D/relay-acme" relay.test
  cat > "$D/relay.yml" <<EOF
email: interop@example.com
agree_tos: true
servernames:
  - relay.test
shared_domain: relay.test
secret: '$(cat "$WORK/secret")'
greenlock:
  config_dir: $D/relay-acme
EOF
  start_server="cd '$WORK/telebit-relay-0.20.0' && echo \$\$ > '$D/server.pid' && exec '$NODE' \
bin/telebit-relay.js --config '$D/relay.yml' >> '$D/relay.log' 2>&1"
  bash -c "$start_server" &
  wait_port 443 30 "telebit-relay"

  # the ordinary command line: no compatibility flag; the token made by mproxy token with the relay's secret
  $MPROXY token --secret-file "$WORK/secret" --device connector-b --port 21700 --port 21701 --port 21702 \
      --port 21703 --port 21704 --domain app.test > "$D/token"
  start_device="echo \$\$ > '$D/device.pid' && exec $MPROXY_RUN connect --gateway wss://relay.test:443 \
--ca '$WORK/certs/ca.pem' --token '$(cat "$D/token")' --tcp 21700=127.0.0.1:3001 --tcp 21701=127.0.0.1:3002 \
--tcp 21702=127.0.0.1:3003 --tcp 21703=127.0.0.1:3006 --tcp 21704=127.0.0.1:3005 \
--https app.test=127.0.0.1:3014 --http app.test=127.0.0.1:3015 >> '$D/connector.log' 2>&1"
  bash -c "$start_device" &
  wait_port 21704 60 "the relay's port granted to mproxy connect"
  http_mode=echo
  known_device_kill=true
  known_device_dies=false
  public_host=relay.test
fi

json() { # a shell string as a JSON string
  printf '%s' "$1" | "$NODE" -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(0, "utf8")))'
}
cat > "$D/cases.json" <<EOF
{
  "direction": "$direction",
  "results": "$RESULTS",
  "servicesLog": "$D/services.jsonl",
  "ca": "$WORK/certs/ca.pem",
  "publicHost": "$public_host",
  "appName": "app.test",
  "tlsPort": 443,
  "httpPort": 80,
  "http": { "mode": "$http_mode" },
  "ports": { "echo": 21700, "slowSink": 21701, "sender": 21702, "holder": 21703, "fastSink": 21704 },
  "server": { "name": "$SERVER_NAME", "pidFile": "$D/server.pid", "restart": $(json "$start_server") },
  "device": { "name": "$DEVICE_NAME", "pidFile": "$D/device.pid", "restart": $(json "$start_device") },
  "knownDeviceKillLeavesPublicOpen": $known_device_kill,
  "knownDeviceDiesWhenTunnelDropsWithConnections": $known_device_dies
}
EOF
"$NODE" "$HERE/harness/cases.js" "$D/cases.json" > "$D/cases.log" 2>&1

# mproxy ran with the leak detector: a reported leak is a failure of its own
leaks=$(grep -l 'LEAK:' "$D"/gateway.log "$D"/connector.log 2>/dev/null || true)
if [ -n "$leaks" ]; then
  printf '%s no Netty buffer leak\tno LEAK line\tLEAK in %s\tFAIL\tsee the log\n' "$direction" "$leaks" >> "$RESULTS"
else
  printf '%s no Netty buffer leak\tno LEAK line\tno LEAK line\tPASS\tmproxy ran with io.netty.leakDetection.level=paranoid\n' \
      "$direction" >> "$RESULTS"
fi
