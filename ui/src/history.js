// history.js: what happened to each state, read from an execution's event
// history.  Events other than StateEntered/Exited do not name their state,
// so each event inherits the state of the event its previousEventId names.

const FAILURE = /(Failed|TimedOut)$/;
const RESTART = /(Scheduled|Started)$/; // a retry after a failure

/** Each event's payload: the one member ending in "EventDetails". */
export function details(ev) {
  const k = Object.keys(ev).find((x) => x.endsWith('EventDetails'));
  return k ? ev[k] : null;
}

function findToken(v) {
  if (typeof v === 'string') return /^stepd\d*\.[0-9a-f]{16,}$/.test(v) ? v : null;
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && /token/i.test(k) && x.length > 8) return x;
      const t = findToken(x);
      if (t) return t;
    }
  }
  return null;
}

/**
 * Reads the history: per state its status (succeeded, failed, caught,
 * running, waiting, compensated, compensation-failed, aborted), each event's
 * state name and duration, the compensation steps and the pending callbacks.
 */
export function analyse(events, execStatus) {
  const byId = new Map();
  const st = new Map(); // name -> {status, failed, entered}
  const rows = [];
  const comp = [];
  const pending = new Map(); // scheduled event id -> {state, token}
  const scheduled = new Map(); // state -> time of the last Scheduled
  let start = null;
  for (const ev of events) {
    const d = details(ev) || {};
    const t = Date.parse(ev.timestamp);
    if (start == null) start = t;
    let name = null;
    if (/StateEntered$/.test(ev.type) || /StateExited$/.test(ev.type)) name = d.name;
    else if (ev.type.startsWith('CompensationStep')) name = d.state;
    else if (/^(Execution|Compensation|MapRun)/.test(ev.type)) name = null; // the whole run's, not a state's
    else if (byId.has(ev.previousEventId)) name = byId.get(ev.previousEventId).state;
    const row = { ev, state: name, elapsed: t - start, duration: null };
    byId.set(ev.id, row);
    rows.push(row);
    const s = name ? st.get(name) || { status: 'running', failed: false, entered: t } : null;
    if (s) st.set(name, s);

    if (/StateEntered$/.test(ev.type)) {
      Object.assign(s, { status: ev.type === 'WaitStateEntered' ? 'waiting' : ev.type === 'FailStateEntered' ? 'failed' : 'running', failed: false, entered: t });
    } else if (/StateExited$/.test(ev.type)) {
      s.status = s.failed ? 'caught' : 'succeeded';
      row.duration = t - s.entered;
    } else if (ev.type.startsWith('CompensationStep')) {
      if (ev.type === 'CompensationStepScheduled') comp.push({ state: name, status: 'RUNNING', input: d.input, scheduled: t });
      const c = [...comp].reverse().find((x) => x.state === name);
      if (ev.type === 'CompensationStepSucceeded') { s.status = 'compensated'; if (c) Object.assign(c, { status: 'SUCCEEDED', output: d.output, duration: t - c.scheduled }); }
      if (ev.type === 'CompensationStepFailed') {
        if (c) Object.assign(c, { status: d.final ? 'FAILED' : 'RETRYING', error: d.error, cause: d.cause });
        if (d.final) s.status = 'compensation-failed';
      }
    } else if (s && FAILURE.test(ev.type) && !ev.type.startsWith('Execution')) {
      s.failed = true;
      s.status = 'failed';
      if (scheduled.has(name)) row.duration = t - scheduled.get(name);
      for (const [k, p] of pending) if (p.state === name) pending.delete(k);
    } else if (s && RESTART.test(ev.type)) {
      if (/Scheduled$/.test(ev.type)) {
        scheduled.set(name, t);
        s.failed = false;
        s.status = 'running';
        const token = findToken(d.parameters);
        if (token) pending.set(ev.id, { state: name, token, eventId: ev.id });
      }
    } else if (s && /Succeeded$/.test(ev.type) && !ev.type.startsWith('Execution')) {
      if (scheduled.has(name)) row.duration = t - scheduled.get(name);
      for (const [k, p] of pending) if (p.state === name) pending.delete(k);
    } else if (s && ev.type === 'TaskSubmitted' && [...pending.values()].some((p) => p.state === name)) {
      s.status = 'waiting';
    }
  }
  const ended = execStatus && execStatus !== 'RUNNING';
  for (const s of st.values()) {
    if (!ended) continue;
    if (s.status === 'running' || s.status === 'waiting') s.status = execStatus === 'ABORTED' ? 'aborted' : 'failed';
  }
  return {
    rows,
    status: (name) => (st.get(name) || {}).status || '',
    compensation: comp,
    pending: ended ? [] : [...pending.values()],
  };
}
