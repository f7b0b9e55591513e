#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan) and runs each for
# SECONDS on a copy of the seed corpus in a temporary directory, so the
# repository is not modified.  Prints executions per target; exits non-zero
# on a finding (crash, leak, timeout, sanitizer report) or a build failure,
# keeping the temporary directory with the logs and reproducer files.
# Usage: fuzz/run.sh [SECONDS]   (default 20)
# Env: SFN_FUZZ_BUILD (build dir, default build-fuzz/), SFN_SHARED.
set -euo pipefail
secs=${1:-20}
case $secs in ''|*[!0-9]*) echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SFN_FUZZ_BUILD:-$root/build-fuzz}
targets=(fuzz_asl_compile fuzz_jsonpath fuzz_intrinsic fuzz_template
         fuzz_aws_protocol fuzz_rest)

echo "fuzz: building in $build"
# clang's -Wstring-concatenation takes an SQL text split over two lines in
# a table of single-line ones for a missing comma (gcc has no such warning):
# it stays a warning here, so a clang-only heuristic cannot stop fuzzing
CC=clang cmake -S "$root" -B "$build" -DSFN_FUZZ=ON -DSFN_TESTS=OFF \
    -DCMAKE_C_FLAGS=-Wno-error=string-concatenation \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}" seed_corpus >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/stepd-fuzz-XXXXXX")
bash "$root/fuzz/seed.sh" "$work/corpus" "$build/fuzz/seed_corpus"

run_target() { # target: runs it, leaves its exit code in $work/$1.rc
    local t=$1 max_len=()
    # the HTTP dialects keep state (a service database) across inputs:
    # small requests keep the executions they start cheap
    case $t in
        fuzz_aws_protocol|fuzz_rest) max_len=(-max_len=4096);;
    esac
    set +e
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz/$t" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "${max_len[@]}" \
        -artifact_prefix="$work/$t-" "$work/corpus/$t" >"$work/$t.log" 2>&1
    echo $? >"$work/$t.rc"
    set -e
}

# one target per core at a time: each still gets its SECONDS of a core
status=0
jobs=$(nproc)
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
    batch=("${targets[@]:i:jobs}")
    for t in "${batch[@]}"; do run_target "$t" & done
    wait
    for t in "${batch[@]}"; do
        log=$work/$t.log rc=$(cat "$work/$t.rc")
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
        echo "fuzz: $t: ${execs:-?} executions in ${secs}s (corpus now $(ls "$work/corpus/$t" | wc -l) inputs)"
        if [ "$rc" -ne 0 ]; then
            status=1
            echo "fuzz: $t: FINDING (exit $rc); log and reproducer in $work" >&2
            grep -E 'ERROR|SUMMARY|runtime error|artifact' "$log" | head -n 20 >&2 || true
        fi
    done
done

if [ "$status" -eq 0 ]; then
    rm -rf "$work"
    echo "fuzz: no findings"
fi
exit "$status"
