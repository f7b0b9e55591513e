#!/usr/bin/env bash
# Builds bench_compile in Release and runs it.
# Usage: bench/run.sh [bench_compile args, e.g. --runs 30 --states 10000]
# Env: SFN_BENCH_BUILD (build dir, default build-bench/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SFN_BENCH_BUILD:-$root/build-bench}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSFN_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target bench_compile >/dev/null
echo "bench_compile on $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
"$build/bench/bench_compile" "$@"
