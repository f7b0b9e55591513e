#!/usr/bin/env bash
# rest_comp.sh ENDPOINT: compensation (docs/compensation.md) through the
# REST dialect with curl, then what the AWS CLI shows of it, against a live
# `stepd serve`.  Steps are built-in echo tasks whose Compensation is an
# echo too: a stop with {"compensate":true} undoes them newest first before
# ExecutionAborted; a plain stop does not; a failing step compensates and
# keeps the original error; /metrics counts the runs.  Credentials and
# region for the CLI come from the environment (the driver sets them).
set -euo pipefail
EP="$1"
fail() { echo "rest_comp: $*" >&2; exit 1; }
expect() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
TMP=$(mktemp -d /tmp/rest_comp_XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# req METHOD PATH [BODY]: prints the status; the body goes to $TMP/body
req() {
    curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" \
         -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$EP$2"
}
field() { python3 -c "import json,sys; print(json.load(open('$TMP/body'))$1)"; }
# history ID: "Type" per event, or "Type:state" for the compensation step
# events, space-separated
history() {
    expect "$(req GET "/v1/executions/$1/history")" 200 "history $1"
    python3 - "$TMP/body" <<'EOF'
import json, sys
out = []
for e in json.load(open(sys.argv[1]))["events"]:
    t = e["type"]
    if t.startswith("CompensationStep"):
        key = t[0].lower() + t[1:] + "EventDetails"
        t += ":" + e[key]["state"]
    out.append(t)
print(" ".join(out))
EOF
}
# wait_history ID TYPE: until the history holds an event of TYPE (10 s)
wait_history() {
    for _ in $(seq 1 100); do
        case " $(history "$1") " in *" $2 "*) return 0 ;; esac
        sleep 0.1
    done
    fail "$1 never reached $2: $(history "$1")"
}
# wait_end ID: until the execution is not RUNNING (10 s); then $TMP/body
# holds its description
wait_end() {
    local status=RUNNING
    for _ in $(seq 1 100); do
        expect "$(req GET "/v1/executions/$1")" 200 "describe $1"
        status=$(field '["status"]')
        [ "$status" != RUNNING ] && return 0
        sleep 0.1
    done
    fail "$1 still RUNNING after 10 s"
}

STEP() { # name next: an echo step whose undo is an echo of its input
    printf '"%s":{"Type":"Task","Resource":"arn:stepd:task:echo","Parameters":{"step":"%s"},"ResultPath":"$.%s","Compensation":{"Resource":"arn:stepd:task:echo","Parameters":{"undo":"%s","in.$":"$.input","why.$":"$.error.Error"}},"Next":"%s"}' \
        "$1" "$1" "$1" "$1" "$2"
}
WAIT_DEF="{\"StartAt\":\"A\",\"States\":{$(STEP A B),$(STEP B W),\"W\":{\"Type\":\"Wait\",\"Seconds\":300,\"End\":true}}}"
FAIL_DEF="{\"StartAt\":\"A\",\"States\":{$(STEP A B),$(STEP B Boom),\"Boom\":{\"Type\":\"Task\",\"Resource\":\"arn:stepd:task:fail\",\"Parameters\":{\"Error\":\"Order.Failed\",\"Cause\":\"out of stock\"},\"End\":true}}}"
UNDO_BA="CompensationStarted CompensationStepScheduled:B CompensationStepSucceeded:B CompensationStepScheduled:A CompensationStepSucceeded:A CompensationEnded"

WM="rest-comp-wait-$$"
FM="rest-comp-fail-$$"
expect "$(req PUT "/v1/state-machines/$WM" "$WAIT_DEF")" 201 put-wait-machine
expect "$(req PUT "/v1/state-machines/$FM" "$FAIL_DEF")" 201 put-fail-machine

# 1. stopped with compensation: the undos run, newest first, then the abort
expect "$(req POST "/v1/state-machines/$WM/executions?name=undo" '{"n":1}')" 201 start-undo
X1=$(field '["id"]')
wait_history "$X1" WaitStateEntered
expect "$(req POST "/v1/executions/$X1/stop" '{"compensate":true}')" 200 stop-compensate
wait_end "$X1"
expect "$(field '["status"]')" ABORTED undo-status
expect "$(field '["compensationStatus"]')" SUCCEEDED undo-compensation
H1=$(history "$X1")
case "$H1" in
    *" WaitStateEntered $UNDO_BA ExecutionAborted") ;;
    *) fail "undo history: $H1" ;;
