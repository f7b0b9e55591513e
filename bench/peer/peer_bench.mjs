// peer_bench.mjs: runs bench_engine.c's three workloads on the npm package
// aws-local-stepfunctions (in-memory, no persistence) so bench/run.sh can
// print stepd's figures next to the fastest open-source peer's.
// Usage: node peer_bench.mjs [--batch N] [--cold]
//   --batch N: N concurrent executions at a time for (a); the default 1
//              (one after another) measured as fast as 10 or 100 at a time
//              and faster than 1,000.
//   --cold:    time before anything has warmed the JIT.
// Each run's outputs are checked, and the work behind them afterwards.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { StateMachine } from 'aws-local-stepfunctions';

// The definitions must stay byte-for-byte the ones bench_engine.c generates
// (same state names, key order, Parameters and items), or the comparison is
// between different workloads.
function passChain(n, prefix) {
  const states = {};
  for (let i = 0; i < n; i++) {
    const s = {
      Type: 'Pass',
      Parameters: { step: i, 'order.$': '$.order', 'total.$': '$.total' },
    };
    if (i + 1 < n) s.Next = `${prefix}${i + 1}`;
    else s.End = true;
    states[`${prefix}${i}`] = s;
  }
  return { StartAt: `${prefix}0`, States: states };
}

const defMap = () => ({
  StartAt: 'M',
  States: {
    M: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'P',
        States: {
          P: { Type: 'Pass', Parameters: { 'id.$': '$.id', ok: true }, End: true },
        },
      },
      ResultPath: null,
      End: true,
    },
  },
});

const defParallel = (branches, n) => ({
  StartAt: 'P',
  States: {
    P: {
      Type: 'Parallel',
      End: true,
      ResultPath: null,
      Branches: Array.from({ length: branches }, (_, b) => passChain(n, `B${b}S`)),
    },
  },
});

const inChain = () => ({ order: 'A-1', total: 12.5 });
const inMap = () => ({
  items: Array.from({ length: 10000 }, (_, i) => ({ id: i, sku: 'SKU-1' })),
});

const peerVersion = JSON.parse(
  readFileSync(new URL('./node_modules/aws-local-stepfunctions/package.json', import.meta.url)),
).version;

let peakSampledRss = 0;
const sampleRss = () => {
  peakSampledRss = Math.max(peakSampledRss, process.memoryUsage().rss);
};

function fail(msg) {
  console.error(`peer_bench: ${msg}`);
  process.exit(2);
}

// (a): `executions` runs of the chain, `batch` at a time with Promise.all.
async function runChain(sm, executions, batch) {
  const expected = { step: 99, order: 'A-1', total: 12.5 };
  const t0 = performance.now();
  for (let done = 0; done < executions; done += batch) {
    const n = Math.min(batch, executions - done);
    const results = await Promise.all(
      Array.from({ length: n }, () => sm.run(inChain()).result),
    );
    for (const r of results)
      if (!isDeepStrictEqual(r, expected))
        fail(`(a) execution returned ${JSON.stringify(r)}, expected ${JSON.stringify(expected)}`);
    sampleRss();
  }
  return (performance.now() - t0) / 1000;
}

// One execution of a ResultPath:null definition: its output must be its input.
async function runOnce(sm, input, label) {
  const expected = structuredClone(input);
  const t0 = performance.now();
  const r = await sm.run(input).result;
  const secs = (performance.now() - t0) / 1000;
  sampleRss();
  if (!isDeepStrictEqual(r, expected)) fail(`${label} output differs from its input`);
  return secs;
}

// Untimed re-run that reads the event log, so a workload that silently did
// less work (e.g. a Map that skipped its items) cannot pass for a fast one.
async function countEvents(sm, input) {
  const exec = sm.run(input);
  const counts = {};
  const drain = (async () => {
    for await (const ev of exec.eventLogs) counts[ev.type] = (counts[ev.type] ?? 0) + 1;
  })();
  await exec.result;
  await drain;
  return counts;
}

function expectCount(counts, type, want, label) {
  if ((counts[type] ?? 0) !== want)
    fail(`${label}: ${counts[type] ?? 0} ${type} events, expected ${want}` +
      ` (all events: ${JSON.stringify(counts)})`);
}

function parseArgs(argv) {
  const opts = { batch: 1, cold: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--cold') {
      opts.cold = true;
    } else if (argv[i] === '--batch') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 1000)
        fail(`--batch takes an integer from 1 to 1000, got '${argv[i]}'`);
      opts.batch = n;
    } else {
      fail(`unknown argument '${argv[i]}' (usage: peer_bench.mjs [--batch N] [--cold])`);
    }
  }
  return opts;
}

