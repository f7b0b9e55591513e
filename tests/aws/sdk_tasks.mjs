// sdk_tasks.mjs ENDPOINT: callbacks and activities with @aws-sdk/client-sfn
// against a live `stepd serve`: a .waitForTaskToken task failed with
// SendTaskFailure; an activity worker loop (GetActivityTask ->
// SendTaskHeartbeat -> SendTaskSuccess) waiting before the work exists;
// single-use and malformed tokens; a missed heartbeat.  Exits non-zero on
// the first mismatch.  Credentials and region come from the environment.
import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand,
  DescribeExecutionCommand, GetExecutionHistoryCommand,
  DeleteStateMachineCommand, CreateActivityCommand, DescribeActivityCommand,
  ListActivitiesCommand, DeleteActivityCommand, GetActivityTaskCommand,
  SendTaskSuccessCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand,
  ActivityDoesNotExist, InvalidToken, TaskDoesNotExist, TaskTimedOut,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";

const endpoint = process.argv[2];
const sfn = new SFNClient({ endpoint, maxAttempts: 1 });
const acct = "123456789012";
const role = `arn:aws:iam::${acct}:role/r`;
const tag = process.pid;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function machine(name, states) {
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
    name, roleArn: role, definition: JSON.stringify({ StartAt: "T", States: states }),
  }));
  return stateMachineArn;
}

async function history(executionArn) {
  const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return h.events;
}

// Polls until pred(events) holds (about 10 s at most).
async function awaitHistory(executionArn, pred, what) {
  for (let i = 0; i < 200; i++) {
    const events = await history(executionArn);
    if (pred(events)) return events;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what} in ${executionArn}`);
}

async function awaitEnd(executionArn) {
  for (let i = 0; i < 200; i++) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== "RUNNING") return d;
    await sleep(50);
  }
  throw new Error(`${executionArn} did not end`);
}

const types = (events) => events.map((e) => e.type);

// ---- callback failed through SendTaskFailure ----
{
  const arn = await machine(`sdk-cb-${tag}`, {
    T: {
      Type: "Task", Resource: "arn:stepd:task:sleep.waitForTaskToken",
      Parameters: { "token.$": "$$.Task.Token" }, End: true,
    },
  });
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
  const events = await awaitHistory(executionArn,
    (ev) => ev.some((e) => e.type === "TaskScheduled"), "TaskScheduled");
  const sched = events.find((e) => e.type === "TaskScheduled");
  const { token } = JSON.parse(sched.taskScheduledEventDetails.parameters);
  assert.ok(token, "TaskScheduled parameters carry the token");
  await sfn.send(new SendTaskFailureCommand({
    taskToken: token, error: "Order.Rejected", cause: "out of stock",
  }));
  const d = await awaitEnd(executionArn);
  assert.equal(d.status, "FAILED");
  assert.equal(d.error, "Order.Rejected");
  assert.equal(d.cause, "out of stock");
  const t = types(await history(executionArn));
  assert.deepEqual(t.slice(0, 5), [
    "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
  ]);
  assert.ok(t.includes("TaskFailed"));
  await assert.rejects(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })),
    (e) => e instanceof TaskDoesNotExist);
  await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
}

// ---- activity CRUD ----
const actName = `sdk-act-${tag}`;
const { activityArn, creationDate } = await sfn.send(new CreateActivityCommand({ name: actName }));
assert.equal(activityArn, `arn:aws:states:us-east-1:${acct}:activity:${actName}`);
assert.ok(creationDate instanceof Date);
const again = await sfn.send(new CreateActivityCommand({ name: actName }));
assert.equal(again.activityArn, activityArn);
const da = await sfn.send(new DescribeActivityCommand({ activityArn }));
assert.equal(da.name, actName);
const la = await sfn.send(new ListActivitiesCommand({}));
assert.ok(la.activities.some((a) => a.activityArn === activityArn));

// ---- activity worker: the poll is waiting before the work exists ----
{
  const arn = await machine(`sdk-work-${tag}`, {
    T: { Type: "Task", Resource: activityArn, HeartbeatSeconds: 30, End: true },
  });
  // the poll is sent before the execution starts and answered when the
  // task is scheduled
  const poll = sfn.send(new GetActivityTaskCommand({ activityArn, workerName: "node-worker" }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({
    stateMachineArn: arn, input: JSON.stringify({ n: 20 }),
  }));
  const task = await poll;
  assert.ok(task.taskToken, "GetActivityTask answered with a task");
  const input = JSON.parse(task.input);
  assert.deepEqual(input, { n: 20 });
  await sfn.send(new SendTaskHeartbeatCommand({ taskToken: task.taskToken }));
  await sfn.send(new SendTaskSuccessCommand({
    taskToken: task.taskToken, output: JSON.stringify({ doubled: input.n * 2 }),
  }));
  const d = await awaitEnd(executionArn);
  assert.equal(d.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(d.output), { doubled: 40 });
  const events = await history(executionArn);
  assert.deepEqual(types(events), [
    "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
    "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded",
  ]);
  const started = events.find((e) => e.type === "ActivityStarted");
  assert.equal(started.activityStartedEventDetails.workerName, "node-worker");
  const scheduled = events.find((e) => e.type === "ActivityScheduled");
  assert.equal(scheduled.activityScheduledEventDetails.resource, activityArn);
  assert.equal(scheduled.activityScheduledEventDetails.heartbeatInSeconds, 30);

  // single use, and malformed tokens
  await assert.rejects(sfn.send(new SendTaskSuccessCommand({
    taskToken: task.taskToken, output: "{}",
  })), (e) => e instanceof TaskDoesNotExist);
  await assert.rejects(sfn.send(new SendTaskSuccessCommand({
    taskToken: "garbage-token", output: "{}",
  })), (e) => e instanceof InvalidToken);
  await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
}

// ---- a worker that stops heartbeating: States.HeartbeatTimeout ----
{
  const arn = await machine(`sdk-hb-${tag}`, {
    T: { Type: "Task", Resource: activityArn, HeartbeatSeconds: 1, TimeoutSeconds: 60, End: true },
  });
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
  const task = await sfn.send(new GetActivityTaskCommand({ activityArn, workerName: "sleepy" }));
  assert.ok(task.taskToken);
  const d = await awaitEnd(executionArn);
  assert.equal(d.status, "FAILED");
  assert.equal(d.error, "States.HeartbeatTimeout");
  assert.ok(types(await history(executionArn)).includes("ActivityTimedOut"));
  await assert.rejects(sfn.send(new SendTaskSuccessCommand({
    taskToken: task.taskToken, output: "{}",
  })), (e) => e instanceof TaskTimedOut);
  await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
}

await sfn.send(new DeleteActivityCommand({ activityArn }));
await assert.rejects(sfn.send(new DescribeActivityCommand({ activityArn })),
  (e) => e instanceof ActivityDoesNotExist);
await assert.rejects(sfn.send(new GetActivityTaskCommand({ activityArn })),
  (e) => e instanceof ActivityDoesNotExist);
console.log("sdk_tasks: ok");
