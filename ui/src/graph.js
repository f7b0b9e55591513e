// graph.js: a definition's graph, computed from its JSON in the browser.
// Each States block (the machine, a Parallel branch, a Map processor) is
// laid out by dagre on its own; a Parallel or Map node is then sized to hold
// its laid-out children, so groups nest without dagre's compound mode
// (which cannot route edges into a cluster).

import dagre from '@dagrejs/dagre';

const SVGNS = 'http://www.w3.org/2000/svg';
const NODE_H = 36;
const PAD = 14;      // inside a group, around its children
const HEAD = 24;     // a group's title line

const textWidth = (s) => Math.max(90, Math.round(s.length * 7.2) + 28);

function edgeLabel(rule, i) {
  if (!rule) return '';
  if (rule.Condition) return String(rule.Condition).slice(0, 28);
  const op = Object.keys(rule).find((k) => !['Variable', 'Next', 'Comment', 'Assign', 'Output'].includes(k));
  return op ? `${(rule.Variable || '').replace(/^\$\./, '')} ${op}`.trim().slice(0, 28) : `rule ${i + 1}`;
}

/** Lays out one States block; node ids are `prefix/name`. */
function layoutScope(block, prefix, top) {
  const states = (block && block.States) || {};
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 38, edgesep: 12, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = [];
  const add = (n) => { nodes.push(n); g.setNode(n.id, { width: n.w, height: n.h }); };
  const idOf = (name) => `${prefix}/${name}`;

  if (top) add({ id: `${prefix}/#start`, name: 'Start', kind: 'terminal', w: 70, h: 28 });
  for (const [name, st] of Object.entries(states)) {
    const n = { id: idOf(name), name, kind: st.Type || '?', w: textWidth(name), h: NODE_H, groups: [] };
    if (st.Type === 'Parallel') {
      n.groups = (st.Branches || []).map((b, i) => ({ title: `Branch ${i + 1}`, ...layoutScope(b, `${n.id}/${i}`, false) }));
    } else if (st.Type === 'Map') {
      const proc = st.ItemProcessor || st.Iterator;
      if (proc) n.groups = [{ title: 'Item processor', ...layoutScope(proc, `${n.id}/p`, false) }];
    }
    if (n.groups.length) {
      n.w = Math.max(n.w, n.groups.reduce((a, c) => a + c.width, 0) + PAD * (n.groups.length + 1));
      n.h = HEAD + PAD + Math.max(...n.groups.map((c) => c.height + HEAD)) + PAD;
    }
    add(n);
    if (st.Type === 'Task' && st.Compensation) {
      add({ id: `${n.id}#undo`, name: `undo ${name}`, state: name, kind: 'Compensation', w: textWidth(`undo ${name}`), h: 30 });
    }
  }
  if (top) add({ id: `${prefix}/#end`, name: 'End', kind: 'terminal', w: 70, h: 28 });

  const edges = [];
  const link = (from, to, kind, label) => {
    if (!g.hasNode(to)) return;
    const e = { from, to, kind, label, key: `e${edges.length}` };
    edges.push(e);
    g.setEdge(from, to, label ? { label, width: label.length * 6.2 + 8, height: 14, labelpos: 'c' } : {}, e.key);
  };
  if (top) link(`${prefix}/#start`, idOf(block.StartAt), 'next');
  for (const [name, st] of Object.entries(states)) {
    const from = idOf(name);
    if (st.Next) link(from, idOf(st.Next), 'next');
    (st.Choices || []).forEach((c, i) => link(from, idOf(c.Next), 'choice', edgeLabel(c, i)));
    if (st.Default) link(from, idOf(st.Default), 'default', 'Default');
    (st.Catch || []).forEach((c) => link(from, idOf(c.Next), 'catch',
      `${c.Compensate ? 'compensate + ' : ''}${(c.ErrorEquals || []).join(', ')}`.slice(0, 34)));
    if (st.Type === 'Task' && st.Compensation) link(from, `${from}#undo`, 'compensation', 'on failure');
    if (top && (st.End || st.Type === 'Succeed' || st.Type === 'Fail')) link(from, `${prefix}/#end`, 'next');
  }
  dagre.layout(g);
  for (const n of nodes) { const p = g.node(n.id); n.x = p.x - n.w / 2; n.y = p.y - n.h / 2; }
  for (const e of edges) {
    const d = g.edge(e.from, e.to, e.key);
    e.points = d.points;
    if (e.label) { e.lx = d.x; e.ly = d.y; }
  }
  const gr = g.graph();
  return { width: gr.width, height: gr.height, nodes, edges };
}

/** Computes and lays out the graph of a definition (an object). */
export function layoutDefinition(def) {
  return layoutScope(def, '', true);
}

function el(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

function drawScope(scope, parent, statusOf) {
  for (const e of scope.edges) {
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    el('path', { d, class: `edge edge-${e.kind}`, 'marker-end': 'url(#arrow)' }, parent);
    if (e.label) {
      const t = el('text', { x: e.lx, y: e.ly + 4, class: `edge-label edge-label-${e.kind}`, 'text-anchor': 'middle' }, parent);
      t.textContent = e.label;
    }
  }
  for (const n of scope.nodes) {
    const name = n.kind === 'Compensation' ? n.state : n.name;
    const status = n.kind === 'terminal' ? '' : statusOf(name, n.kind === 'Compensation');
    const g = el('g', {
      class: `node kind-${n.kind}${n.groups && n.groups.length ? ' group' : ''}${status ? ` st-${status}` : ''}`,
      'data-state': n.kind === 'terminal' || n.kind === 'Compensation' ? null : n.name,
      'data-undo': n.kind === 'Compensation' ? n.state : null,
      'data-status': status || null,
      transform: `translate(${n.x.toFixed(1)},${n.y.toFixed(1)})`,
    }, parent);
    el('title', {}, g).textContent = `${n.name} (${n.kind})${status ? `: ${status}` : ''}`;
    el('rect', { width: n.w, height: n.h, rx: n.kind === 'terminal' ? 14 : 6 }, g);
    const label = el('text', { x: n.w / 2, y: n.groups && n.groups.length ? 17 : n.h / 2 + 4, 'text-anchor': 'middle' }, g);
    label.textContent = n.name;
    let x = PAD;
    for (const c of n.groups || []) {
      const cg = el('g', { class: 'subgroup', transform: `translate(${x},${HEAD + PAD})` }, g);
      el('rect', { class: 'subgroup-box', width: c.width, height: c.height + HEAD, rx: 6 }, cg);
      el('text', { class: 'subgroup-title', x: 8, y: 16 }, cg).textContent = c.title;
      drawScope(c, el('g', { transform: `translate(0,${HEAD})` }, cg), statusOf);
      x += c.width + PAD;
    }
  }
}

/**
 * Renders a laid-out graph as an SVG element; statusOf(stateName, isUndo)
 * gives the class suffix for a node's colour ('' for none).
 */
export function renderGraph(layout, statusOf = () => '', label = 'State machine graph') {
  const svg = el('svg', {
    width: Math.ceil(layout.width), height: Math.ceil(layout.height),
    viewBox: `0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`,
    role: 'img', 'aria-label': label, class: 'graph',
  });
  const defs = el('defs', {}, svg);
  const m = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }, m);
  drawScope(layout, el('g', {}, svg), statusOf);
  return svg;
}
