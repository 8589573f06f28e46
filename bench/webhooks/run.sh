#!/usr/bin/env bash
# Signed webhook deliveries per second from the hub (Release build) to a local receiver that answers at once: the
# load generator's webhooks scenario (bench/PushHub.Bench, which starts bench/webhooks/receiver.js with node),
# against a hub of its own on a temporary database. bench/compare-nchan.sh runs the same scenario as "webhooks".
# Usage: bench/webhooks/run.sh [events] [warm-up events]   (defaults 20000 and 0); needs node.
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-20000}
warmup=${2:-0}
hub_port=5197
data=$(mktemp -d)
hub=
trap '[ -z "$hub" ] || kill "$hub" 2>/dev/null || true; rm -rf "$data"' EXIT

dotnet build -c Release -v q src/PushHub >/dev/null
dotnet build -c Release -v q bench/PushHub.Bench >/dev/null
Storage__Path="$data/pushhub.db" Webhooks__AllowPrivateNetworks=true Serilog__MinimumLevel__Default=Warning \
  dotnet src/PushHub/bin/Release/net10.0/PushHub.dll --urls "http://127.0.0.1:$hub_port" >"$data/hub.log" 2>&1 &
hub=$!
until curl -fs "http://127.0.0.1:$hub_port/health/ready" >/dev/null; do sleep 0.2; done

dotnet bench/PushHub.Bench/bin/Release/net10.0/PushHub.Bench.dll webhooks "http://127.0.0.1:$hub_port" "$events" --warmup-events "$warmup"
