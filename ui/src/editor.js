// editor.js: the definition editor: a plain textarea over a backdrop that
// marks lines, beside a line-number gutter.  A diagnostic is placed on the
// line its JSON pointer resolves to (pointer.js): the line is marked in the
// gutter and the backdrop, its message is written after the line's text,
// and the list below the editor repeats it with a link to the line.

import { h, fill } from './dom.js';
import { diagnosticLine } from './pointer.js';

export function editor(initial) {
  const ta = h('textarea#definition-text', { spellcheck: 'false', wrap: 'off', rows: 24, 'aria-describedby': 'diagnostics' });
  ta.value = initial;
  const gutter = h('div.gutter', { 'aria-hidden': 'true' });
  const back = h('div.backdrop', { 'aria-hidden': 'true' });
  let marks = new Map(); // line -> messages

  const paint = () => {
    const lines = ta.value.split('\n');
    fill(gutter, lines.map((_, i) => {
      const m = marks.get(i + 1);
      return h(m ? 'div.ln.err' : 'div.ln', { 'data-line': i + 1, title: m ? m.join('\n') : null }, m ? `⚠ ${i + 1}` : String(i + 1));
    }));
    // the message sits after the line's (transparent) text, beside what the user typed
    fill(back, lines.map((l, i) => (marks.has(i + 1)
      ? h('div.bl.err', {}, l, h('span.inline-msg', {}, `   ◀ ${marks.get(i + 1).join('; ')}`))
      : h('div.bl', {}, l || ' '))));
    sync();
  };
  const sync = () => { back.scrollTop = gutter.scrollTop = ta.scrollTop; back.scrollLeft = ta.scrollLeft; };
  ta.addEventListener('input', paint);
  ta.addEventListener('scroll', sync);

  return {
    element: h('div.editor', {}, gutter, h('div.area', {}, back, ta)),
    value: () => ta.value,
    /** Places each diagnostic (sets d.line) and marks its line. */
    mark(diags) {
      marks = new Map();
      for (const d of diags) {
        d.line = diagnosticLine(ta.value, d.location, d.message);
        marks.set(d.line, [...(marks.get(d.line) || []), `${d.code}: ${d.message}`]);
      }
      paint();
    },
    /** Moves the caret to a line and selects it. */
    focusLine(n) {
      const lines = ta.value.split('\n');
      const start = lines.slice(0, n - 1).reduce((a, l) => a + l.length + 1, 0);
      ta.focus();
      ta.setSelectionRange(start, start + (lines[n - 1] || '').length);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      ta.scrollTop = Math.max(0, (n - 3) * lh);
      sync();
    },
    attach() { paint(); },
  };
}
