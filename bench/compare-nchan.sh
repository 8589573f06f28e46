#!/usr/bin/env bash
# PushHub vs nginx+Nchan, SSE fan-out, the same client (bench/PushHub.Bench sse) against each in turn.
# Loopback only (PushHub on 127.0.0.1:5398, Nchan on 127.0.0.1:5399); bounded in time; stops both servers on exit.
# Needs: the .NET SDK, and Debian's nginx-light and libnginx-mod-nchan (apt-get install -y nginx-light libnginx-mod-nchan).
# Usage: bench/compare-nchan.sh            (RUN_SECONDS=15 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_SECONDS=${RUN_SECONDS:-15}
PUSHHUB_URL=http://127.0.0.1:5398
NCHAN_URL=http://127.0.0.1:5399
BENCH=bench/PushHub.Bench/bin/Release/net10.0/PushHub.Bench.dll

# 5,000 subscribers on each side of a loopback connection, plus publishers: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
    echo "nofile limit $(ulimit -n) is too low for 5,000 subscribers (client and server fds): raise the hard limit" >&2
    exit 1
fi
command -v nginx >/dev/null || { echo "nginx not found: apt-get install -y nginx-light libnginx-mod-nchan" >&2; exit 1; }

work=$(mktemp -d /tmp/pushhub-vs-nchan.XXXXXX)
hub_pid=
nginx_pid=
cleanup() {
    [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build (Release)"
dotnet build -c Release src/PushHub -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet build -c Release bench/PushHub.Bench -v q -nologo >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

echo "== start PushHub ($PUSHHUB_URL) and nginx+Nchan ($NCHAN_URL)"
Storage__Path="$work/pushhub.db" Serilog__MinimumLevel__Default=Warning \
    src/PushHub/bin/Release/net10.0/PushHub --urls "$PUSHHUB_URL" >"$work/pushhub.log" 2>&1 &
hub_pid=$!
mkdir -p "$work/nginx/tmp"
nginx -c "$PWD/bench/nchan/nginx.conf" -p "$work/nginx/" >"$work/nginx.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 1 60); do
    curl -fs -o /dev/null "$PUSHHUB_URL/health/ready" && curl -s -o /dev/null "$NCHAN_URL/pub?id=ping" && break
    sleep 0.5
done
kill -0 "$hub_pid" || { echo "PushHub did not start:" >&2; cat "$work/pushhub.log" >&2; exit 1; }
kill -0 "$nginx_pid" || { echo "nginx did not start:" >&2; cat "$work/nginx.log" "$work/nginx/error.log" >&2; exit 1; }

# run <target> <url> <subscribers> <events/s>: one bounded run; prints its lines and appends a summary row.
run() {
    local target=$1 url=$2 subs=$3 rate=$4 out
    out="$work/$target-$subs-$rate.txt"
    echo "-- $target: $subs subscribers, $rate events/s, $RUN_SECONDS s (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    timeout $((RUN_SECONDS + 120)) dotnet "$BENCH" sse "$url" "$subs" "$rate" "$RUN_SECONDS" --target "$target" | tee "$out" || echo "   (run failed or timed out)"
    # "published P, deliveries D of E expected" / "deliveries/s X; publish→receive p50 A ms, p99 B ms, max C ms"
    awk -v t="$target" -v s="$subs" -v r="$rate" '
        /^published/ { d = $4; e = $6 }
        /^deliveries\/s/ { gsub(/;/, ""); x = $2; p50 = $5; p99 = $8; mx = $11 }
        END { printf "%s %s %s %s %s %s %s %s %s\n", s, r, t, (x ? x : "-"), (p50 ? p50 : "-"), (p99 ? p99 : "-"), (mx ? mx : "-"), (d ? d : "-"), (e ? e : "-") }
    ' "$out" >>"$work/rows"
    sleep 3 # let the last run's connections close
}

: >"$work/rows"
for scenario in "5000 10" "5000 50" "1000 10" "1000 50"; do
    set -- $scenario
    run pushhub "$PUSHHUB_URL" "$1" "$2"
    run nchan "$NCHAN_URL" "$1" "$2"
done

echo
echo "== PushHub vs Nchan, SSE fan-out, $RUN_SECONDS s per run, $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
echo "   ratio = PushHub / Nchan (deliveries/s: higher is better; latency: lower is better)"
awk '
    function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
    { key = $1 " " $2; v[key, $3, "x"] = $4; v[key, $3, "p50"] = $5; v[key, $3, "p99"] = $6; v[key, $3, "max"] = $7
      v[key, $3, "d"] = $8; v[key, $3, "e"] = $9; if (!(key in seen)) { seen[key] = 1; order[n++] = key } }
    END {
        printf "| subscribers | events/s | figure | PushHub | Nchan | ratio |\n|---|---|---|---|---|---|\n"
        for (i = 0; i < n; i++) {
            k = order[i]; split(k, f, " ")
            printf "| %s | %s | deliveries/s | %s | %s | %s |\n", f[1], f[2], v[k, "pushhub", "x"], v[k, "nchan", "x"], ratio(v[k, "pushhub", "x"], v[k, "nchan", "x"])
            printf "| %s | %s | p50 ms | %s | %s | %s |\n", f[1], f[2], v[k, "pushhub", "p50"], v[k, "nchan", "p50"], ratio(v[k, "pushhub", "p50"], v[k, "nchan", "p50"])
            printf "| %s | %s | p99 ms | %s | %s | %s |\n", f[1], f[2], v[k, "pushhub", "p99"], v[k, "nchan", "p99"], ratio(v[k, "pushhub", "p99"], v[k, "nchan", "p99"])
            printf "| %s | %s | max ms | %s | %s | %s |\n", f[1], f[2], v[k, "pushhub", "max"], v[k, "nchan", "max"], ratio(v[k, "pushhub", "max"], v[k, "nchan", "max"])
            printf "| %s | %s | delivered of expected | %s of %s | %s of %s | |\n", f[1], f[2], v[k, "pushhub", "d"], v[k, "pushhub", "e"], v[k, "nchan", "d"], v[k, "nchan", "e"]
        }
    }' "$work/rows"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
