// sdk_redrive.mjs ENDPOINT: RedriveExecution through @aws-sdk/client-sfn
// against a live `stepd serve`: an execution that fails the first time
// (an intrinsic indexing with $$.Execution.RedriveCount - 1) is redriven,
// succeeds without running its first state again, and DescribeExecution
// shows redriveCount, redriveDate and redriveStatus; a second redrive is
// refused with ExecutionNotRedrivable.
import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand,
  DescribeExecutionCommand, RedriveExecutionCommand,
  GetExecutionHistoryCommand, DeleteStateMachineCommand,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";

const endpoint = process.argv[2];
const sfn = new SFNClient({ endpoint, maxAttempts: 1 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until_done(arn) {
  for (let i = 0; i < 100; i++) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    if (d.status !== "RUNNING") return d;
    await sleep(100);
  }
  throw new Error(`${arn} still RUNNING after 10 s`);
}

const definition = JSON.stringify({
  StartAt: "First",
  States: {
    First: { Type: "Pass", Result: "once", ResultPath: "$.first", Next: "Flaky" },
    Flaky: {
      Type: "Pass",
      Parameters: {
        "v.$": "States.ArrayGetItem(States.Array('ok'), " +
               "States.MathAdd($$.Execution.RedriveCount, -1))",
        "redrives.$": "$$.Execution.RedriveCount",
      },
      End: true,
    },
  },
});
const m = await sfn.send(new CreateStateMachineCommand({
  name: `sdk-redrive-${process.pid}`, definition,
  roleArn: "arn:aws:iam::123456789012:role/stepd",
}));
const x = await sfn.send(new StartExecutionCommand({
  stateMachineArn: m.stateMachineArn, input: "{}",
}));
let d = await until_done(x.executionArn);
assert.equal(d.status, "FAILED");
assert.equal(d.redriveStatus, "REDRIVABLE");
assert.equal(d.redriveCount, 0);

const r = await sfn.send(new RedriveExecutionCommand({ executionArn: x.executionArn }));
assert.ok(r.redriveDate instanceof Date, "redriveDate");
d = await until_done(x.executionArn);
assert.equal(d.status, "SUCCEEDED");
assert.deepEqual(JSON.parse(d.output), { v: "ok", redrives: 1 });
assert.equal(d.redriveCount, 1);
assert.ok(d.redriveDate instanceof Date, "describe redriveDate");
assert.equal(d.redriveStatus, "NOT_REDRIVABLE");

const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: x.executionArn }));
const types = h.events.map((e) => e.type);
assert.equal(types.filter((t) => t === "PassStateEntered").length, 3); // First once
assert.ok(types.indexOf("ExecutionRedriven") > types.indexOf("ExecutionFailed"));
const redriven = h.events.find((e) => e.type === "ExecutionRedriven");
assert.equal(redriven.executionRedrivenEventDetails.redriveCount, 1);

await assert.rejects(
  sfn.send(new RedriveExecutionCommand({ executionArn: x.executionArn })),
  (e) => e.name === "ExecutionNotRedrivable");
await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: m.stateMachineArn }));
console.log("sdk_redrive: ok");
