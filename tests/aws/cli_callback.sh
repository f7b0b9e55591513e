#!/usr/bin/env bash
# cli_callback.sh ENDPOINT: a .waitForTaskToken callback driven by the AWS
# CLI against a live `stepd serve`: the Task publishes $$.Task.Token in its
# Parameters, the script reads it from the TaskScheduled event and answers
# with send-task-success, then asserts the output, the history and that the
# token is single use.  Credentials and region come from the environment.
set -euo pipefail
EP="$1"
sfn() { "${AWS_CLI:-aws}" stepfunctions --endpoint-url "$EP" --output text "$@"; }
fail() { echo "cli_callback: $*" >&2; exit 1; }
expect() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }

ACCT=123456789012
NAME="cli-cb-$$"
DEF='{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:stepd:task:sleep.waitForTaskToken","Parameters":{"token.$":"$$.Task.Token","order":7},"End":true}}}'

ARN=$(sfn create-state-machine --name "$NAME" --definition "$DEF" \
      --role-arn "arn:aws:iam::$ACCT:role/r" --query stateMachineArn)
EXEC=$(sfn start-execution --state-machine-arn "$ARN" --name run1 \
       --query executionArn)

# the token is in the TaskScheduled parameters once the task is scheduled
PARAMS=""
for _ in $(seq 1 100); do
    PARAMS=$(sfn get-execution-history --execution-arn "$EXEC" \
             --query "events[?type=='TaskScheduled'].taskScheduledEventDetails.parameters | [0]")
    [ -n "$PARAMS" ] && [ "$PARAMS" != None ] && break
    sleep 0.1
done
[ -n "$PARAMS" ] && [ "$PARAMS" != None ] || fail "no TaskScheduled event"
TOKEN=$(printf '%s' "$PARAMS" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
[ -n "$TOKEN" ] || fail "no token in the parameters: $PARAMS"

STATUS=$(sfn describe-execution --execution-arn "$EXEC" --query status)
expect "$STATUS" RUNNING "before the callback"

sfn send-task-heartbeat --task-token "$TOKEN" >/dev/null
sfn send-task-success --task-token "$TOKEN" --task-output '{"approved":true}' >/dev/null

for _ in $(seq 1 100); do
    STATUS=$(sfn describe-execution --execution-arn "$EXEC" --query status)
    [ "$STATUS" != RUNNING ] && break
    sleep 0.1
done
expect "$STATUS" SUCCEEDED status
OUT=$(sfn describe-execution --execution-arn "$EXEC" --query output)
expect "$OUT" '{"approved":true}' output

TYPES=$(sfn get-execution-history --execution-arn "$EXEC" \
        --query 'events[].type' | tr '\t' ' ')
expect "$TYPES" "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded" history

# a token is single use
ERR=/tmp/cli_callback_err_$$
if sfn send-task-success --task-token "$TOKEN" --task-output '{}' 2>"$ERR"; then
    fail "a second send-task-success succeeded"
fi
grep -q TaskDoesNotExist "$ERR" || fail "no TaskDoesNotExist: $(cat "$ERR")"
if sfn send-task-success --task-token "not-a-token" --task-output '{}' 2>"$ERR"; then
    fail "a malformed token was accepted"
fi
grep -q InvalidToken "$ERR" || fail "no InvalidToken: $(cat "$ERR")"
if sfn send-task-success --task-token "$TOKEN" --task-output '{nope' 2>"$ERR"; then
    fail "output that is not JSON was accepted"
fi
grep -q InvalidOutput "$ERR" || fail "no InvalidOutput: $(cat "$ERR")"
rm -f "$ERR"

sfn delete-state-machine --state-machine-arn "$ARN" >/dev/null
echo "cli_callback: ok"
