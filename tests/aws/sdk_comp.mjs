// sdk_comp.mjs ENDPOINT: compensation (docs/compensation.md) as seen from
// @aws-sdk/client-sfn against a live `stepd serve`.  The SDK's model has
// neither the `compensate` member of StopExecution nor `compensationStatus`
// in DescribeExecution and drops both, so this checks what a user of the
// SDK can observe: a plain StopExecution does not compensate; a middleware
// that adds `compensate` to the request body before signing does; the raw
// response carries compensationStatus while the parsed output still
// parses; the history's event types come through in order.
import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand,
  StopExecutionCommand, DescribeExecutionCommand,
  GetExecutionHistoryCommand, DeleteStateMachineCommand,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";
import { Readable } from "node:stream";

const endpoint = process.argv[2];
const acct = "123456789012";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The last raw JSON response body, read before the SDK parses it.
let rawBody = null;
function keepRawBody(client) {
  client.middlewareStack.add((next) => async (args) => {
    const r = await next(args);
    const chunks = [];
    for await (const c of r.response.body) chunks.push(c);
    const buf = Buffer.concat(chunks);
    rawBody = buf.toString();
    r.response.body = Readable.from([buf]);
    return r;
  }, { step: "deserialize", name: "stepdRawBody", priority: "low" });
  return client;
}

const plain = keepRawBody(new SFNClient({ endpoint, maxAttempts: 1 }));
const compensating = keepRawBody(new SFNClient({ endpoint, maxAttempts: 1 }));
compensating.middlewareStack.add((next, context) => async (args) => {
  if (context.commandName === "StopExecutionCommand") {
    const b = args.request.body;
    const text = typeof b === "string" ? b : new TextDecoder().decode(b);
    const body = JSON.stringify({ ...JSON.parse(text), compensate: true });
    args.request.body = body;
    args.request.headers["content-length"] = String(Buffer.byteLength(body));
  }
  return next(args);
}, { step: "build", name: "stepdCompensate" });

const step = (name, next) => ({
  Type: "Task", Resource: "arn:stepd:task:echo", Parameters: { step: name },
  ResultPath: `$.${name}`, Next: next,
  Compensation: { Resource: "arn:stepd:task:echo" },
});
const definition = JSON.stringify({
  StartAt: "A",
  States: {
    A: step("A", "B"), B: step("B", "W"),
    W: { Type: "Wait", Seconds: 300, End: true },
  },
});
const { stateMachineArn } = await plain.send(new CreateStateMachineCommand({
  name: `sdk-comp-${process.pid}`, definition,
  roleArn: `arn:aws:iam::${acct}:role/r`,
}));

async function types(client, executionArn) {
  const h = await client.send(new GetExecutionHistoryCommand({ executionArn }));
  return h.events.map((e) => e.type);
}

// Starts an execution and waits (bounded) until both steps completed.
async function startToWait(name) {
  const { executionArn } = await plain.send(new StartExecutionCommand({
    stateMachineArn, name, input: "{}",
  }));
  for (let i = 0; i < 100; i++) {
    if ((await types(plain, executionArn)).includes("WaitStateEntered"))
      return executionArn;
    await sleep(100);
  }
  assert.fail(`${name} never reached its Wait state`);
}

// Waits (bounded) until ABORTED; the description and its raw body.
async function aborted(client, executionArn) {
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== "RUNNING") {
      assert.equal(d.status, "ABORTED");
      return { d, raw: JSON.parse(rawBody) };
    }
    await sleep(100);
  }
  assert.fail(`${executionArn} still RUNNING after 10 s`);
}

const undo = [
  "CompensationStarted", "CompensationStepScheduled",
  "CompensationStepSucceeded", "CompensationStepScheduled",
  "CompensationStepSucceeded", "CompensationEnded", "ExecutionAborted",
];

// the SDK drops `compensate`: a plain stop, nothing undone
const x1 = await startToWait("dropped");
await plain.send(new StopExecutionCommand({ executionArn: x1, compensate: true }));
const a1 = await aborted(plain, x1);
assert.equal(a1.raw.compensationStatus, "NONE");
assert.ok(!(await types(plain, x1)).some((t) => t.startsWith("Compensation")));

// with the member added on the wire: compensated before the abort
const x2 = await startToWait("compensated");
await compensating.send(new StopExecutionCommand({ executionArn: x2 }));
const a2 = await aborted(compensating, x2);
assert.equal(a2.raw.compensationStatus, "SUCCEEDED");
assert.equal(a2.d.executionArn, x2);
const t2 = await types(plain, x2);
assert.deepEqual(t2.slice(-undo.length), undo);
assert.equal(t2[t2.length - undo.length - 1], "WaitStateEntered");

await plain.send(new DeleteStateMachineCommand({ stateMachineArn }));
console.log("sdk_comp: ok");
