#!/usr/bin/env bash
# CPU time, allocations and GC pauses per request of one hub under a publish or poll load, from GET /stats's
# runtime figures read before and after the measured run (the warm-up is not counted). On a machine shared with
# other work a throughput figure is noise; what the hub spends per request is not.
#   bench/request-cost.sh [publish|poll] [events] [warmup seconds]     (after: dotnet build -c Release src/PushHub bench/PushHub.Bench)
#   bench/request-cost.sh longpoll [polls] [rounds]   (parked long-polls woken by one publish a round, each asking again
#     right after its answer; per poll answered and parked again; a 3-round run first as the warm-up)
# Extra hub settings go in the environment (DOTNET_gcServer=0, Storage__Synchronous=Full, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-publish}
events=${2:-30000}
warmup=${3:-15}
port=${PORT:-5381}
# Thousands of parked polls need as many descriptors in the hub as in the client: raise the soft limit first.
if [ "$scenario" = longpoll ]; then ulimit -n "$(ulimit -Hn)"; fi
dir=$(mktemp -d /tmp/pushhub-cost.XXXXXX)
Storage__Path=$dir/p.db Serilog__MinimumLevel__Default=Warning src/PushHub/bin/Release/net10.0/PushHub \
  --urls "http://127.0.0.1:$port" >"$dir/hub.log" 2>&1 &
hub=$!
trap 'kill $hub 2>/dev/null; wait $hub 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health/live" >/dev/null && break; sleep 0.1; done
bench="dotnet bench/PushHub.Bench/bin/Release/net10.0/PushHub.Bench.dll"
if [ "$scenario" = longpoll ]; then
    polls=${2:-10000}
    rounds=${3:-5}
    $bench longpoll "http://127.0.0.1:$port" "$polls" 3 >/dev/null
    before=$(curl -fs "http://127.0.0.1:$port/stats")
    $bench longpoll "http://127.0.0.1:$port" "$polls" "$rounds" | grep -E '^(round|wake-up)'
    after=$(curl -fs "http://127.0.0.1:$port/stats")
    python3 bench/runtime-cost.py "$((polls * rounds))" "per poll answered" "$before" "$after"
    exit 0
fi
$bench "$scenario" --url "http://127.0.0.1:$port" --clients 32 --events 2000 --warmup-seconds "$warmup" >/dev/null
before=$(curl -fs "http://127.0.0.1:$port/stats")
$bench "$scenario" --url "http://127.0.0.1:$port" --clients 32 --events "$events" --warmup-seconds 0 | grep -v '^result'
after=$(curl -fs "http://127.0.0.1:$port/stats")
python3 bench/runtime-cost.py "$events" "per request" "$before" "$after"
