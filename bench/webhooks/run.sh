#!/usr/bin/env bash
# Signed webhook deliveries per second from a running hub (Release build) to a local receiver that answers at once.
# Usage: bench/webhooks/run.sh [events]   (default 20000); needs node. Prints the receiver's JSON line.
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-20000}
hub_port=5197 receiver_port=5198
data=$(mktemp -d)
trap 'kill $hub $receiver 2>/dev/null || true; rm -rf "$data"' EXIT

dotnet build -c Release -v q src/PushHub >/dev/null
Storage__Path="$data/pushhub.db" Webhooks__AllowPrivateNetworks=true Serilog__MinimumLevel__Default=Warning \
  dotnet src/PushHub/bin/Release/net10.0/PushHub.dll --urls "http://127.0.0.1:$hub_port" >"$data/hub.log" 2>&1 &
hub=$!
until curl -fs "http://127.0.0.1:$hub_port/health/live" >/dev/null; do sleep 0.2; done

node bench/webhooks/receiver.js "$receiver_port" "$events" &
receiver=$!
curl -fs -H 'Content-Type: application/json' -d "{\"url\":\"http://127.0.0.1:$receiver_port/hook\"}" \
  "http://127.0.0.1:$hub_port/webhooks" >/dev/null

batch=$(python3 -c 'import json; print(json.dumps([{"task_id":"bench","type":"task.heartbeat","data":{"n":i}} for i in range(1000)]))')
for ((i = 0; i < events / 1000; i++)); do
  curl -fs -H 'Content-Type: application/json' -d "$batch" "http://127.0.0.1:$hub_port/events" >/dev/null
done
wait $receiver
