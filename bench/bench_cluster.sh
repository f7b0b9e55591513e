#!/usr/bin/env bash
# bench_cluster.sh: StartExecution over HTTP on PostgreSQL with 1, 2 and 3
# `stepd serve` nodes sharing one database, and on SQLite with one node for
# comparison.  Builds stepd in Release, starts a throwaway PostgreSQL
# server (scripts/pg.sh), and for each setup runs wrk (bench/http_start.lua)
# against every node at once, the connections split between them; prints
# the summed requests/s and the worst node's p50/p99, then checks that
# every acknowledged execution is in the store.
# Usage: bench/bench_cluster.sh
# Env: SFN_BENCH_BUILD      build dir (default build-release/)
#      STEPD_BENCH_SECONDS  seconds per run (10)
#      STEPD_BENCH_CONNS    connections in all (16)
#      STEPD_BENCH_SETUPS   setups to run ("sqlite:1 pg:1 pg:2 pg:3")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SFN_BENCH_BUILD:-$root/build-release}
secs=${STEPD_BENCH_SECONDS:-10}
conns=${STEPD_BENCH_CONNS:-16}
setups=${STEPD_BENCH_SETUPS:-"sqlite:1 pg:1 pg:2 pg:3"}

for t in wrk curl jq psql; do
    command -v "$t" >/dev/null || { echo "bench_cluster: $t is missing (scripts/deps.sh installs it)" >&2; exit 2; }
done
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSFN_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target stepd >/dev/null

tmp=$(mktemp -d /tmp/stepd-bench-cluster-XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    bash "$root/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
base=$(bash "$root/scripts/pg.sh" start "$tmp/pg" | tail -n1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

node_url=""
start_node() { # db node-id -> sets node_url
    local port
    port=$(free_port)
    "$build/api/stepd" serve --listen "127.0.0.1:$port" --db "$1" \
        --node-id "$2" --log-level warn >/dev/null 2>>"$tmp/serve-$2.log" &
    pids+=($!)
    node_url="http://127.0.0.1:$port"
    for _ in $(seq 1 200); do
        curl -sf "$node_url/healthz" >/dev/null && return 0
        sleep 0.05
    done
    cat "$tmp/serve-$2.log" >&2
    exit 1
}

stop_nodes() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    pids=()
}

machine=bench3
export STEPD_BENCH_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:$machine"
echo "bench_cluster on $(nproc) cores, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$conns connections in all, ${secs}s per run"
printf '%-10s %6s %12s %10s %10s %10s\n' store nodes requests/s p50_ms p99_ms acked_ok
n=0
for setup in $setups; do
    kind=${setup%%:*} nodes=${setup##*:}
    n=$((n + 1))
    if [ "$kind" = pg ]; then
        db="${base%/postgres}/bench$n"
        psql "$base" -qc "CREATE DATABASE bench$n" >/dev/null
    else
        db="$tmp/bench$n.db"
    fi
    urls=()
    for k in $(seq 1 "$nodes"); do start_node "$db" "b$n-$k"; urls+=("$node_url"); done
    curl -sf -X PUT -H 'Content-Type: application/json' "${urls[0]}/v1/state-machines/$machine" \
        --data-binary '{"StartAt":"One","States":{
          "One":{"Type":"Pass","Result":1,"ResultPath":"$.one","Next":"Two"},
          "Two":{"Type":"Pass","Result":2,"ResultPath":"$.two","Next":"Done"},
          "Done":{"Type":"Succeed"}}}' >/dev/null
    per=$(( conns / nodes )); (( per > 0 )) || per=1
    outs=()
    for k in "${!urls[@]}"; do
        wrk -t1 -c"$per" -d"${secs}s" --latency -s "$root/bench/http_start.lua" \
            "${urls[$k]}/" >"$tmp/wrk-$k.txt" &
        outs+=($!)
    done
    for p in "${outs[@]}"; do wait "$p"; done
    rps=0 p50=0 p99=0 acked=0
    for k in "${!urls[@]}"; do
        line=$(grep '^RESULT' "$tmp/wrk-$k.txt")
        get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
        rps=$(awk -v a="$rps" -v b="$(get rps)" 'BEGIN{printf "%.0f", a+b}')
        p50=$(awk -v a="$p50" -v b="$(get p50_ms)" 'BEGIN{print (b>a)?b:a}')
        p99=$(awk -v a="$p99" -v b="$(get p99_ms)" 'BEGIN{print (b>a)?b:a}')
        acked=$(( acked + $(get requests) - $(get non2xx) ))
    done
    count=0 cursor=""
    while :; do
        page=$(curl -sf -G "${urls[0]}/v1/executions" --data-urlencode "stateMachine=$machine" \
            --data-urlencode "limit=1000" ${cursor:+--data-urlencode "cursor=$cursor"})
        count=$(( count + $(jq '.executions | length' <<<"$page") ))
        cursor=$(jq -r '.nextCursor // empty' <<<"$page")
        [ -n "$cursor" ] || break
    done
    ok=yes; (( count >= acked )) || ok="no ($count of $acked)"
    printf '%-10s %6s %12s %10s %10s %10s\n' "$kind" "$nodes" "$rps" "$p50" "$p99" "$ok"
    stop_nodes
done
