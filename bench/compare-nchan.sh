#!/usr/bin/env bash
# PushHub vs nginx+Nchan, with the bare Kestrel endpoint as a calibration column for publishing and three PushHub
# nodes in cluster mode (Redis) beside the SQLite node: each scenario of bench/PushHub.Bench against each server in
# turn, with the same client, each run on a fresh server (only the one being measured runs), RUNS times; prints one
# markdown table (PushHub, PushHub x3 on Redis, Nchan, bare Kestrel, the ratio a target uses, DESIGN.md's target,
# met or missed, and the cluster's ratio to the SQLite node with DESIGN's cluster target) and the total time.
# Each run also records the server's CPU time during it (user + system of the server processes: nginx's master and
# workers, the hub, the cluster's nodes and their redis-server), the cost beside what the client saw.
# Loopback only (PushHub 127.0.0.1:5398, Nchan 127.0.0.1:5399, bare Kestrel 127.0.0.1:5397, the cluster's nodes
# 127.0.0.1:5391-5393 and its redis-server on a free loopback port); bounded in time; stops every server on exit.
# Needs the .NET SDK, node (webhook receiver), redis-server (cluster column), and Debian's nginx-light and
# libnginx-mod-nchan (apt-get install -y nginx-light libnginx-mod-nchan redis-server).
# Usage: bench/compare-nchan.sh [all | headline | publish batch sse ws steady steady-webhook longpoll idle webhooks ...]
#   all (the default): every scenario; headline: publish sse ws steady (DESIGN's headline rows).
# Sizes (environment): RUNS=1 (repeats of each scenario: the table shows median and min–max),
#   RUN_SECONDS=15, FANOUT="5000x10 5000x50" (subscribers x events/s; 1000x10 1000x50 were measured before),
#   STEADY_SECONDS=60, STEADY_SUBSCRIBERS=500, STEADY_TASKS=50, STEADY_RATE=200,
#   IDLE_SUBSCRIBERS=10000, POLLS=10000, ROUNDS=5, PUBLISH_EVENTS=30000, BATCH_EVENTS=300000,
#   WEBHOOK_EVENTS=20000, WEBHOOK_WARMUP_EVENTS=20000,
#   WARMUP_SECONDS=20 (unmeasured load first, against every server: .NET's tiered JIT is still recompiling
#   PushHub's hot path for some seconds after start; fan-out runs the scenario unmeasured, steady and publishing
#   warm up inside the load generator), ROWS_OUT=<file> (keep the collected rows; PushHub.Bench report renders them),
#   CLUSTER=1 (0: no cluster column; 1: every scenario also runs against three Redis-mode nodes, right after PushHub).
set -euo pipefail
cd "$(dirname "$0")/.."
script_started=$(date +%s)

