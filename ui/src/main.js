// main.js: the console's router and views.  Hash routes keep every page a
// plain URL under /ui/ (bookmarkable, the server only serves index.html):
//   #/                      state machines
//   #/machines/NAME         a machine: graph, definition, start, executions
//   #/new, #/edit/NAME      the definition editor
//   #/executions[?m=NAME]   executions of a machine
//   #/executions/ID         one execution, updated live while it runs

import { api, enc, onTokenNeeded, ApiError } from './api.js';
import { h, fill, pretty, rowLink, fmtMs } from './dom.js';
import { layoutDefinition, renderGraph } from './graph.js';
import { analyse, details } from './history.js';
import { editor } from './editor.js';

const main = document.getElementById('main');
const announcer = document.getElementById('announce');
let generation = 0; // bumped per route: stale polls and fetches stop

const go = (hash) => { location.hash = hash; };
const say = (msg) => { announcer.textContent = msg; };

function errorBox(err) {
  const b = err instanceof ApiError ? err.body : {};
  return h('div.error', { role: 'alert' },
    h('strong', {}, b.error || 'Error'), ': ', err.message);
}

function title(text, ...extra) {
  document.title = `${text} · stepd console`;
  return h('h1', {}, text, ...extra);
}

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const badge = (s) => h(`span.badge.b-${(s || '').toLowerCase()}`, {}, s);

/* ---- state machines ---- */

async function machinesView(gen) {
  fill(main, title('State machines'), h('p', {}, h('a.button', { href: '#/new' }, 'New state machine')));
  const box = h('div', { 'aria-busy': 'true' }, 'Loading…');
  main.appendChild(box);
  const all = [];
  let cursor = null;
  do {
    const r = await api('GET', `/v1/state-machines?limit=100${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    all.push(...r.stateMachines);
    cursor = r.nextCursor;
  } while (cursor && gen === generation);
  if (gen !== generation) return;
  box.removeAttribute('aria-busy');
  if (!all.length) { fill(box, h('p', {}, 'No state machines yet.')); performance.mark('machines-rendered'); return; }
  fill(box, h('div.scroll', {}, h('table#machines', {},
    h('caption.sr-only', {}, 'State machines'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Created'))),
    h('tbody', {}, all.map((m) => rowLink(() => go(`#/machines/${enc(m.name)}`), `State machine ${m.name}`,
      h('td', {}, h('a', { href: `#/machines/${enc(m.name)}`, tabindex: -1 }, m.name)), h('td', {}, m.type), h('td', {}, m.creationDate)))))));
  performance.mark('machines-rendered'); // the first-render figure (tests/ui)
  say(`${all.length} state machines`);
}

function graphFigure(def, statusOf, caption) {
  let svg;
  try { svg = renderGraph(layoutDefinition(def), statusOf, caption); } catch (e) { return h('p.error', {}, `Cannot draw the graph: ${e.message}`); }
  return h('figure.graphbox', {}, h('div.scroll', {}, svg), h('figcaption.sr-only', {}, caption));
}

async function machineView(gen, name) {
  const m = await api('GET', `/v1/state-machines/${enc(name)}`);
  if (gen !== generation) return;
  const input = h('textarea#start-input', { rows: 5, spellcheck: 'false' }, '{}');
  const exname = h('input#start-name', { type: 'text', autocomplete: 'off' });
  const msg = h('div', { 'aria-live': 'polite' });
  const start = async (ev) => {
    ev.preventDefault();
    fill(msg);
    try {
      const q = exname.value.trim() ? `?name=${enc(exname.value.trim())}` : '';
      const r = await api('POST', `/v1/state-machines/${enc(name)}/executions${q}`, input.value.trim() || '{}');
      go(`#/executions/${enc(r.id)}`);
    } catch (e) { fill(msg, errorBox(e)); }
  };
  fill(main,
    title(name, ' ', h('span.muted', {}, m.type)),
    h('p', {}, h('a.button', { href: `#/edit/${enc(name)}` }, 'Edit definition'), ' ',
      h('a.button', { href: `#/executions?m=${enc(name)}` }, 'Executions')),
    h('section', { 'aria-labelledby': 'g-h' }, h('h2#g-h', {}, 'Graph'), graphFigure(m.definition, () => '', `Graph of ${name}`),
      legend(false)),
    h('section', { 'aria-labelledby': 's-h' }, h('h2#s-h', {}, 'Start an execution'),
      h('form.stack', { onsubmit: start },
        h('label', { for: 'start-name' }, 'Name (optional)'), exname,
        h('label', { for: 'start-input' }, 'Input (JSON)'), input,
        h('div', {}, h('button', { type: 'submit' }, 'Start execution')), msg)),
    h('section', { 'aria-labelledby': 'd-h' }, h('h2#d-h', {}, 'Definition'),
      h('pre.json#definition', { tabindex: 0 }, pretty(m.definition))),
    h('section', { 'aria-labelledby': 'x-h' }, h('h2#x-h', {}, 'Executions'), executionList(gen, name)));
}

