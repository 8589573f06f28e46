#!/usr/bin/env bash
# Signed deliveries per second and the hub's CPU time and allocations per delivery: the webhooks scenario (as
# run.sh) against a hub of its own, with GET /stats's runtime figures read before and after the bench (so the CPU
# figure covers the warm-up too, and includes publishing the events: divide by warm-up + measured events).
# On a shared machine the throughput is noisy; the CPU per delivery is the steadier figure.
#   bench/webhooks/cost.sh [events] [warm-up events]     (defaults 20000 20000; after dotnet build -c Release of
#   src/PushHub and bench/PushHub.Bench). HUB=<dir of a Release build> compares another build (A/B); PORT=5197.
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-20000}
warmup=${2:-20000}
port=${PORT:-5197}
hub_dir=${HUB:-src/PushHub/bin/Release/net10.0}
dir=$(mktemp -d /tmp/pushhub-hooks.XXXXXX)
Storage__Path=$dir/p.db Webhooks__AllowPrivateNetworks=true Serilog__MinimumLevel__Default=Warning \
  "$hub_dir/PushHub" --urls "http://127.0.0.1:$port" >"$dir/hub.log" 2>&1 &
hub=$!
trap 'kill $hub 2>/dev/null; wait $hub 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
before=$(curl -fs "http://127.0.0.1:$port/stats")
dotnet bench/PushHub.Bench/bin/Release/net10.0/PushHub.Bench.dll webhooks "http://127.0.0.1:$port" "$events" \
  --warmup-events "$warmup" | grep -v '^result' | grep -v '^warm-up'
after=$(curl -fs "http://127.0.0.1:$port/stats")
python3 bench/runtime-cost.py "$((events + warmup))" "per delivery (event published + delivered, $((events + warmup)))" "$before" "$after"
