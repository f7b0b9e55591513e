#!/usr/bin/env bash
# bench_http.sh: StartExecution over HTTP.  Builds stepd in Release, starts
# `stepd serve` on a temporary database, uploads a 3-state machine, runs wrk
# (bench/http_start.lua, AWS JSON 1.0 protocol) at 1, 16 and 64
# connections, prints requests/s and p50/p99 latency (with several runs per
# count, also the median and range of requests/s and p99), then checks
# through the API (ListExecutions) that every acknowledged execution is in
# the store.
# Usage: bench/bench_http.sh
# Env: SFN_BENCH_BUILD      build dir (default build-release/)
#      STEPD_BENCH_SECONDS  seconds per run (10)
#      STEPD_BENCH_CONNS    connection counts ("1 16 64")
#      STEPD_BENCH_RUNS     runs per connection count (1)
#      STEPD_BENCH_THREADS  stepd's `threads` setting (0 = an epoll pool of
#                           one thread per core, N = N threads, -1 = a
#                           thread per connection)
#      STEPD_BENCH_SYNC     stepd's `sync` setting (normal)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SFN_BENCH_BUILD:-$root/build-release}
secs=${STEPD_BENCH_SECONDS:-10}
conns=${STEPD_BENCH_CONNS:-"1 16 64"}
runs=${STEPD_BENCH_RUNS:-1}
threads=${STEPD_BENCH_THREADS:-0}
sync=${STEPD_BENCH_SYNC:-normal}

command -v wrk >/dev/null || { echo "bench_http: wrk is missing (scripts/deps.sh installs it)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench_http: curl is missing" >&2; exit 2; }

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSFN_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target stepd >/dev/null

tmp=$(mktemp -d /tmp/stepd-bench-http-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
"$build/api/stepd" serve --listen "127.0.0.1:$port" --db "$tmp/bench.db" \
    --threads "$threads" --sync "$sync" --log-level warn 2>"$tmp/serve.log" &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

for _ in $(seq 1 200); do
    curl -sf "$url/healthz" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
    sleep 0.05
done
curl -sf "$url/healthz" >/dev/null || { echo "bench_http: stepd serve did not start" >&2; exit 1; }

machine=bench3
curl -sf -X PUT -H 'Content-Type: application/json' "$url/v1/state-machines/$machine" \
    --data-binary '{"StartAt":"One","States":{
      "One":{"Type":"Pass","Result":1,"ResultPath":"$.one","Next":"Two"},
      "Two":{"Type":"Pass","Result":2,"ResultPath":"$.two","Next":"Done"},
      "Done":{"Type":"Succeed"}}}' >/dev/null
export STEPD_BENCH_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:$machine"

echo "bench_http on $(nproc) cores, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "threads=$threads sync=$sync, ${secs}s per run"
printf '%-6s %12s %10s %10s %10s %8s\n' conns requests/s p50_ms p99_ms max_ms non2xx
acked=0
summary=""
# median, min and max of a list of numbers
stats() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {
    m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
    printf "%.1f [%.1f-%.1f]", m, v[1], v[NR] }'; }
for c in $conns; do
    t=$(( c < 2 ? 1 : 2 ))
    all_rps="" all_p99=""
    for _ in $(seq 1 "$runs"); do
        out=$(wrk -t"$t" -c"$c" -d"${secs}s" --latency -s "$root/bench/http_start.lua" "$url/")
        line=$(grep '^RESULT' <<<"$out")
        get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
        printf '%-6s %12s %10s %10s %10s %8s\n' "$c" "$(get rps)" "$(get p50_ms)" \
            "$(get p99_ms)" "$(get max_ms)" "$(get non2xx)"
        acked=$(( acked + $(get requests) - $(get non2xx) ))
        all_rps="$all_rps $(get rps)" all_p99="$all_p99 $(get p99_ms)"
    done
    summary="$summary$(printf '%-6s requests/s %s  p99_ms %s' "$c" \
        "$(stats <<<"$all_rps")" "$(stats <<<"$all_p99")")"$'\n'
done
if (( runs > 1 )); then
    echo "median [min-max] over $runs runs:"
    printf '%s' "$summary"
fi

# every acknowledged StartExecution must be in the store: count them by
# paging ListExecutions (1,000 per page) over the REST dialect
count=0
cursor=""
while :; do
    page=$(curl -sf -G "$url/v1/executions" --data-urlencode "stateMachine=$machine" \
        --data-urlencode "limit=1000" ${cursor:+--data-urlencode "cursor=$cursor"})
    count=$(( count + $(jq '.executions | length' <<<"$page") ))
    cursor=$(jq -r '.nextCursor // empty' <<<"$page")
    [ -n "$cursor" ] || break
done
echo "acknowledged: $acked, in the store: $count"
if (( count < acked )); then
    echo "bench_http: $(( acked - count )) acknowledged executions are missing" >&2
    exit 1
fi