function legend(run) {
  const items = run ? ['succeeded', 'failed', 'caught', 'running', 'waiting', 'compensated', 'aborted'] : [];
  return h('ul.legend', { 'aria-label': 'Legend' },
    items.map((s) => h('li', {}, h(`span.swatch.st-${s}`, { 'aria-hidden': 'true' }), s)),
    h('li', {}, h('span.line', { 'aria-hidden': 'true' }), 'next / choice'),
    h('li', {}, h('span.line.dashed', { 'aria-hidden': 'true' }), 'catch'),
    h('li', {}, h('span.line.dotted', { 'aria-hidden': 'true' }), 'compensation'));
}

/* ---- executions ---- */

function executionList(gen, machine) {
  const st = { status: '', q: '', cursors: [null], page: 0 };
  const status = h('select#f-status', {}, STATUSES.map((s) => h('option', { value: s }, s || 'any')));
  const search = h('input#f-name', { type: 'search', placeholder: 'part of a name', autocomplete: 'off' });
  const body = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    body.setAttribute('aria-busy', 'true');
    try {
      const cur = st.cursors[st.page];
      const r = await api('GET', `/v1/executions?stateMachine=${enc(machine)}&limit=20${st.status ? `&status=${st.status}` : ''}${cur ? `&cursor=${enc(cur)}` : ''}`);
      if (gen !== generation) return;
      st.cursors[st.page + 1] = r.nextCursor || null;
      renderRows(r.executions);
    } catch (e) { fill(body, errorBox(e)); }
    body.removeAttribute('aria-busy');
  };
  const renderRows = (list) => {
    const q = st.q.toLowerCase();
    const rows = list.filter((x) => !q || x.name.toLowerCase().includes(q));
    const prev = h('button', { type: 'button', disabled: st.page === 0, onclick: () => { st.page--; load(); } }, '← Newer');
    const next = h('button', { type: 'button', disabled: !st.cursors[st.page + 1], onclick: () => { st.page++; load(); } }, 'Older →');
    fill(body,
      rows.length ? h('div.scroll', {}, h('table#executions', {},
        h('caption.sr-only', {}, `Executions of ${machine}`),
        h('thead', {}, h('tr', {}, ['Name', 'Status', 'Started', 'Stopped'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.map((x) => rowLink(() => go(`#/executions/${enc(x.id)}`), `Execution ${x.name}, ${x.status}`,
          h('td', {}, h('a', { href: `#/executions/${enc(x.id)}`, tabindex: -1 }, x.name)), h('td', {}, badge(x.status)),
          h('td', {}, x.startDate), h('td', {}, x.stopDate || '')))))) : h('p', {}, 'No executions match.'),
      h('nav.pager', { 'aria-label': 'Pages' }, prev, h('span', {}, ` page ${st.page + 1} `), next));
  };
  status.addEventListener('change', () => { st.status = status.value; st.cursors = [null]; st.page = 0; load(); });
  search.addEventListener('input', () => { st.q = search.value; load(); });
  load();
  return h('div.execlist', {},
    h('form.filters', { onsubmit: (e) => e.preventDefault(), role: 'search' },
      h('label', { for: 'f-status' }, 'Status'), status,
      h('label', { for: 'f-name' }, 'Name contains (this page)'), search),
    body);
}

async function executionsView(gen, params) {
  const r = await api('GET', '/v1/state-machines?limit=1000');
  if (gen !== generation) return;
  const names = r.stateMachines.map((m) => m.name);
  const m = params.get('m') || names[0];
  const pick = h('select#pick-machine', { onchange: (e) => go(`#/executions?m=${enc(e.target.value)}`) },
    names.map((n) => h('option', { value: n, selected: n === m }, n)));
  fill(main, title('Executions'),
    names.length ? h('p', {}, h('label', { for: 'pick-machine' }, 'State machine '), pick) : h('p', {}, 'No state machines yet.'),
    m ? executionList(gen, m) : null);
}

async function fetchHistory(id) {
  const events = [];
  let cursor = null;
  do {
    const r = await api('GET', `/v1/executions/${enc(id)}/history?limit=1000${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    events.push(...r.events);
    cursor = r.nextCursor;
  } while (cursor);
  return events;
}

async function executionView(gen, id) {
  const machine = id.slice(0, id.indexOf(':'));
  const s = {
    head: h('div'), actions: h('section', { 'aria-label': 'Actions' }), graph: h('div'),
    result: h('section', { 'aria-labelledby': 'r-h' }), comp: h('section', { 'aria-labelledby': 'c-h' }),
    callbacks: h('section', { 'aria-label': 'Pending callbacks' }), history: h('section', { 'aria-labelledby': 'h-h' }),
  };
  const open = new Set(); // expanded history rows, kept across live updates
  let shown = { status: null, tokens: null };
  fill(main, s.head, s.actions, s.callbacks, h('section', { 'aria-labelledby': 'gr-h' }, h('h2#gr-h', {}, 'Graph'), s.graph, legend(true)),
    s.result, s.comp, s.history);
  let def = null;
  try { def = (await api('GET', `/v1/state-machines/${enc(machine)}`)).definition; } catch { def = null; }

  const refresh = async () => {
    const [x, events] = await Promise.all([api('GET', `/v1/executions/${enc(id)}`), fetchHistory(id)]);
    if (gen !== generation) return;
    const a = analyse(events, x.status);
    fill(s.head, title(x.name, ' ', badge(x.status)),
      h('dl.facts', {},
        h('dt', {}, 'State machine'), h('dd', {}, h('a', { href: `#/machines/${enc(machine)}` }, machine)),
        h('dt', {}, 'Started'), h('dd', {}, x.startDate), h('dt', {}, 'Stopped'), h('dd', {}, x.stopDate || '—'),
        h('dt', {}, 'Redrives'), h('dd#redrive-count', {}, String(x.redriveCount || 0)),
        x.redriveStatus ? [h('dt', {}, 'Redrive'), h('dd#redrive-why', {}, x.redriveStatus, x.redriveStatusReason ? ` (${x.redriveStatusReason})` : '')] : null));
    const akey = `${x.status}/${x.redriveStatus}/${x.redriveCount}`;
    if (shown.status !== akey) { renderActions(s.actions, id, x, refresh); shown.status = akey; }
    const tokens = a.pending.map((p) => p.token).join();
    if (shown.tokens !== tokens) { renderCallbacks(s.callbacks, a.pending, refresh); shown.tokens = tokens; }
    fill(s.graph, def ? graphFigure(def, (n, undo) => {
      const v = a.status(n);
      if (undo) return v === 'compensated' || v === 'compensation-failed' ? v : '';
      return v;
    }, `Graph of execution ${x.name}`) : h('p', {}, 'The state machine is gone; no graph.'));
    renderResult(s.result, x);
    renderCompensation(s.comp, x, a.compensation);
    renderHistory(s.history, a.rows, open);
    if (x.status === 'RUNNING') setTimeout(() => { if (gen === generation) refresh().catch(showPollError); }, 1000);
    else say(`Execution ${x.status.toLowerCase()}`);
  };
  const showPollError = (e) => fill(s.result, errorBox(e));
  await refresh();
}

