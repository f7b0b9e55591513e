#!/usr/bin/env bash
# Builds the fuzz seed corpora into OUTDIR/<target>/ from samples/*.asl.json
# and the "definition" of every case in $SFN_SHARED/conformance/localstack.
# Usage: fuzz/seed.sh OUTDIR [SEED_CORPUS_BINARY]
# Without the binary it compiles fuzz/seed_corpus.c itself (cc + jansson).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: fuzz/seed.sh OUTDIR [SEED_CORPUS_BINARY]}
bin=${2:-}
shared=${SFN_SHARED:-$root/../shared}

tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
if [ -z "$bin" ]; then
    tmp=$(mktemp -d)
    bin=$tmp/seed_corpus
    # shellcheck disable=SC2046
    ${CC:-cc} -std=c11 -O1 -o "$bin" "$root/fuzz/seed_corpus.c" \
        $(pkg-config --cflags --libs jansson)
fi

files=("$root"/samples/*.asl.json)
if [ -d "$shared/conformance/localstack" ]; then
    files+=("$shared"/conformance/localstack/*.json)
else
    echo "seed.sh: no $shared/conformance/localstack; samples only" >&2
fi

mkdir -p "$out/fuzz_asl_compile" "$out/fuzz_jsonpath" "$out/fuzz_intrinsic"
"$bin" asl "$out/fuzz_asl_compile" "${files[@]}"
"$bin" jsonpath "$out/fuzz_jsonpath" "${files[@]}"
"$bin" intrinsic "$out/fuzz_intrinsic" "${files[@]}"
