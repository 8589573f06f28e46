#!/usr/bin/env bash
# Signed deliveries per second and the hub's CPU time and allocations per delivery: the webhooks scenario (as
# run.sh) against a hub of its own, with GET /stats's runtime figures read before and after the bench (so the CPU
# figure covers the warm-up too, and includes publishing the events: divide by warm-up + measured events).
# On a shared machine the throughput is noisy; the CPU per delivery is the steadier figure.
#   bench/webhooks/cost.sh [events] [warm-up events]     (defaults 20000 20000; after dotnet build -c Release of
#   src/PushHub and bench/PushHub.Bench). HUB=<dir of a Release build> compares another build (A/B); PORT=5197.
#   NODES=3: a cluster instead, redis-server of its own on PORT and the nodes on PORT+1..PORT+NODES (the CPU and
#   bytes summed over the nodes; redis-server's CPU and script calls per delivery beside them).
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-20000}
warmup=${2:-20000}
port=${PORT:-5197}
nodes=${NODES:-1}
hub_dir=${HUB:-src/PushHub/bin/Release/net10.0}
dir=$(mktemp -d /tmp/pushhub-hooks.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT
urls=()
if [ "$nodes" -gt 1 ]; then
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly yes --appendfsync everysec \
    --daemonize no --logfile "$dir/redis.log" >/dev/null 2>&1 &
  redis=$!
  pids+=("$redis")
  for _ in $(seq 60); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.2; done
  key=$(head -c 32 /dev/urandom | base64)
  for n in $(seq "$nodes"); do
    Storage__Provider=Redis Storage__Redis__Configuration="127.0.0.1:$port" Auth__TokenSigningKey="$key" \
      Webhooks__AllowPrivateNetworks=true Serilog__MinimumLevel__Default=Warning \
      "$hub_dir/PushHub" --urls "http://127.0.0.1:$((port + n))" >"$dir/hub-$n.log" 2>&1 &
    pids+=("$!")
    urls+=("http://127.0.0.1:$((port + n))")
  done
else
  Storage__Path=$dir/p.db Webhooks__AllowPrivateNetworks=true Serilog__MinimumLevel__Default=Warning \
    "$hub_dir/PushHub" --urls "http://127.0.0.1:$port" >"$dir/hub.log" 2>&1 &
  pids+=("$!")
  urls+=("http://127.0.0.1:$port")
fi
stats() { for url in "${urls[@]}"; do curl -fs "$url/stats"; echo; done; }
for url in "${urls[@]}"; do
  for _ in $(seq 200); do curl -fs "$url/health/ready" >/dev/null && break; sleep 0.1; done
done
mapfile -t before < <(stats)
[ "$nodes" -gt 1 ] && redis_before=$(awk '{print $14 + $15}' "/proc/$redis/stat") && redis-cli -p "$port" config resetstat >/dev/null
target=$([ "$nodes" -gt 1 ] && echo "--target cluster" || true)
dotnet bench/PushHub.Bench/bin/Release/net10.0/PushHub.Bench.dll webhooks "$(IFS=,; echo "${urls[*]}")" "$events" \
  --warmup-events "$warmup" $target | grep -v '^result' | grep -v '^warm-up'
mapfile -t after < <(stats)
pairs=()
for i in "${!urls[@]}"; do pairs+=("${before[$i]}" "${after[$i]}"); done
total=$((events + warmup))
python3 bench/runtime-cost.py "$total" "per delivery (event published + delivered, $total)" "${pairs[@]}"
if [ "$nodes" -gt 1 ]; then
  ticks=$(getconf CLK_TCK)
  redis_cpu=$(( $(awk '{print $14 + $15}' "/proc/$redis/stat") - redis_before ))
  redis-cli -p "$port" info commandstats | tr -d '\r' | awk -F'[:=,]' -v n="$total" -v cpu="$redis_cpu" -v hz="$ticks" '
    /^cmdstat_(evalsha|eval|get|hget)\:/ { printf "%s %.2f per delivery; ", substr($1, 9), $3 / n }
    END { printf "redis-server cpu %.1f us per delivery\n", cpu * 1e6 / hz / n }'
fi
