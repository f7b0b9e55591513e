#!/usr/bin/env bash
# Builds the benchmarks in Release and runs bench_compile, bench_engine and,
# when node and npm are present, the same engine workloads on the peer
# aws-local-stepfunctions (bench/peer/), then prints stepd against the peer;
# then bench_jsonata and bench_tasks (HTTP Tasks against a local service).
# Usage: bench/run.sh [bench_compile args, e.g. --runs 30 --states 10000]
# Env: SFN_BENCH_BUILD   build dir (default build-release/)
#      SFN_BENCH_DB_DIR  where bench_engine puts its SQLite files (/tmp)
#      SFN_BENCH_REPEAT  engine and peer runs; the table shows medians (1)
#      SFN_BENCH_NO_PEER set to 1 to skip the peer
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SFN_BENCH_BUILD:-$root/build-release}
dbdir=${SFN_BENCH_DB_DIR:-${TMPDIR:-/tmp}}
repeat=${SFN_BENCH_REPEAT:-1}
case $repeat in
'' | *[!0-9]* | 0) echo "run.sh: SFN_BENCH_REPEAT must be a positive integer, got '$repeat'" >&2; exit 2 ;;
esac

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSFN_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target bench_compile bench_engine >/dev/null
echo "bench on $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/bench_compile" "$@"
echo

# The peer is optional: without node/npm or the registry, stepd's own
# figures are still worth printing.
peer=1
if [[ ${SFN_BENCH_NO_PEER:-0} == 1 ]]; then
    echo "peer: skipped (SFN_BENCH_NO_PEER=1)"
    peer=0
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "peer: node and npm not found; comparing without aws-local-stepfunctions"
    peer=0
else
    install=(ci)
    [[ -f $root/bench/peer/package-lock.json ]] || install=(install)
    if ! npm "${install[@]}" --prefix "$root/bench/peer" --no-audit --no-fund \
        --loglevel=error >/dev/null; then
        echo "peer: npm ${install[*]} failed; comparing without aws-local-stepfunctions"
        peer=0
    fi
fi

# Engine and peer runs alternate so a burst of load hits both alike.
stepd_json=()
peer_json=()
for ((i = 1; i <= repeat; i++)); do
    [[ $repeat -gt 1 ]] && echo "--- run $i of $repeat"
    out=$("$build/bench/bench_engine" "$dbdir")
    grep -v '^json: ' <<<"$out"
    stepd_json+=("$(sed -n 's/^json: //p' <<<"$out")")
    if [[ $peer == 1 ]]; then
        echo
        if ! out=$(node "$root/bench/peer/peer_bench.mjs"); then
            echo "peer: peer_bench.mjs failed; comparing without it"
            peer=0
            continue
        fi
        grep -v '^json: ' <<<"$out"
        peer_json+=("$(sed -n 's/^json: //p' <<<"$out")")
    fi
    echo
done

# field JSON [OBJECT] KEY: a number from a flat json: line, inside the
# member object OBJECT when given.
field() {
    local j=$1
    if [[ $# == 3 ]]; then
        j=$(sed -n "s/.*\"$2\":{\([^}]*\)}.*/\1/p" <<<"$j")
        shift
    fi
    sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" <<<"$j"
}

# median OBJECT KEY LINE...: the median of one figure over the runs.
median() {
    local obj=$1 key=$2
    shift 2
    for j in "$@"; do
        if [[ -n $obj ]]; then field "$j" "$obj" "$key"; else field "$j" "$key"; fi
    done | sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) print "";
        else if (NR % 2) print v[(NR + 1) / 2];
        else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

row() { # label key-stepd key-peer
    local n f p ratio="-"
    n=$(median NORMAL "$2" "${stepd_json[@]}")
    f=$(median FULL "$2" "${stepd_json[@]}")
    p="-"
    if [[ $peer == 1 ]]; then
        p=$(median "" "$3" "${peer_json[@]}")
        ratio=$(awk -v a="$n" -v b="$p" 'BEGIN { printf "%.2f", a / b }')
        p=$(printf '%.0f' "$p")
    fi
    printf '| %-32s | %12.0f | %12.0f | %12s | %13s |\n' "$1" "$n" "$f" "$p" "$ratio"
}

echo "comparison (median of $repeat run(s)); peer = aws-local-stepfunctions, in-memory"
printf '| %-32s | %12s | %12s | %12s | %13s |\n' workload "stepd NORMAL" "stepd FULL" peer "NORMAL / peer"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..34})" "$(printf -- '-%.0s' {1..14})" \
    "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..15})"
row "(a) chain, transitions/s" a_transitions_per_s a_transitions_per_s
row "(b) Map, iterations/s" b_iterations_per_s b_iterations_per_s
row "(c) Parallel, states/s" c_states_per_s c_states_per_s
rss_s=$(median "" peak_rss_kib "${stepd_json[@]}")
rss_p="-"
[[ $peer == 1 ]] && rss_p=$(median "" peak_rss_kib "${peer_json[@]}")
echo "peak RSS (KiB, whole process): stepd $rss_s, peer $rss_p"
echo "bytes/transition (stepd NORMAL): (a) $(median NORMAL a_bytes_per_transition "${stepd_json[@]}")," \
    "(b) $(median NORMAL b_bytes_per_transition "${stepd_json[@]}")," \
    "(c) $(median NORMAL c_bytes_per_transition "${stepd_json[@]}")"

# JSONata evaluation speed beside the reference jsonata-js
# (bench/jsonata_peer/), when this build has the bench_jsonata target.
echo
if ! cmake --build "$build" -j2 --target bench_jsonata >/dev/null 2>&1; then
    echo "jsonata: no bench_jsonata target in this build; skipped"
elif [[ $peer == 1 ]] && npm ci --prefix "$root/bench/jsonata_peer" --no-audit --no-fund \
    --loglevel=error >/dev/null; then
    node "$root/bench/jsonata_peer/jsonata_bench.mjs" --stepd "$build/bench/bench_jsonata" |
        grep -v '^json: '
else
    echo "jsonata: peer unavailable; stepd alone"
    "$build/bench/bench_jsonata" | grep -v '^json: '
fi

# HTTP Tasks: 1,000 executions x 10 calls to an in-process service.
echo
cmake --build "$build" -j2 --target bench_tasks >/dev/null
"$build/bench/bench_tasks" "$dbdir" | grep -v '^json: '
