#!/usr/bin/env bash
# cli_flow.sh ENDPOINT: the AWS CLI (Debian's awscli) against a live
# `stepd serve`: create -> start -> wait -> describe -> history -> list ->
# stop -> delete, asserting outputs and history event types.  Credentials
# and region come from the environment (the driver sets them).
set -euo pipefail
EP="$1"
sfn() { "${AWS_CLI:-aws}" stepfunctions --endpoint-url "$EP" --output text "$@"; }
fail() { echo "cli_flow: $*" >&2; exit 1; }
expect() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }

ACCT=123456789012
ROLE="arn:aws:iam::$ACCT:role/r"
NAME="cli-$$"
DEF='{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":1},"ResultPath":"$.r","End":true}}}'
WAIT='{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}'

ARN=$(sfn create-state-machine --name "$NAME" --definition "$DEF" \
      --role-arn "$ROLE" --query stateMachineArn)
expect "$ARN" "arn:aws:states:us-east-1:$ACCT:stateMachine:$NAME" create

EXEC=$(sfn start-execution --state-machine-arn "$ARN" --name run1 \
       --input '{"a":1}' --query executionArn)
expect "$EXEC" "arn:aws:states:us-east-1:$ACCT:execution:$NAME:run1" start

for _ in $(seq 1 100); do
    STATUS=$(sfn describe-execution --execution-arn "$EXEC" --query status)
    [ "$STATUS" != RUNNING ] && break
    sleep 0.1
done
expect "$STATUS" SUCCEEDED status
OUT=$(sfn describe-execution --execution-arn "$EXEC" --query output)
expect "$OUT" '{"a":1,"r":{"ok":1}}' output

TYPES=$(sfn get-execution-history --execution-arn "$EXEC" \
        --query 'events[].type' | tr '\t' ' ')
expect "$TYPES" "ExecutionStarted PassStateEntered PassStateExited ExecutionSucceeded" history

LISTED=$(sfn list-executions --state-machine-arn "$ARN" \
         --query 'executions[].name')
expect "$LISTED" run1 list-executions
sfn list-state-machines --query 'stateMachines[].name' | grep -qw "$NAME" \
    || fail "list-state-machines misses $NAME"

sfn update-state-machine --state-machine-arn "$ARN" --definition "$WAIT" >/dev/null
EXEC2=$(sfn start-execution --state-machine-arn "$ARN" --query executionArn)
sfn stop-execution --execution-arn "$EXEC2" --error Stopped --cause bycli >/dev/null
STATUS=$(sfn describe-execution --execution-arn "$EXEC2" --query status)
expect "$STATUS" ABORTED stop
# no `| head`: a closed pipe makes the CLI fail with EPIPE
LAST=$(sfn get-execution-history --execution-arn "$EXEC2" --reverse-order \
       --max-items 1 --query 'events[0].type')
LAST=${LAST%%$'\n'*}
expect "$LAST" ExecutionAborted stop-history

# errors come back as the CLI's named exceptions
if sfn describe-execution --execution-arn "$EXEC-nope" 2>/tmp/cli_err_$$; then
    fail "describe of a missing execution succeeded"
fi
grep -q ExecutionDoesNotExist /tmp/cli_err_$$ || fail "no ExecutionDoesNotExist: $(cat /tmp/cli_err_$$)"
rm -f /tmp/cli_err_$$

sfn delete-state-machine --state-machine-arn "$ARN" >/dev/null
if sfn describe-state-machine --state-machine-arn "$ARN" 2>/dev/null; then
    fail "machine still there after delete"
fi
echo "cli_flow: ok"