function renderActions(box, id, x, refresh) {
  const msg = h('div', { 'aria-live': 'polite' });
  const call = (path, body, what) => async (ev) => {
    ev.preventDefault();
    fill(msg);
    try { await api('POST', path, body()); say(what); await refresh(); } catch (e) { fill(msg, errorBox(e)); }
  };
  const comp = h('input#stop-comp', { type: 'checkbox' });
  const stop = x.status === 'RUNNING'
    ? h('form.inline', { onsubmit: call(`/v1/executions/${enc(id)}/stop`, () => (comp.checked ? { compensate: true } : {}), 'Stop requested') },
      h('button#stop', { type: 'submit' }, 'Stop execution'), ' ', comp, h('label', { for: 'stop-comp' }, ' run compensations'))
    : null;
  const redrive = ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(x.status)
    ? h('form.inline', { onsubmit: call(`/v1/executions/${enc(id)}/redrive`, () => ({}), 'Redriven') },
      h('button#redrive', { type: 'submit', disabled: x.redriveStatus === 'NOT_REDRIVABLE', 'aria-describedby': 'redrive-why' }, 'Redrive'))
    : null;
  fill(box, h('h2.sr-only', {}, 'Actions'), h('div.actions', {}, stop, redrive), msg);
}

function renderCallbacks(box, pending, refresh) {
  if (!pending.length) { fill(box); return; }
  fill(box, h('h2', {}, 'Waiting for a callback'), pending.map((p, i) => {
    const out = h('textarea', { id: `cb-out-${i}`, rows: 3, spellcheck: 'false' }, '{}');
    const err = h('input', { id: `cb-err-${i}`, type: 'text', value: 'Rejected' });
    const cause = h('input', { id: `cb-cause-${i}`, type: 'text', value: '' });
    const msg = h('div', { 'aria-live': 'polite' });
    const send = (kind, body) => async () => {
      fill(msg);
      try { await api('POST', `/v1/tasks/${enc(p.token)}/${kind}`, body()); say(`Task ${kind} sent`); await refresh(); } catch (e) { fill(msg, errorBox(e)); }
    };
    return h('div.callback', { 'data-token': p.token },
      h('p', {}, 'State ', h('strong', {}, p.state), ' waits for token ', h('code.token', {}, p.token)),
      h('div.cols', {},
        h('div.stack', {}, h('label', { for: `cb-out-${i}` }, 'Output (JSON)'), out,
          h('div', {}, h('button.cb-success', { type: 'button', onclick: send('success', () => out.value.trim() || '{}') }, 'Send success'))),
        h('div.stack', {}, h('label', { for: `cb-err-${i}` }, 'Error'), err, h('label', { for: `cb-cause-${i}` }, 'Cause'), cause,
          h('div', {}, h('button.cb-failure', { type: 'button', onclick: send('failure', () => ({ error: err.value, cause: cause.value })) }, 'Send failure')))),
      msg);
  }));
}

