#!/usr/bin/env bash
# Builds the fuzz seed corpora into OUTDIR/<target>/ from samples/*.asl.json
# and the "definition" of every case in $SFN_SHARED/conformance/localstack:
# definitions, paths, intrinsic calls, payload templates, and AWS-protocol
# and REST requests (a typical one per action / route, plus requests that
# create and validate each definition).
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

for pair in asl:fuzz_asl_compile jsonpath:fuzz_jsonpath \
    intrinsic:fuzz_intrinsic template:fuzz_template aws:fuzz_aws_protocol \
    rest:fuzz_rest; do
    mkdir -p "$out/${pair#*:}"
    "$bin" "${pair%%:*}" "$out/${pair#*:}" "${files[@]}"
done
