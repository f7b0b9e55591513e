// console.mjs: browser tests of the web console at /ui/ (run by
// tests/unit/test_ui.c, which starts `stepd serve` with a bearer token and
// `stepd demo-service`).  Debian's headless Chromium, driven by
// playwright-core; never a downloaded browser.  Each step saves a
// screenshot into SHOTS and the run ends with the page weight and the
// first render time on stdout.
//
// usage: node console.mjs BASE_URL DEMO_URL TOKEN SHOTS_DIR
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';

const [base, demo, token, shots] = process.argv.slice(2);
if (!shots) { console.error('usage: node console.mjs BASE_URL DEMO_URL TOKEN SHOTS_DIR'); process.exit(2); }
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(exe)) {
  console.error(`console.mjs: no Chromium at ${exe}: install the Debian packages chromium and chromium-driver (scripts/deps.sh)`);
  process.exit(3);
}
mkdirSync(shots, { recursive: true });
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const T = 15000; // a generous cap per wait; the whole run takes seconds

const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu'] });
const outside = [];
const watch = (ctx) => ctx.on('request', (r) => {
  const u = r.url();
  if (!u.startsWith(base) && !u.startsWith('data:')) outside.push(u);
});
let step = 0;
const shot = async (page, name) => page.screenshot({ path: path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
const log = (m) => console.log(`ui: ${m}`);

async function measure() {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  watch(ctx);
  await ctx.addInitScript((t) => sessionStorage.setItem('stepd.token', t), token);
  const page = await ctx.newPage();
  const sizes = [];
  page.on('requestfinished', async (r) => {
    if (new URL(r.url()).pathname.startsWith('/ui')) sizes.push(r.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
  });
  await page.goto(`${base}/ui/`);
  await page.waitForSelector('#machines, main p:has-text("No state machines")', { timeout: T });
  const render = await page.evaluate(() => performance.getEntriesByName('machines-rendered')[0]?.startTime);
  await page.waitForLoadState('networkidle');
  const weight = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  await ctx.close();
  return { weight, files: sizes.length, render };
}

// saves a definition from the editor; unless it is expected to be refused,
// waits for the machine's page with its graph
async function editorUpload(page, name, text, refused = false) {
  await page.goto(`${base}/ui/#/new`);
  await page.fill('#m-name', name);
  await page.fill('#definition-text', text);
  await page.click('#save');
  if (refused) return;
  await page.waitForFunction((n) => location.hash === `#/machines/${n}`, name, { timeout: T });
  await page.waitForSelector('svg.graph', { timeout: T });
}

async function startExecution(page, machine, input) {
  await page.waitForSelector(`h1:has-text("${machine}")`, { timeout: T });
  await page.fill('#start-input', JSON.stringify(input));
  await page.click('button:has-text("Start execution")');
  await page.waitForSelector('#history', { timeout: T });
}

const badge = (page, s) => page.waitForSelector(`h1 .badge:text-is("${s}")`, { timeout: T });

try {
  // 0. token: the API answers 401, the console asks, then carries on
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  watch(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { console.error(`page error: ${e.message}`); process.exitCode = 1; });
  await page.goto(`${base}/`); // redirects to /ui/
  assert.ok(page.url().endsWith('/ui/'), `GET / redirects to /ui/ (at ${page.url()})`);
  await page.waitForSelector('#token-dialog[open]', { timeout: T });
  await shot(page, 'token');
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await page.waitForSelector('main h1:text-is("State machines")', { timeout: T });
  log('token dialog ok');

  // 1. a definition with an error: the diagnostic shows at its line
  const bad = `{
  "StartAt": "Hello",
  "States": {
    "Hello": {
      "Type": "Pass",
      "Next": "Missing"
    }
  }
}`;
  await editorUpload(page, 'ui-demo', bad, true);
  const diag = await page.waitForSelector('.diag', { timeout: T });
  const dtext = await diag.textContent();
  assert.match(dtext, /line 6/);
  assert.match(dtext, /MISSING_TRANSITION_TARGET/);
  assert.match(dtext, /\/States\/Hello\/Next/);
  assert.ok(await page.$('.gutter .ln.err[data-line="6"]'), 'gutter marks line 6');
  assert.ok(await page.$('.backdrop .bl.err'), 'the line is highlighted');
  await page.click('.diag button'); // jumps to the line
  const sel = await page.evaluate(() => { const t = document.querySelector('#definition-text'); return t.value.slice(t.selectionStart, t.selectionEnd); });
  assert.match(sel, /"Next": "Missing"/);
  await shot(page, 'diagnostic');
  log('diagnostic at its line ok');

  // 2. fixed (and with every kind of edge and group) and uploaded
  const good = {
    StartAt: 'Hello',
    States: {
      Hello: { Type: 'Pass', Next: 'Pick' },
      Pick: { Type: 'Choice', Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Fan' }], Default: 'Done' },
      Fan: {
        Type: 'Parallel', Next: 'Each',
        Branches: [
          { StartAt: 'A1', States: { A1: { Type: 'Pass', End: true } } },
          { StartAt: 'B1', States: { B1: { Type: 'Pass', Next: 'B2' }, B2: { Type: 'Pass', End: true } } },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done' }],
      },
      Each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } }, Next: 'Done' },
      Done: { Type: 'Succeed' },
    },
  };
  await page.fill('#definition-text', JSON.stringify(good, null, 2));
  await page.click('#save');
  await page.waitForFunction(() => location.hash === '#/machines/ui-demo', null, { timeout: T });
  await page.waitForSelector('svg.graph', { timeout: T });
  for (const s of ['Hello', 'Pick', 'Fan', 'A1', 'B2', 'Each', 'Item', 'Done']) assert.ok(await page.$(`.node[data-state="${s}"]`), `node ${s}`);
  assert.equal(await page.locator('.node.group').count(), 2, 'Parallel and Map are groups');
  assert.equal(await page.locator('.node[data-state="Fan"] .subgroup').count(), 2, 'two branches');
  assert.ok(await page.$('.node[data-state="Fan"] .node[data-state="B1"]'), 'B1 nested in Fan');
  assert.equal(await page.locator('path.edge-catch').count(), 1, 'one catch edge');
  assert.equal(await page.locator('path.edge-default').count(), 1, 'one default edge');
  assert.match(await page.textContent('#definition'), /"StartAt": "Hello"/);
  await shot(page, 'machine');
  log('upload and graph ok');

  // 3. the saga with shipping failing: failed and compensated states
  await editorUpload(page, 'order-saga', readFileSync(path.join(repo, 'samples/order-saga/order-saga.compensation.asl.json'), 'utf8'));
  assert.equal(await page.locator('.node.kind-Compensation').count(), 2, 'undo nodes');
  assert.equal(await page.locator('path.edge-compensation').count(), 2, 'compensation edges');
  const input = JSON.parse(readFileSync(path.join(repo, 'samples/order-saga/fail-shipping.input.json'), 'utf8'));
  input.serviceUrl = demo;
  await startExecution(page, 'order-saga', input);
  await badge(page, 'FAILED');
  await page.waitForSelector('.node[data-state="BookShipping"].st-failed', { timeout: T });
  assert.ok(await page.$('.node[data-state="ChargePayment"].st-compensated'), 'ChargePayment compensated');
  assert.ok(await page.$('.node[data-state="ReserveInventory"].st-compensated'), 'ReserveInventory compensated');
  assert.ok(await page.$('.node[data-undo="ChargePayment"].st-compensated'), 'its undo node too');
  assert.equal(await page.locator('#compensation tbody tr').count(), 2);
  assert.match(await page.textContent('#compensation'), /ChargePayment.*SUCCEEDED.*ReserveInventory.*SUCCEEDED/s);
  assert.match(await page.textContent('#failure'), /States\.Http\.StatusCode\.500/);
  await shot(page, 'saga-compensated');
  log('saga graph colours ok');

  // 4. an event's JSON, expanded with the keyboard
  const btn = page.locator('tr[data-type="TaskFailed"] button.expand');
  await btn.focus();
  await page.keyboard.press('Enter');
  assert.equal(await btn.getAttribute('aria-expanded'), 'true');
  const pre = page.locator('tr[data-type="TaskFailed"] + tr.detail pre');
  await pre.waitFor({ state: 'visible', timeout: T });
  assert.match(await pre.textContent(), /"error": "States\.Http\.StatusCode\.500"/);
  await shot(page, 'event-json');
  log('event JSON ok');

  // the executions list: filter, search, keyboard into a row
  await page.goto(`${base}/ui/#/executions?m=order-saga`);
  await page.selectOption('#f-status', 'SUCCEEDED');
  await page.waitForSelector('.execlist p:text("No executions match.")', { timeout: T });
  await page.selectOption('#f-status', 'FAILED');
  await page.waitForSelector('#executions tbody tr', { timeout: T });
  await page.fill('#f-name', 'no-such-name');
  await page.waitForSelector('.execlist p:text("No executions match.")', { timeout: T });
  await page.fill('#f-name', '');
  await page.focus('#executions tbody tr');
  await page.keyboard.press('Enter');
  await badge(page, 'FAILED');
  log('executions list ok');

  // 5. stop a long Wait (running + waiting, live), redrive a failed one
  await editorUpload(page, 'long-wait', JSON.stringify({ StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 3600, End: true } } }));
  await startExecution(page, 'long-wait', {});
  await badge(page, 'RUNNING');
  await page.waitForSelector('.node[data-state="Nap"].st-waiting', { timeout: T });
  await page.check('#stop-comp');
  await page.click('#stop');
  await badge(page, 'ABORTED');
  assert.ok(await page.$('.node[data-state="Nap"].st-aborted'));
  await shot(page, 'stopped');
  log('stop ok');

  await editorUpload(page, 'flaky', JSON.stringify({ StartAt: 'Call', States: { Call: { Type: 'Task', Resource: 'arn:stepd:task:fail', End: true } } }));
  await startExecution(page, 'flaky', { Error: 'Flaky.Error', Cause: 'down' });
  await badge(page, 'FAILED');
  assert.ok(await page.$('.node[data-state="Call"].st-failed'));
  await page.click('#redrive');
  await page.waitForSelector('#redrive-count:text-is("1")', { timeout: T });
  await page.waitForSelector('tr[data-type="ExecutionRedriven"]', { timeout: T });
  await badge(page, 'FAILED');
  await shot(page, 'redriven');
  log('redrive ok');

  // a pending callback answered from the console
  await editorUpload(page, 'callback', JSON.stringify({
    StartAt: 'Ask',
    States: { Ask: { Type: 'Task', Resource: 'arn:stepd:task:sleep.waitForTaskToken', Parameters: { 'TaskToken.$': '$$.Task.Token' }, End: true } },
  }));
  await startExecution(page, 'callback', {});
  await page.waitForSelector('.callback code.token', { timeout: T });
  assert.ok(await page.$('.node[data-state="Ask"].st-waiting'));
  await shot(page, 'callback');
  await page.fill('#cb-out-0', '{"approved": true}');
  await page.click('.cb-success');
  await badge(page, 'SUCCEEDED');
  assert.match(await page.textContent('#output'), /"approved": true/);
  log('callback ok');

  // narrow window: one column, nothing wider than the screen
  await page.setViewportSize({ width: 400, height: 800 });
  await page.goto(`${base}/ui/#/executions?m=order-saga`);
  await page.focus('#executions tbody tr');
  await page.keyboard.press(' ');
  await badge(page, 'FAILED');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scroll at 400 px (overflow ${overflow})`);
  await shot(page, 'narrow');
  log('narrow window ok');
  await ctx.close();

  const m = await measure();
  assert.deepEqual(outside, [], 'no request leaves the machine');
  console.log(`ui: page weight ${m.weight} bytes in ${m.files} responses (gzip); first render ${m.render.toFixed(0)} ms`);
} catch (e) {
  console.error(`console.mjs: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
