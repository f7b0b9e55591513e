#!/usr/bin/env bash
# Quick start: build stepd, validate the samples, load them into the
# embedded SQLite store (./stepd.db) and serve them on 127.0.0.1:8083
# (Ctrl-C stops the server; executions resume on the next start).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" "$root/build" >/dev/null
stepd="$root/build/api/stepd"
listen=${STEPD_LISTEN:-127.0.0.1:8083}
echo "== stepd validate samples/*.asl.json"
"$stepd" validate "$root"/samples/*.asl.json
echo
echo "== stepd load --db stepd.db samples/*.asl.json"
"$stepd" load --db stepd.db "$root"/samples/*.asl.json
echo
cat <<MSG
== stepd serve --db stepd.db --listen $listen
Open the web console: http://$listen/ui/
Try, from another terminal:
  curl -s -X POST -H 'Content-Type: application/json' \\
       -d @samples/hello-world.input.json \\
       http://$listen/v1/state-machines/hello-world/executions
  curl -s 'http://$listen/v1/executions?stateMachine=hello-world'
  aws stepfunctions list-state-machines --endpoint-url http://$listen
MSG
exec "$stepd" serve --db stepd.db --listen "$listen"