// Checks every workload's work really happened: the event log of (a) and
// (b), and the kept results of (b) and (c).  The Parallel event log closes
// before the branches' forwarded events have all arrived (it showed 770 of
// 1001 StateEntered), so (c) is checked on its result only.
async function verify(smChain, smMap) {
  const ca = await countEvents(smChain, inChain());
  expectCount(ca, 'StateEntered', 100, '(a)');
  expectCount(ca, 'ExecutionSucceeded', 1, '(a)');
  const cb = await countEvents(smMap, inMap());
  expectCount(cb, 'MapIterationSucceeded', 10000, '(b)');
  expectCount(cb, 'StateEntered', 10001, '(b)');
  expectCount(cb, 'ExecutionSucceeded', 1, '(b)');
  const mapKept = defMap();
  delete mapKept.States.M.ResultPath;
  const rb = await new StateMachine(mapKept).run(inMap()).result;
  const okB = Array.isArray(rb) && rb.length === 10000 &&
    rb.every((r, i) => isDeepStrictEqual(r, { id: i, ok: true }));
  if (!okB) fail('(b) Map result is not the 10,000 {id, ok} items');
  const parKept = defParallel(10, 100);
  delete parKept.States.P.ResultPath;
  const rc = await new StateMachine(parKept).run(inChain()).result;
  const okC = Array.isArray(rc) && rc.length === 10 &&
    rc.every((r) => isDeepStrictEqual(r, { step: 99, order: 'A-1', total: 12.5 }));
  if (!okC) fail('(c) Parallel result is not 10 branch outputs of step 99');
  sampleRss();
}

const { batch, cold } = parseArgs(process.argv.slice(2));
const smChain = new StateMachine(passChain(100, 'S'));
const smMap = new StateMachine(defMap());
const smPar = new StateMachine(defParallel(10, 100));

// By default the JIT is warmed first (300 chain executions, one Parallel),
// which flatters the peer: stepd's figures are from one cold run each.
// The checks run last: their large Map results left in the heap slowed the
// timed runs that came after them.
if (!cold) {
  await runChain(smChain, 300, batch);
  await runOnce(smPar, inChain(), '(c)');
}
const a = await runChain(smChain, 1000, batch);
const b = await runOnce(smMap, inMap(), '(b)');
const c = await runOnce(smPar, inChain(), '(c)');
await verify(smChain, smMap);

// Transitions are counted as bench_engine counts them: one per state run,
// the Map or Parallel state itself included.
const fig = {
  a: { secs: a, transitions: 100000, per_s: 100000 / a, executions_per_s: 1000 / a },
  b: { secs: b, transitions: 10001, per_s: 10001 / b, iterations_per_s: 10000 / b },
  c: { secs: c, transitions: 1001, per_s: 1001 / c, states_per_s: 1000 / c },
};
const maxRssKib = process.resourceUsage().maxRSS;
const f0 = (x) => x.toFixed(0).padStart(9);
console.log(
  `aws-local-stepfunctions ${peerVersion} on node ${process.version} (in-memory)` +
    `, (a) run ${batch === 1 ? 'sequentially' : `${batch} at a time`}, ${cold ? 'cold' : 'JIT warmed'}`,
);
console.log(`  (a) 1000 x 100-state Pass chain   ${f0(fig.a.per_s)} transitions/s  ${f0(fig.a.executions_per_s)} executions/s  (${a.toFixed(3)} s)`);
console.log(`  (b) Map over 10,000 items         ${f0(fig.b.per_s)} transitions/s  ${f0(fig.b.iterations_per_s)} iterations/s  (${b.toFixed(3)} s)`);
console.log(`  (c) Parallel 10 x 100 states      ${f0(fig.c.per_s)} transitions/s  ${f0(fig.c.states_per_s)} states/s  (${c.toFixed(3)} s)`);
console.log(`peak RSS: ${maxRssKib} KiB (largest sampled rss ${Math.round(peakSampledRss / 1024)} KiB)`);
console.log('verified: results of all three workloads, event counts of (a) and (b)');
console.log(
  'json: ' +
    JSON.stringify({
      tool: 'aws-local-stepfunctions',
      version: peerVersion,
      node: process.version,
      batch,
      warmed: !cold,
      a_transitions_per_s: fig.a.per_s,
      a_executions_per_s: fig.a.executions_per_s,
      a_secs: a,
      b_transitions_per_s: fig.b.per_s,
      b_iterations_per_s: fig.b.iterations_per_s,
      b_secs: b,
      c_transitions_per_s: fig.c.per_s,
      c_states_per_s: fig.c.states_per_s,
      c_secs: c,
      peak_rss_kib: maxRssKib,
      peak_sampled_rss_kib: Math.round(peakSampledRss / 1024),
    }),
);
