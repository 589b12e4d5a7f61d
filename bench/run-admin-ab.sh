#!/usr/bin/env bash
# The cost of the gateway's metrics on throughput and latency, same run: bench/run-tunnel.sh with --admin, which
# measures mproxy TLS without the admin listener and again with it on and /metrics scraped every second, beside
# the usual baselines. Options go to run-tunnel.sh (e.g. --quick). Results: bench/results/tunnel-<date>-custom.txt
set -euo pipefail
cd "$(dirname "$0")/.."
exec bench/run-tunnel.sh --admin "$@"