function renderResult(box, x) {
  const parts = [h('h2#r-h', {}, x.status === 'SUCCEEDED' ? 'Output' : 'Result')];
  if (x.status === 'SUCCEEDED') parts.push(h('pre.json#output', { tabindex: 0 }, pretty(x.output)));
  else if (x.error || x.cause) {
    let cause = x.cause;
    try { cause = pretty(JSON.parse(x.cause)); } catch { /* plain text */ }
    parts.push(h('dl.facts#failure', {}, h('dt', {}, 'Error'), h('dd', {}, h('code', {}, x.error || '')),
      h('dt', {}, 'Cause'), h('dd', {}, h('pre.json', { tabindex: 0 }, cause || ''))));
  } else parts.push(h('p', {}, x.status === 'RUNNING' ? 'Still running (updates every second).' : 'No output.'));
  fill(box, parts);
}

function renderCompensation(box, x, steps) {
  if (!steps.length && (!x.compensationStatus || x.compensationStatus === 'NONE')) { fill(box); return; }
  fill(box, h('h2#c-h', {}, 'Compensation ', badge(x.compensationStatus || '')),
    h('div.scroll', {}, h('table#compensation', {},
      h('caption.sr-only', {}, 'Compensation steps'),
      h('thead', {}, h('tr', {}, ['Step (undo of)', 'Status', 'Duration'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, steps.map((c) => h('tr', {}, h('td', {}, c.state), h('td', {}, badge(c.status)), h('td', {}, fmtMs(c.duration))))))));
}

function renderHistory(box, rows, open) {
  const toggle = (id, btn, detail) => () => {
    const on = !open.has(id);
    if (on) open.add(id); else open.delete(id);
    btn.setAttribute('aria-expanded', String(on));
    btn.textContent = on ? 'Hide' : 'Show';
    detail.hidden = !on;
  };
  fill(box, h('h2#h-h', {}, `History (${rows.length} events)`), h('div.scroll', {}, h('table#history', {},
    h('caption.sr-only', {}, 'Event history'),
    h('thead', {}, h('tr', {}, ['ID', 'Type', 'State', 'Time (UTC)', 'Elapsed', 'Duration', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
    rows.map((r) => {
      const d = details(r.ev);
      const on = open.has(r.ev.id);
      const detail = h('tr.detail', { hidden: !on }, h('td', { colspan: 7 }, h('pre.json', { id: `ev-${r.ev.id}-json` }, pretty(d))));
      const btn = d ? h('button.expand', { type: 'button', 'aria-expanded': String(on), 'aria-controls': `ev-${r.ev.id}-json` }, on ? 'Hide' : 'Show') : null;
      if (btn) btn.addEventListener('click', toggle(r.ev.id, btn, detail));
      const cls = /Failed|TimedOut|Aborted/.test(r.ev.type) ? 'ev-bad' : '';
      return h('tbody', {}, h('tr', { class: cls, 'data-type': r.ev.type, 'data-id': r.ev.id },
        h('td', {}, r.ev.id), h('td', {}, r.ev.type), h('td', {}, r.state || ''), h('td', {}, r.ev.timestamp.slice(11, 23)),
        h('td', {}, fmtMs(r.elapsed)), h('td', {}, fmtMs(r.duration)), h('td', {}, btn)), d ? detail : null);
    }))));
}

/* ---- editor ---- */

async function editView(gen, name) {
  let text = '{\n  "StartAt": "Hello",\n  "States": {\n    "Hello": {\n      "Type": "Pass",\n      "End": true\n    }\n  }\n}\n';
  let type = 'STANDARD';
  if (name) {
    const m = await api('GET', `/v1/state-machines/${enc(name)}`);
    if (gen !== generation) return;
    text = pretty(m.definition) + '\n';
    type = m.type;
  }
  const ed = editor(text);
  const nameIn = h('input#m-name', { type: 'text', value: name || '', readonly: !!name, required: true, autocomplete: 'off' });
  const typeIn = h('select#m-type', { disabled: !!name }, ['STANDARD', 'EXPRESS'].map((t) => h('option', { value: t, selected: t === type }, t)));
  const msg = h('div#diagnostics', { 'aria-live': 'polite' });
  const show = (diags, heading) => {
    ed.mark(diags);
    fill(msg, h('h2', {}, heading), h('ul.diags', {}, diags.map((d) => h('li.diag', { 'data-line': d.line },
      h('button.link', { type: 'button', onclick: () => ed.focusLine(d.line) }, `line ${d.line}`), ': ',
      h('code', {}, d.code), ' ', d.message, ' ', h('span.muted', {}, `at ${d.location || '/'}`)))));
  };
  const validate = async () => {
    fill(msg);
    const r = await api('POST', `/v1/validate?type=${typeIn.value}`, ed.value() || ' ');
    if (r.result === 'OK') { ed.mark([]); fill(msg, h('p.ok', {}, 'Valid.')); } else show(r.diagnostics, 'Problems');
  };
  const save = async (ev) => {
    ev.preventDefault();
    fill(msg);
    const n = nameIn.value.trim();
    if (!n) { fill(msg, h('p.error', { role: 'alert' }, 'Give the state machine a name.')); nameIn.focus(); return; }
    try {
      await api('PUT', `/v1/state-machines/${enc(n)}${typeIn.value === 'EXPRESS' ? '?type=EXPRESS' : ''}`, ed.value() || ' ');
      ed.mark([]);
      go(`#/machines/${enc(n)}`);
    } catch (e) {
      if (e instanceof ApiError && e.body.error === 'InvalidDefinition' && Array.isArray(e.body.details)) show(e.body.details, 'The definition was not saved');
      else fill(msg, errorBox(e));
    }
  };
  fill(main, title(name ? `Edit ${name}` : 'New state machine'),
    h('form.stack#editor-form', { onsubmit: save },
      h('div.cols', {}, h('div.stack', {}, h('label', { for: 'm-name' }, 'Name'), nameIn),
        h('div.stack', {}, h('label', { for: 'm-type' }, 'Type'), typeIn)),
      h('label', { for: 'definition-text' }, 'Definition (JSON)'), ed.element,
      h('div.actions', {}, h('button#save', { type: 'submit' }, name ? 'Save' : 'Create'), ' ',
        h('button#validate', { type: 'button', onclick: () => validate().catch((e) => fill(msg, errorBox(e))) }, 'Validate')),
      msg));
  ed.attach(msg);
}

/* ---- token dialog and routing ---- */

onTokenNeeded((hadOne) => new Promise((resolve) => {
  const dlg = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-hint').textContent = hadOne ? 'That token was refused. ' : '';
  input.value = '';
  dlg.returnValue = '';
  dlg.onclose = () => resolve(dlg.returnValue === 'ok' && input.value ? input.value : null);
  dlg.showModal();
  input.focus();
}));

async function route() {
  const gen = ++generation;
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query || '');
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll('header nav a')) {
    const here = (seg[0] || '') === (a.dataset.section || '');
    if (here) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  try {
    if (!seg.length) await machinesView(gen);
    else if (seg[0] === 'machines' && seg[1]) await machineView(gen, seg[1]);
    else if (seg[0] === 'new') await editView(gen, null);
    else if (seg[0] === 'edit' && seg[1]) await editView(gen, seg[1]);
    else if (seg[0] === 'executions' && seg[1]) await executionView(gen, seg[1]);
    else if (seg[0] === 'executions') await executionsView(gen, params);
    else fill(main, title('Not found'), h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'State machines')));
  } catch (e) {
    if (gen === generation) fill(main, title('Error'), errorBox(e));
  }
  if (gen === generation && document.activeElement === document.body) main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
route();

// the skip link must not change the hash (that is the router's)
document.querySelector('.skip').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });
