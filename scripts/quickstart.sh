#!/usr/bin/env bash
# Quick start: build stepd, validate every sample, load them into the
# embedded SQLite store (./stepd.db) and draw one as a graph.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" "$root/build" >/dev/null
stepd="$root/build/api/stepd"
echo "== stepd validate samples/*.asl.json"
"$stepd" validate "$root"/samples/*.asl.json
echo
echo "== stepd load --db stepd.db samples/*.asl.json"
"$stepd" load --db stepd.db "$root"/samples/*.asl.json
echo
echo "== stepd graph --format mermaid samples/order-saga.asl.json"
"$stepd" graph --format mermaid "$root/samples/order-saga.asl.json"
echo
echo "stepd is built at $stepd; try: $stepd --help"
