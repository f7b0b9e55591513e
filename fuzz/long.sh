#!/usr/bin/env bash
# The long fuzzing run of issue 7: every libFuzzer target until RUNS
# executions (default 10,000,000), one after the other, on a copy of the
# seed corpus; prints executions, time and findings per target.  Exits
# non-zero on a finding, keeping the work directory with the reproducers.
# Usage: fuzz/long.sh [RUNS]   Env: SFN_FUZZ_BUILD (default build-fuzz/),
# SFN_FUZZ_TARGETS (a space-separated subset; default all six).
set -euo pipefail
runs=${1:-10000000}
case $runs in ''|*[!0-9]*) echo "usage: fuzz/long.sh [RUNS]" >&2; exit 2;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SFN_FUZZ_BUILD:-$root/build-fuzz}
targets=(${SFN_FUZZ_TARGETS:-fuzz_asl_compile fuzz_jsonpath fuzz_intrinsic
         fuzz_template fuzz_aws_protocol fuzz_rest})
CC=clang cmake -S "$root" -B "$build" -DSFN_FUZZ=ON -DSFN_TESTS=OFF \
    -DCMAKE_C_FLAGS=-Wno-error=string-concatenation \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}" seed_corpus >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/stepd-fuzz-long-XXXXXX")
bash "$root/fuzz/seed.sh" "$work/corpus" "$build/fuzz/seed_corpus"
status=0
for t in "${targets[@]}"; do
    case $t in
        fuzz_aws_protocol|fuzz_rest) max_len=(-max_len=4096);;
        *) max_len=();;
    esac
    start=$(date +%s)
    set +e
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz/$t" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${max_len[@]}" -artifact_prefix="$work/$t-" \
        "$work/corpus/$t" >"$work/$t.log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -n1)
    echo "fuzz-long: $t: ${execs:-?} executions in $(( $(date +%s) - start )) s, exit $rc"
    [ "$rc" -eq 0 ] || status=1
done
[ "$status" -eq 0 ] && rm -rf "$work" || echo "fuzz-long: findings kept in $work" >&2
exit "$status"