RUNS=${RUNS:-1}
RUN_SECONDS=${RUN_SECONDS:-15}
FANOUT=${FANOUT:-5000x10 5000x50}
STEADY_SECONDS=${STEADY_SECONDS:-60}
STEADY_SUBSCRIBERS=${STEADY_SUBSCRIBERS:-500}
STEADY_TASKS=${STEADY_TASKS:-50}
STEADY_RATE=${STEADY_RATE:-200}
IDLE_SUBSCRIBERS=${IDLE_SUBSCRIBERS:-10000}
POLLS=${POLLS:-10000}
ROUNDS=${ROUNDS:-5}
PUBLISH_EVENTS=${PUBLISH_EVENTS:-30000}
BATCH_EVENTS=${BATCH_EVENTS:-300000}
WEBHOOK_EVENTS=${WEBHOOK_EVENTS:-20000}
WEBHOOK_WARMUP_EVENTS=${WEBHOOK_WARMUP_EVENTS:-20000}
WARMUP_SECONDS=${WARMUP_SECONDS:-20}
CLUSTER=${CLUSTER:-1}
scenarios=${*:-all}
[ "$scenarios" = all ] && scenarios="publish batch sse ws steady steady-webhook longpoll idle webhooks"
[ "$scenarios" = headline ] && scenarios="publish sse ws steady"
PUSHHUB_URL=http://127.0.0.1:5398
NCHAN_URL=http://127.0.0.1:5399
BARE_URL=http://127.0.0.1:5397
CLUSTER_URLS=(http://127.0.0.1:5391 http://127.0.0.1:5392 http://127.0.0.1:5393)
BENCH=bench/PushHub.Bench/bin/Release/net10.0/PushHub.Bench.dll
# No run may hang: the longest scenario's own time plus its warm-up, with room for connecting thousands of clients.
LIMIT=$((RUN_SECONDS + STEADY_SECONDS + 2 * WARMUP_SECONDS + 300))

# Thousands of subscribers on each side of a loopback connection: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
    echo "nofile limit $(ulimit -n) is too low for 10,000 connections per process: raise the hard limit" >&2
    exit 1
fi
command -v nginx >/dev/null || { echo "nginx not found: apt-get install -y nginx-light libnginx-mod-nchan" >&2; exit 1; }
if [ "$CLUSTER" != 0 ]; then
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
        || { echo "redis-server not found (the cluster column): apt-get install -y redis-server, or CLUSTER=0" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/pushhub-vs-nchan.XXXXXX)
trap 'stop_servers; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# --- The servers under test. Each has a start function and its URL list; stop_servers stops whatever was started.
# The cluster (DESIGN's last target: three nodes on one Redis, every figure within 2x of the SQLite node's,
# nothing lost) is a redis-server and three PushHub nodes; the load generator gets their three URLs and spreads
# publishers and subscribers over them.
servers=() # "pid signal" of each process started for the current run
redis_pid= # the cluster's redis-server, while it runs (the idle scenario reports its memory on its own rows)

# target_urls <target>: the address(es) the load generator is given, comma-separated.
target_urls() {
    case $1 in
        pushhub) echo "$PUSHHUB_URL" ;;
        nchan) echo "$NCHAN_URL" ;;
        bare) echo "$BARE_URL" ;;
        cluster) (IFS=,; echo "${CLUSTER_URLS[*]}") ;;
    esac
}

# target_args <target>: what the load generator is told besides the URLs.
target_args() {
    case $1 in
        cluster) echo "--target cluster --redis-pid $redis_pid" ;;
        *) echo "--target $1" ;;
    esac
}

# with_cluster <targets>: the cluster right after pushhub, unless CLUSTER=0.
with_cluster() {
    local target
    for target in $1; do
        echo "$target"
        [ "$target" != pushhub ] || [ "$CLUSTER" = 0 ] || echo cluster
    done
}

start_target() {
    case $1 in
        pushhub) start_pushhub ;;
        nchan) start_nchan ;;
        bare) start_bare ;;
        cluster) start_cluster ;;
    esac
}

# port_free <url>: fail when something already listens there (another helper's server on a shared machine):
# wait_ready would take its answers for ours, and the run would measure someone else's server.
port_free() {
    local hostport=${1#http://}
    if (exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}") 2>/dev/null; then
        echo "something already listens on $hostport: stop it, or run this when it is free" >&2
        exit 1
    fi
}

# wait_ready <url> <log> [curl options...]: until the server answers, or fail with its log.
wait_ready() {
    local url=$1 log=$2 pid=${servers[-1]%% *}
    shift 2
    for _ in $(seq 1 120); do
        curl -fs -o /dev/null "$@" "$url" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    echo "the server behind $url did not start:" >&2
    cat "$log" >&2
    exit 1
}

# A fresh database each time, so no run measures what the one before left behind.
start_pushhub() {
    port_free "$PUSHHUB_URL"
    rm -rf "$work/pushhub.db"*
    Storage__Path="$work/pushhub.db" Serilog__MinimumLevel__Default=Warning Webhooks__AllowPrivateNetworks=true \
        src/PushHub/bin/Release/net10.0/PushHub --urls "$PUSHHUB_URL" >"$work/pushhub.log" 2>&1 &
    servers+=("$! TERM")
    wait_ready "$PUSHHUB_URL/health/ready" "$work/pushhub.log"
}

# A fresh redis-server on a free loopback port (its own directory under $work), and three nodes on it. Redis keeps
# an append-only file with fsync every second (--appendonly yes --appendfsync everysec, no RDB snapshots): an
# acknowledged event then survives a crash of redis-server's process, as the SQLite node's (WAL,
# synchronous=NORMAL) survives a crash of the hub's; neither survives a power cut without its fsync per commit.
start_cluster() {
    local url redis_port node=0 key
    for url in "${CLUSTER_URLS[@]}"; do port_free "$url"; done
    redis_port=$(free_port)
    rm -rf "$work/redis" "$work"/cluster-*.log
    mkdir -p "$work/redis"
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work/redis" --save '' --appendonly yes --appendfsync everysec \
        --daemonize no --logfile "$work/redis.log" >/dev/null 2>&1 &
    servers+=("$! TERM")
    redis_pid=$!
    for _ in $(seq 1 60); do
        [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.5
    done
    [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] || { echo "redis-server did not start:" >&2; cat "$work/redis.log" >&2; exit 1; }
    # The nodes share one signing key (cluster mode refuses to start without one): generated for this run.
    key=$(head -c 32 /dev/urandom | base64)
    for url in "${CLUSTER_URLS[@]}"; do
        node=$((node + 1))
        Storage__Provider=Redis Storage__Redis__Configuration="127.0.0.1:$redis_port" Auth__TokenSigningKey="$key" \
            Serilog__MinimumLevel__Default=Warning Webhooks__AllowPrivateNetworks=true \
            src/PushHub/bin/Release/net10.0/PushHub --urls "$url" >"$work/cluster-$node.log" 2>&1 &
        servers+=("$! TERM")
        wait_ready "$url/health/ready" "$work/cluster-$node.log"
    done
}

# free_port: a loopback port nothing listens on.
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-), which outgoing connections take
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
    done
    echo "no free loopback port found" >&2
    exit 1
}

