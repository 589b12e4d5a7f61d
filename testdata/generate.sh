#!/bin/sh
# Regenerates all vectors except reference/ (copied verbatim from the package) and
# captured/ (ClientHellos captured once with capture-clienthello.js).
# usage: sh testdata/generate.sh [PATH_TO_NODE_MODULES]   (default /tmp/pp/node_modules)
set -e
cd "$(dirname "$0")"
MODULES="${1:-${PROXY_PACKER_MODULES:-/tmp/pp/node_modules}}"
node generate-pack.js "$MODULES"
node generate-messages.js "$MODULES"
