#!/usr/bin/env bash
# rest_tasks.sh ENDPOINT: the REST routes for activities and task callbacks
# with curl against a live `stepd serve` started with a 1-second idle
# connection timeout: a long poll (wait=3) outlives that timeout and ends in
# 204; a worker polls a scheduled task (200), answers through
# /v1/tasks/{URL-encoded token}/success, and the execution succeeds.
set -euo pipefail
EP="$1"
fail() { echo "rest_tasks: $*" >&2; exit 1; }
expect() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
TMP=$(mktemp -d /tmp/rest_tasks_XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# curl METHOD PATH [BODY]: prints the status; the body goes to $TMP/body
req() {
    curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" \
         -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$EP$2"
}
field() { python3 -c "import json,sys; print(json.load(open('$TMP/body'))$1)"; }

NAME="rest-act-$$"
expect "$(req POST /v1/activities "{\"name\":\"$NAME\"}")" 201 create-activity
ACT=$(field '["activityArn"]')

# an idle long poll longer than the connection timeout is answered, not cut
T0=$(date +%s)
expect "$(req POST "/v1/activities/$NAME/poll?worker=w&wait=3")" 204 idle-poll
T1=$(date +%s)
[ $((T1 - T0)) -ge 2 ] || fail "the idle poll returned after $((T1 - T0)) s, want about 3"

DEF="{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"$ACT\",\"End\":true}}}"
expect "$(req PUT "/v1/state-machines/rest-m-$$" "$DEF")" 201 put-machine
expect "$(req POST "/v1/state-machines/rest-m-$$/executions?name=run1" '{"k":"v"}')" 201 start
EXEC=$(field '["id"]')

expect "$(req POST "/v1/activities/$NAME/poll?worker=curl&wait=10")" 200 poll
TOKEN=$(field '["taskToken"]')
expect "$(field '["input"]["k"]')" v input
ENC=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$TOKEN")

expect "$(req POST "/v1/tasks/$ENC/heartbeat")" 204 heartbeat
expect "$(req POST "/v1/tasks/$ENC/success" '{"by":"curl"}')" 204 success
expect "$(req POST "/v1/tasks/$ENC/success" '{}')" 404 second-success
expect "$(field '["error"]')" TaskDoesNotExist second-success-error

STATUS=RUNNING
for _ in $(seq 1 100); do
    expect "$(req GET "/v1/executions/$EXEC")" 200 describe
    STATUS=$(field '["status"]')
    [ "$STATUS" != RUNNING ] && break
    sleep 0.1
done
expect "$STATUS" SUCCEEDED status
expect "$(field '["output"]["by"]')" curl output

expect "$(req DELETE "/v1/activities/$NAME")" 204 delete-activity
expect "$(req GET "/v1/activities/$NAME")" 404 gone
echo "rest_tasks: ok"