esac
# the undo of B got B's effective input and no error (a stop without one)
python3 - "$TMP/body" <<'EOF' || fail "undo of B: unexpected input"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["events"]
      if e["type"] == "CompensationStepScheduled"][0]
d = ev["compensationStepScheduledEventDetails"]
inp = d["input"] if isinstance(d["input"], dict) else json.loads(d["input"])
assert d["state"] == "B" and d["resource"] == "arn:stepd:task:echo", d
assert inp == {"undo": "B", "in": {"step": "B"}, "why": None}, inp
EOF

# 2. stopped without compensation: nothing is undone
expect "$(req POST "/v1/state-machines/$WM/executions?name=plain" '{"n":2}')" 201 start-plain
X2=$(field '["id"]')
wait_history "$X2" WaitStateEntered
expect "$(req POST "/v1/executions/$X2/stop" '{"error":"Stopped"}')" 200 stop-plain
wait_end "$X2"
expect "$(field '["status"]')" ABORTED plain-status
expect "$(field '["compensationStatus"]')" NONE plain-compensation
H2=$(history "$X2")
case "$H2" in
    *Compensation*) fail "a plain stop compensated: $H2" ;;
    *" WaitStateEntered ExecutionAborted") ;;
    *) fail "plain history: $H2" ;;
esac

# 3. failing on its own: compensated, and the original error is kept
expect "$(req POST "/v1/state-machines/$FM/executions?name=boom" '{"n":3}')" 201 start-fail
X3=$(field '["id"]')
wait_end "$X3"
expect "$(field '["status"]')" FAILED fail-status
expect "$(field '["error"]')" Order.Failed fail-error
expect "$(field '["cause"]')" "out of stock" fail-cause
expect "$(field '["compensationStatus"]')" SUCCEEDED fail-compensation
H3=$(history "$X3")
case "$H3" in
    *" $UNDO_BA ExecutionFailed") ;;
    *) fail "fail history: $H3" ;;
esac
python3 - "$TMP/body" <<'EOF' || fail "CompensationStarted of the failure"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["events"]
      if e["type"] == "CompensationStarted"][0]
d = ev["compensationStartedEventDetails"]
assert d["error"] == "Order.Failed" and d["steps"] == 2, d
EOF

# 4. metrics: at least the two compensation runs above
expect "$(req GET /metrics)" 200 metrics
STARTED=$(awk '$1 == "stepd_compensations_started_total" {print $2}' "$TMP/body")
SUCCEEDED=$(awk '$1 == "stepd_compensations_succeeded_total" {print $2}' "$TMP/body")
[ "${STARTED:-0}" -ge 2 ] || fail "stepd_compensations_started_total is '${STARTED}', want >= 2"
[ "${SUCCEEDED:-0}" -ge 2 ] || fail "stepd_compensations_succeeded_total is '${SUCCEEDED}', want >= 2"

# 5. the AWS CLI.  Its model knows neither compensationStatus nor the
# compensate member of StopExecution (it rejects unknown parameters), so
# only this is observable: DescribeExecution still parses, the member is on
# the wire (--debug logs the raw body), and the history's event types,
# plain strings, come through in order.
sfn() { "${AWS_CLI:-aws}" stepfunctions --endpoint-url "$EP" --output text "$@"; }
expect "$(req GET "/v1/executions/$X1")" 200 describe-undo
ARN1=$(field '["executionArn"]')
expect "$(sfn describe-execution --execution-arn "$ARN1" --query status)" ABORTED cli-status
WIRE=$(sfn describe-execution --execution-arn "$ARN1" --debug 2>&1 >/dev/null |
       grep -o '"compensationStatus": *"[A-Z]*"' | head -n 1 || true)
expect "$(echo "$WIRE" | tr -d ' ')" '"compensationStatus":"SUCCEEDED"' cli-wire
TYPES=$(sfn get-execution-history --execution-arn "$ARN1" --query 'events[].type' | tr '\t' ' ')
case "$TYPES" in
    *" WaitStateEntered CompensationStarted CompensationStepScheduled CompensationStepSucceeded CompensationStepScheduled CompensationStepSucceeded CompensationEnded ExecutionAborted") ;;
    *) fail "cli history: $TYPES" ;;
esac

for m in "$WM" "$FM"; do
    expect "$(req DELETE "/v1/state-machines/$m")" 204 "delete $m"
done
echo "rest_comp: ok"
