// sdk_flow.mjs ENDPOINT: @aws-sdk/client-sfn against a live `stepd serve`:
// create -> start -> wait -> describe -> history -> list -> stop -> delete,
// asserting outputs and history event types.  Exits non-zero on the first
// mismatch.  Credentials and region come from the environment.
import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand,
  DescribeExecutionCommand, GetExecutionHistoryCommand,
  ListExecutionsCommand, ListStateMachinesCommand, StopExecutionCommand,
  UpdateStateMachineCommand, DeleteStateMachineCommand,
  DescribeStateMachineCommand, ExecutionDoesNotExist,
  StateMachineDoesNotExist,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";

const endpoint = process.argv[2];
const sfn = new SFNClient({ endpoint, maxAttempts: 1 });
const acct = "123456789012";
const name = `sdk-${process.pid}`;
const def = JSON.stringify({
  StartAt: "P",
  States: { P: { Type: "Pass", Result: { ok: 1 }, ResultPath: "$.r", End: true } },
});
const wait = JSON.stringify({
  StartAt: "W", States: { W: { Type: "Wait", Seconds: 3600, End: true } },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { stateMachineArn, creationDate } = await sfn.send(new CreateStateMachineCommand({
  name, definition: def, roleArn: `arn:aws:iam::${acct}:role/r`,
}));
assert.equal(stateMachineArn, `arn:aws:states:us-east-1:${acct}:stateMachine:${name}`);
assert.ok(creationDate instanceof Date);

const { executionArn, startDate } = await sfn.send(new StartExecutionCommand({
  stateMachineArn, name: "run1", input: JSON.stringify({ a: 1 }),
}));
assert.equal(executionArn, `arn:aws:states:us-east-1:${acct}:execution:${name}:run1`);
assert.ok(startDate instanceof Date);

let d;
for (let i = 0; i < 100; i++) {
  d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (d.status !== "RUNNING") break;
  await sleep(100);
}
assert.equal(d.status, "SUCCEEDED");
assert.deepEqual(JSON.parse(d.output), { a: 1, r: { ok: 1 } });
assert.ok(d.stopDate >= d.startDate);

const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
assert.deepEqual(h.events.map((e) => e.type), [
  "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
]);
assert.equal(h.events[0].previousEventId, 0);
assert.ok(h.events[0].timestamp instanceof Date);

const l = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
assert.deepEqual(l.executions.map((e) => e.name), ["run1"]);
const ms = await sfn.send(new ListStateMachinesCommand({}));
assert.ok(ms.stateMachines.some((m) => m.name === name));

await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: wait }));
const run2 = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
const stop = await sfn.send(new StopExecutionCommand({
  executionArn: run2.executionArn, error: "Stopped", cause: "by the SDK",
}));
assert.ok(stop.stopDate instanceof Date);
const d2 = await sfn.send(new DescribeExecutionCommand({ executionArn: run2.executionArn }));
assert.equal(d2.status, "ABORTED");
assert.equal(d2.cause, "by the SDK");
const h2 = await sfn.send(new GetExecutionHistoryCommand({
  executionArn: run2.executionArn, reverseOrder: true, maxResults: 1,
}));
assert.equal(h2.events[0].type, "ExecutionAborted");
assert.ok(h2.nextToken);

await assert.rejects(
  sfn.send(new DescribeExecutionCommand({ executionArn: executionArn + "-nope" })),
  (e) => e instanceof ExecutionDoesNotExist);

await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
await assert.rejects(
  sfn.send(new DescribeStateMachineCommand({ stateMachineArn })),
  (e) => e instanceof StateMachineDoesNotExist);
console.log("sdk_flow: ok");
