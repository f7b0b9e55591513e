// dom.js: a tiny element builder, so views read as the HTML they make.

/** h('tag.class#id', {attr: v, onclick: fn}, ...children) */
export function h(spec, attrs, ...kids) {
  const [, tag, rest] = /^([a-z0-9]+)(.*)$/.exec(spec);
  const e = document.createElement(tag);
  for (const m of rest.matchAll(/([.#])([\w-]+)/g)) {
    if (m[1] === '.') e.classList.add(m[2]); else e.id = m[2];
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'value') e.value = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, kids);
  return e;
}

function append(e, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k == null || k === false) continue;
    e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
  }
}

/** Replaces an element's children. */
export function fill(e, ...kids) {
  e.replaceChildren();
  append(e, kids);
  return e;
}

export const pretty = (v) => JSON.stringify(v, null, 2);

/** A table row that opens `go` on click, Enter or Space (keyboard users tab to it). */
export function rowLink(go, label, ...cells) {
  const key = (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } };
  return h('tr.rowlink', { tabindex: 0, 'aria-label': label, onclick: go, onkeydown: key }, cells);
}

export function fmtMs(ms) {
  if (ms == null || Number.isNaN(ms)) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}
