#!/usr/bin/env bash
# PushHub vs nginx+Nchan: each scenario of bench/PushHub.Bench against PushHub, then against Nchan, with the same
# client, on fresh servers; prints a markdown table (PushHub, Nchan, ratio, target) from that one run.
# Loopback only (PushHub on 127.0.0.1:5398, Nchan on 127.0.0.1:5399); bounded in time; stops both servers on exit.
# Needs: the .NET SDK, and Debian's nginx-light and libnginx-mod-nchan (apt-get install -y nginx-light libnginx-mod-nchan).
# Usage: bench/compare-nchan.sh [all | publish batch sse ws longpoll idle ...]     (default: all)
# Sizes (environment): RUN_SECONDS=15, FANOUT="5000x10 5000x50 1000x10 1000x50" (subscribers x events/s),
#   IDLE_SUBSCRIBERS=10000, POLLS=10000, ROUNDS=5, PUBLISH_EVENTS=30000, BATCH_EVENTS=300000,
#   WARMUP_SECONDS=20 (an unmeasured fan-out run first, against both servers: .NET's tiered JIT is still
#   recompiling PushHub's hot path for some seconds after start; publishing warms up by itself).
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_SECONDS=${RUN_SECONDS:-15}
FANOUT=${FANOUT:-5000x10 5000x50 1000x10 1000x50}
IDLE_SUBSCRIBERS=${IDLE_SUBSCRIBERS:-10000}
POLLS=${POLLS:-10000}
ROUNDS=${ROUNDS:-5}
PUBLISH_EVENTS=${PUBLISH_EVENTS:-30000}
BATCH_EVENTS=${BATCH_EVENTS:-300000}
WARMUP_SECONDS=${WARMUP_SECONDS:-20}
scenarios=${*:-all}
[ "$scenarios" = all ] && scenarios="publish batch sse ws longpoll idle"
PUSHHUB_URL=http://127.0.0.1:5398
NCHAN_URL=http://127.0.0.1:5399
BENCH=bench/PushHub.Bench/bin/Release/net10.0/PushHub.Bench.dll

# Thousands of subscribers on each side of a loopback connection: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
    echo "nofile limit $(ulimit -n) is too low for 10,000 connections per process: raise the hard limit" >&2
    exit 1
fi
command -v nginx >/dev/null || { echo "nginx not found: apt-get install -y nginx-light libnginx-mod-nchan" >&2; exit 1; }

work=$(mktemp -d /tmp/pushhub-vs-nchan.XXXXXX)
hub_pid=
nginx_pid=
stop_servers() {
    if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null || true; fi
    if [ -n "$nginx_pid" ]; then kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true; fi
    hub_pid= nginx_pid=
}
trap 'stop_servers; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Fresh servers for each scenario, so none measures what the one before it left behind (memory, stored events).
start_servers() {
    rm -rf "$work/pushhub.db"* "$work/nginx"
    Storage__Path="$work/pushhub.db" Serilog__MinimumLevel__Default=Warning \
        src/PushHub/bin/Release/net10.0/PushHub --urls "$PUSHHUB_URL" >"$work/pushhub.log" 2>&1 &
    hub_pid=$!
    mkdir -p "$work/nginx/tmp"
    nginx -c "$PWD/bench/nchan/nginx.conf" -p "$work/nginx/" >"$work/nginx.log" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 1 60); do
        curl -fs -o /dev/null "$PUSHHUB_URL/health/ready" && curl -fs -o /dev/null "$NCHAN_URL/status" && break
        sleep 0.5
    done
    kill -0 "$hub_pid" || { echo "PushHub did not start:" >&2; cat "$work/pushhub.log" >&2; exit 1; }
    kill -0 "$nginx_pid" || { echo "nginx did not start:" >&2; cat "$work/nginx.log" "$work/nginx/error.log" >&2; exit 1; }
}

# run <label> <scenario> <args...>: the scenario against PushHub, then Nchan; its "result" lines become rows.
run() {
    local label=$1 scenario=$2 target url out
    shift 2
    start_servers
    for target in pushhub nchan; do
        url=$PUSHHUB_URL
        [ "$target" = nchan ] && url=$NCHAN_URL
        out="$work/out.txt"
        if [ "$scenario" = sse ] || [ "$scenario" = ws ] && [ "$WARMUP_SECONDS" -gt 0 ]; then
            echo "-- $label, $target: warming up for $WARMUP_SECONDS s (not measured)"
            timeout $((WARMUP_SECONDS + 300)) dotnet "$BENCH" "$scenario" "$url" "$1" "$2" "$WARMUP_SECONDS" --target "$target" >/dev/null \
                || echo "   (warm-up failed or timed out)"
            sleep 3
        fi
        echo "-- $label, $target (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
        timeout $((RUN_SECONDS + 300)) dotnet "$BENCH" "$scenario" "$url" "$@" --target "$target" | tee "$out" | grep -v '^result ' \
            || echo "   (run failed or timed out)"
        sed -n 's/^result \([^=]*\)=\(.*\)$/\1\t\2/p' "$out" | while IFS=$'\t' read -r figure value; do
            printf '%s\t%s\t%s\t%s\n' "$label" "$target" "$figure" "$value" >>"$work/rows"
        done
        sleep 3 # let the connections close
    done
    stop_servers
}

echo "== build (Release)"
dotnet build -c Release src/PushHub -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet build -c Release bench/PushHub.Bench -v q -nologo >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
started=$(date -u +%FT%TZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

: >"$work/rows"
for scenario in $scenarios; do
    case $scenario in
        publish) run "publish, 32 clients" publish --clients 32 --events "$PUBLISH_EVENTS" ;;
        batch) run "batch of 1,000, 4 clients" batch --clients 4 --events "$BATCH_EVENTS" --batch 1000 ;;
        sse | ws)
            for size in $FANOUT; do
                run "$scenario ${size%x*} subscribers, ${size#*x} events/s, ${RUN_SECONDS} s" "$scenario" "${size%x*}" "${size#*x}" "$RUN_SECONDS"
            done ;;
        longpoll) run "longpoll $POLLS parked, $ROUNDS rounds" longpoll "$POLLS" "$ROUNDS" ;;
        idle) run "idle $IDLE_SUBSCRIBERS SSE subscribers" idle "$IDLE_SUBSCRIBERS" ;;
        *) echo "unknown scenario $scenario (all, publish, batch, sse, ws, longpoll, idle)" >&2; exit 2 ;;
    esac
done

echo
echo "== PushHub vs Nchan, $(nproc) cores, $started to $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)," \
    "load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "   ratio = PushHub / Nchan (per second: higher is better; ms and KB: lower is better). Nchan keeps messages in"
echo "   shared memory only (not durable); PushHub answers a publish after its commit to disk (durable)."
echo
awk -F'\t' '
    BEGIN { n = 0 }
    function number(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?$/ }
    function ratio(a, b) { return (number(a) && number(b) && a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", a / b) : "" }
    function target(label, figure) {
        if (label ~ /^sse 5000 subscribers, 10 events/ && figure == "p99 ms") return "≤ 100 ms"
        if (label ~ /^sse 5000 subscribers, 50 events/ && figure == "deliveries/s") return "≥ 200,000 and ≥ 2.5× Nchan"
        if (label ~ /^publish/ && figure == "events/s") return "≥ 15,000 (durable)"
        if (label ~ /^publish/ && figure == "request p99 ms") return "≤ 10 ms"
        if (label ~ /^batch/ && figure == "events/s") return "≥ 100,000 (Nchan: one message per batch)"
        if (label ~ /^idle 10000/ && figure == "KB per subscriber (VmRSS)") return "≤ 12 KB"
        if (label ~ /^longpoll 10000/ && figure ~ /^wake-up after publish answered, p99/) return "≤ 50 ms"
        return ""
    }
    {
        key = $1 SUBSEP $3; v[key, $2] = $4
        if (!(key in seen)) { seen[key] = 1; label[n] = $1; figure[n] = $3; n++ }
    }
    END {
        print "| scenario | figure | PushHub | Nchan | ratio | target |"
        print "|---|---|---|---|---|---|"
        for (i = 0; i < n; i++) {
            k = label[i] SUBSEP figure[i]; p = ((k, "pushhub") in v) ? v[k, "pushhub"] : "-"; c = ((k, "nchan") in v) ? v[k, "nchan"] : "-"
            printf "| %s | %s | %s | %s | %s | %s |\n", label[i], figure[i], p, c, ratio(p, c), target(label[i], figure[i])
        }
    }' "$work/rows"
