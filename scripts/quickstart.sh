#!/usr/bin/env bash
# Quick start: build stepd, validate the samples and load them into the
# embedded SQLite store (./stepd.db), run one execution on that store and
# print its history.
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
name="quickstart-$(date +%s)"
echo "== stepd run --db stepd.db --name $name samples/hello-world.asl.json"
"$stepd" run --db stepd.db --name "$name" \
    --input-file "$root/samples/hello-world.input.json" \
    "$root/samples/hello-world.asl.json"
echo
echo "== stepd history --db stepd.db $name"
"$stepd" history --db stepd.db "$name"
echo
echo "stepd is built at $stepd; try: $stepd --help"