start_nchan() {
    port_free "$NCHAN_URL"
    rm -rf "$work/nginx"
    mkdir -p "$work/nginx/tmp"
    nginx -c "$PWD/bench/nchan/nginx.conf" -p "$work/nginx/" >"$work/nginx.log" 2>&1 &
    servers+=("$! QUIT")
    wait_ready "$NCHAN_URL/status" "$work/nginx.log"
}

start_bare() {
    port_free "$BARE_URL"
    dotnet bench/PushHub.BareKestrel/bin/Release/net10.0/PushHub.BareKestrel.dll --urls "$BARE_URL" >"$work/bare.log" 2>&1 &
    servers+=("$! TERM")
    wait_ready "$BARE_URL/" "$work/bare.log" -X POST -d '{}'
}

# Last started first: a cluster's nodes stop before their redis-server.
stop_servers() {
    local index entry
    for ((index = ${#servers[@]} - 1; index >= 0; index--)); do
        entry=${servers[index]}
        kill "-${entry#* }" "${entry%% *}" 2>/dev/null || true
        wait "${entry%% *}" 2>/dev/null || true
    done
    servers=()
    redis_pid=
}

# server_cpu_ticks: CPU time (user + system, clock ticks) of the running servers and their children (nginx's workers),
# so each run also says what the server spent on it, beside what the client saw.
server_cpu_ticks() {
    local entry pid child total=0
    for entry in "${servers[@]}"; do
        pid=${entry%% *}
        for child in "$pid" $(pgrep -P "$pid" || true); do
            [ -r "/proc/$child/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo 0)))
        done
    done
    echo "$total"
}

# run <label> <servers> <scenario> <args...>: RUNS times, against each server in turn, each on a fresh server.
# With fanout_warmup set, the scenario first runs unmeasured for WARMUP_SECONDS against the same server. Every
# "result" line becomes a row: label, server, run, figure, value; so do the load average and the exit status.
fanout_warmup=
run() {
    local label=$1 targets scenario=$3 index target url out status load cpu_before cpu_after
    targets=$(with_cluster "$2")
    shift 3
    for index in $(seq 1 "$RUNS"); do
        for target in $targets; do
            start_target "$target"
            url=$(target_urls "$target")
            read -r -a extra <<<"$(target_args "$target")"
            if [ -n "$fanout_warmup" ] && [ "$WARMUP_SECONDS" -gt 0 ]; then
                echo "-- $label, $target, run $index of $RUNS: warming up for $WARMUP_SECONDS s (not measured)"
                timeout "$LIMIT" dotnet "$BENCH" "$scenario" "$url" "$1" "$2" "$WARMUP_SECONDS" "${extra[@]}" >/dev/null \
                    || echo "   (warm-up failed or timed out)"
                sleep 3
            fi
            load=$(cut -d' ' -f1 /proc/loadavg)
            echo "-- $label, $target, run $index of $RUNS (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
            out="$work/out.txt"
            cpu_before=$(server_cpu_ticks)
            set +e
            timeout "$LIMIT" dotnet "$BENCH" "$scenario" "$url" "$@" "${extra[@]}" 2>&1 | tee "$out" | grep --line-buffered -v '^result '
            status=${PIPESTATUS[0]}
            set -e
            cpu_after=$(server_cpu_ticks)
            [ "$status" -eq 0 ] || echo "   (exit status $status: something was lost, refused or timed out)"
            {
                sed -n 's/^result \([^=]*\)=\(.*\)$/\1\t\2/p' "$out"
                printf 'load average (1 min) at start\t%s\n' "$load"
                printf 'server CPU during the run, s\t%s\n' "$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }')"
                printf 'exit status\t%s\n' "$status"
            } | while IFS=$'\t' read -r figure value; do
                printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$target" "$index" "$figure" "$value" >>"$work/rows"
            done
            stop_servers
            sleep 3 # let the connections close
        done
    done
}

echo "== build (Release)"
for project in src/PushHub bench/PushHub.Bench bench/PushHub.BareKestrel; do
    dotnet build -c Release "$project" -v q -nologo >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
done
started=$(date -u +%FT%TZ)
measure_started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

steady_label="steady $STEADY_SUBSCRIBERS SSE subscribers over $STEADY_TASKS tasks, $STEADY_RATE events/s, $STEADY_SECONDS s"
steady_args=("$STEADY_SUBSCRIBERS" "$STEADY_TASKS" "$STEADY_RATE" "$STEADY_SECONDS" --warmup-seconds "$WARMUP_SECONDS")
: >"$work/rows"
for scenario in $scenarios; do
    fanout_warmup=
    case $scenario in
        publish) run "publish, 32 clients" "pushhub nchan bare" publish --clients 32 --events "$PUBLISH_EVENTS" --warmup-seconds "$WARMUP_SECONDS" ;;
        batch) run "batch of 1,000, 4 clients" "pushhub nchan bare" batch --clients 4 --events "$BATCH_EVENTS" --batch 1000 --warmup-seconds "$WARMUP_SECONDS" ;;
        sse | ws)
            fanout_warmup=yes
            for size in $FANOUT; do
                run "$scenario ${size%x*} subscribers, ${size#*x} events/s, ${RUN_SECONDS} s" "pushhub nchan" "$scenario" "${size%x*}" "${size#*x}" "$RUN_SECONDS"
            done ;;
        steady) run "$steady_label" "pushhub nchan" steady "${steady_args[@]}" ;;
        # Nchan has no webhooks: its plain steady run is the reference for this row's ratio.
        steady-webhook) run "$steady_label, one webhook registered" pushhub steady "${steady_args[@]}" --webhook on ;;
        longpoll) run "longpoll $POLLS parked, $ROUNDS rounds" "pushhub nchan" longpoll "$POLLS" "$ROUNDS" ;;
        idle) run "idle $IDLE_SUBSCRIBERS SSE subscribers" "pushhub nchan" idle "$IDLE_SUBSCRIBERS" ;;
        webhooks) run "webhooks, $WEBHOOK_EVENTS events in batches of 1,000" pushhub webhooks "$WEBHOOK_EVENTS" --warmup-events "$WEBHOOK_WARMUP_EVENTS" ;;
        *) echo "unknown scenario $scenario (all, headline, publish, batch, sse, ws, steady, steady-webhook, longpoll, idle, webhooks)" >&2; exit 2 ;;
    esac
done
finished=$(date +%s)

echo
echo "== PushHub vs Nchan (and bare Kestrel), $(nproc) cores, $started to $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)," \
    "RUNS=$RUNS, load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "   ratio = PushHub / the server named (per second: higher is better; ms and KB: lower is better). Nchan keeps"
echo "   messages in shared memory only (not durable); PushHub answers a publish after its commit to disk (durable)."
[ "$CLUSTER" = 0 ] || echo "   PushHub x3 (Redis): three nodes on one redis-server (AOF, fsync every second), the load spread over them;" \
    "x3 / SQLite = the cluster's figure over the SQLite node's from the same run (DESIGN: within 2x, nothing lost)."
echo
dotnet "$BENCH" report "$work/rows"
[ -z "${ROWS_OUT:-}" ] || cp "$work/rows" "$ROWS_OUT"
echo
echo "total time: $(( (finished - measure_started) / 60 )) min $(( (finished - measure_started) % 60 )) s measuring" \
    "($scenarios), $(( measure_started - script_started )) s building"
