#!/usr/bin/env bash
# rest_redrive.sh ENDPOINT: RedriveExecution through the REST dialect
# (curl) against a live `stepd serve` (sdk_redrive.mjs does the same
# through the SDK; Debian's AWS CLI predates RedriveExecution).  The machine fails
# the first time at its second state (an intrinsic that indexes an array
# with $$.Execution.RedriveCount - 1) and succeeds once redriven: the
# first state is not run again, the history shows ExecutionRedriven, and
# DescribeExecution shows redriveCount, redriveDate and redriveStatus.
set -euo pipefail
EP="$1"
fail() { echo "rest_redrive: $*" >&2; exit 1; }
expect() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
TMP=$(mktemp -d /tmp/rest_redrive_XXXXXX)
trap 'rm -rf "$TMP"' EXIT
req() {
    curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" \
         -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$EP$2"
}
field() { python3 -c "import json,sys; print(json.load(open('$TMP/body'))$1)"; }
wait_end() {
    for _ in $(seq 1 100); do
        expect "$(req GET "/v1/executions/$1")" 200 "describe $1"
        [ "$(field '["status"]')" != RUNNING ] && return 0
        sleep 0.1
    done
    fail "$1 still RUNNING after 10 s"
}
types() {
    expect "$(req GET "/v1/executions/$1/history")" 200 "history $1"
    python3 -c "import json; print(' '.join(e['type'] for e in json.load(open('$TMP/body'))['events']))"
}

DEF='{"StartAt":"First","States":{
 "First":{"Type":"Pass","Result":"once","ResultPath":"$.first","Next":"Flaky"},
 "Flaky":{"Type":"Pass","Parameters":{"first.$":"$.first",
   "v.$":"States.ArrayGetItem(States.Array('"'"'ok'"'"'), States.MathAdd($$.Execution.RedriveCount, -1))",
   "redrives.$":"$$.Execution.RedriveCount"},"End":true}}}'
M="rest-redrive-$$"
expect "$(req PUT "/v1/state-machines/$M" "$DEF")" 201 put-machine

# REST: fail, redrive, succeed
expect "$(req POST "/v1/state-machines/$M/executions?name=r1" '{}')" 201 start
X=$(field '["id"]')
wait_end "$X"
expect "$(field '["status"]')" FAILED first-run
expect "$(field '["redriveStatus"]')" REDRIVABLE redrivable
expect "$(field '["redriveCount"]')" 0 count-0
expect "$(req POST "/v1/executions/$X/redrive")" 200 redrive
[ -n "$(field '["redriveDate"]')" ] || fail "no redriveDate"
wait_end "$X"
expect "$(field '["status"]')" SUCCEEDED redriven-run
expect "$(field '["redriveCount"]')" 1 count-1
expect "$(field '["redriveStatus"]')" NOT_REDRIVABLE after-success
[ -n "$(field '["redriveDate"]')" ] || fail "no redriveDate in describe"
python3 - "$TMP/body" <<'EOF' || fail "redriven output"
import json, sys
out = json.load(open(sys.argv[1]))["output"]
out = out if isinstance(out, dict) else json.loads(out)
assert out == {"first": "once", "v": "ok", "redrives": 1}, out
EOF
T=$(types "$X")
case "$T" in
    "ExecutionStarted PassStateEntered PassStateExited PassStateEntered ExecutionFailed ExecutionRedriven PassStateEntered PassStateExited ExecutionSucceeded") ;;
    *) fail "history: $T" ;;
esac
# a succeeded execution cannot be redriven
expect "$(req POST "/v1/executions/$X/redrive")" 400 redrive-again
expect "$(field '["error"]')" ExecutionNotRedrivable redrive-again-error

expect "$(req DELETE "/v1/state-machines/$M")" 204 delete
echo "rest_redrive: ok"
