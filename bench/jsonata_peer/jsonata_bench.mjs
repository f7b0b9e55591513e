// jsonata_bench.mjs: the expressions of bench/bench_jsonata.c on the
// reference JavaScript JSONata (npm jsonata, pinned to 2.0.6 as AWS Step
// Functions pins it), with the same input and $states bindings.
// Usage: node jsonata_bench.mjs [--ms N] [--stepd PATH-TO-bench_jsonata]
// With --stepd it also runs the C benchmark and prints both and the ratio.
// Ends with a `json: {...}` line of this implementation's figures.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const jsonata = require("jsonata");
const version = require("jsonata/package.json").version;

// Keep in step with CASES in bench_jsonata.c.
const CASES = [
  ["field", "$states.input.order.total"],
  ["sum_10k", "$sum($states.input.values)"],
  ["map_lambda", "$map($states.input.items, function($v) { $v.price * $v.qty })"],
  ["transform", "$states.input ~> |order|{'paid': true}|"],
  ["filter_count", "$count($states.input.items[price > 50 and qty > 2])"],
];

function makeInput() {
  const values = [];
  for (let i = 0; i < 10000; i++) values.push((i % 100) + 0.5);
  const items = [];
  for (let i = 0; i < 100; i++)
    items.push({ sku: `SKU-${i}`, price: (i % 90) + 1, qty: (i % 5) + 1 });
  return { order: { id: "A-1", total: 99.5, customer: { name: "Ann" } }, values, items };
}

function makeBindings(input) {
  return {
    states: {
      input,
      context: {
        Execution: {
          Id: "arn:aws:states:us-east-1:123456789012:execution:m:run",
          StartTime: "2024-01-01T00:00:00.000Z",
        },
        State: { Name: "S", EnteredTime: "2024-01-01T00:00:00.000Z" },
      },
    },
  };
}

// Evaluations per second over at least `ms` milliseconds.  evaluate() is
// asynchronous in jsonata 2.x; awaiting each call is how callers use it.
async function measure(expr, bindings, ms) {
  let n = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed * 1000 < ms) {
    for (let i = 0; i < batch; i++) await expr.evaluate(undefined, bindings);
    n += batch;
    if (batch < 1 << 20) batch *= 2;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return n / elapsed;
}

function parseArgs(argv) {
  const opts = { ms: 500, stepd: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--ms" && i + 1 < argv.length) opts.ms = Number(argv[++i]);
    else if (argv[i] === "--stepd" && i + 1 < argv.length) opts.stepd = argv[++i];
    else {
      console.error("usage: node jsonata_bench.mjs [--ms N] [--stepd PATH]");
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.ms) || opts.ms < 1) {
    console.error("jsonata_bench: --ms must be a positive integer");
    process.exit(2);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let stepd = null;
  if (opts.stepd) {
    const out = execFileSync(opts.stepd, ["--ms", String(opts.ms)], { encoding: "utf8" });
    process.stdout.write(out + "\n");
    const line = out.split("\n").find((l) => l.startsWith("json: "));
    stepd = line ? JSON.parse(line.slice(6)) : null;
  }
  const bindings = makeBindings(makeInput());
  const figures = {};
  console.log(`jsonata ${version} on node ${process.version}, evaluations/s (best of 3 x ${opts.ms} ms)`);
  for (const [key, text] of CASES) {
    const expr = jsonata(text);
    let best = 0;
    for (let r = 0; r < 3; r++) best = Math.max(best, await measure(expr, bindings, opts.ms));
    figures[key] = best;
    console.log(`  ${key.padEnd(13)} ${best.toFixed(0).padStart(12)}  ${text}`);
  }
  if (stepd) {
    console.log("\n| expression   | stepd evals/s | jsonata-js evals/s | stepd / js |");
    console.log("|--------------|---------------|--------------------|------------|");
    for (const [key] of CASES) {
      const s = stepd[key], j = figures[key];
      const ratio = s && j ? (s / j).toFixed(2) : "-";
      console.log(`| ${key.padEnd(12)} | ${(s ?? 0).toFixed(0).padStart(13)} | ${j.toFixed(0).padStart(18)} | ${ratio.padStart(10)} |`);
    }
  }
  console.log(`json: ${JSON.stringify(figures)}`);
}

main().catch((e) => {
  console.error(`jsonata_bench: ${e.message}`);
  process.exit(1);
});
