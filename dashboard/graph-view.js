// The job graph as SVG: vertices in columns by their distance from the sources, coloured by backpressure as Flink's
// web UI colours them (the busiest subtask's share of time waiting for credit downstream).
import { count, perSecond, share } from './format.js';

/** @typedef {import('./types.d.ts').GraphObservation} GraphObservation */
/** @typedef {import('./types.d.ts').VertexObservation} VertexObservation */

const SVG = 'http://www.w3.org/2000/svg';
const BOX_WIDTH = 250;
const BOX_HEIGHT = 86;
const COLUMN_GAP = 150;
const ROW_GAP = 24;
const MARGIN = 12;
const NAME_CHARACTERS = 31;

/**
 * Flink's levels: OK under 10% of the time backpressured, LOW to 50%, HIGH beyond.
 * @param {number} backPressuredMsPerSecond
 * @returns {'ok' | 'low' | 'high'}
 */
export function backpressureLevel(backPressuredMsPerSecond) {
  if (backPressuredMsPerSecond < 100) return 'ok';
  return backPressuredMsPerSecond <= 500 ? 'low' : 'high';
}

/**
 * Each vertex's column: 0 for a vertex no edge enters, else one more than the furthest vertex that feeds it.
 * @param {GraphObservation} graph
 * @returns {Map<number, number>}
 */
function columnsOf(graph) {
  const column = new Map(graph.vertices.map((vertex) => [vertex.id, 0]));
  // A job graph is acyclic: as many passes as vertices settle every column.
  for (let pass = 0; pass < graph.vertices.length; pass++) {
    for (const edge of graph.edges) column.set(edge.to, Math.max(column.get(edge.to) ?? 0, (column.get(edge.from) ?? 0) + 1));
  }
  return column;
}

/**
 * @param {string} name
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 * @returns {SVGElement}
 */
function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** @param {string} name */
function shortened(name) {
  return name.length > NAME_CHARACTERS ? `${name.slice(0, NAME_CHARACTERS - 1)}…` : name;
}

/**
 * @param {VertexObservation} vertex
 * @param {number} x
 * @param {number} y
 */
function vertexBox(vertex, x, y) {
  const box = svg('g', { class: `vertex ${backpressureLevel(vertex.backPressuredTimeMsPerSecond)}`, 'data-vertex': vertex.id, transform: `translate(${x},${y})` });
  box.append(svg('title', {}, `${vertex.name}\nrecords in ${count(vertex.recordsIn)}, out ${count(vertex.recordsOut)}`));
  box.append(svg('rect', { width: BOX_WIDTH, height: BOX_HEIGHT }));
  box.append(svg('text', { class: 'name', x: 10, y: 20 }, shortened(vertex.name)));
  box.append(svg('text', { class: 'detail', x: 10, y: 38 }, `parallelism ${vertex.parallelism}`));
  box.append(svg('text', { class: 'detail', x: 10, y: 56 }, `in ${perSecond(vertex.recordsInPerSecond)} · out ${perSecond(vertex.recordsOutPerSecond)}`));
  box.append(svg('text', { class: 'detail', x: 10, y: 74 }, `busy ${share(vertex.busyTimeMsPerSecond)} · backpressured ${share(vertex.backPressuredTimeMsPerSecond)}`));
  return box;
}

/**
 * Draws `graph` into the `<svg>` element, replacing what it held.
 * @param {SVGSVGElement} target
 * @param {GraphObservation} graph
 */
export function drawGraph(target, graph) {
  const columns = columnsOf(graph);
  /** @type {Map<number, { x: number, y: number }>} */
  const positions = new Map();
  const rowsUsed = new Map();
  for (const vertex of graph.vertices) {
    const column = columns.get(vertex.id) ?? 0;
    const row = rowsUsed.get(column) ?? 0;
    rowsUsed.set(column, row + 1);
    positions.set(vertex.id, { x: MARGIN + column * (BOX_WIDTH + COLUMN_GAP), y: MARGIN + row * (BOX_HEIGHT + ROW_GAP) });
  }
  const width = MARGIN * 2 + (Math.max(0, ...columns.values()) + 1) * (BOX_WIDTH + COLUMN_GAP) - COLUMN_GAP;
  const height = MARGIN * 2 + Math.max(1, ...rowsUsed.values()) * (BOX_HEIGHT + ROW_GAP) - ROW_GAP;
  target.setAttribute('viewBox', `0 0 ${width} ${height}`);
  target.style.maxWidth = `${width}px`;
  const arrow = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  arrow.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#6c7687' }));
  const defs = svg('defs', {});
  defs.append(arrow);
  const parts = [defs];
  for (const edge of graph.edges) {
    const from = positions.get(edge.from);
    const to = positions.get(edge.to);
    if (from === undefined || to === undefined) continue;
    const [x1, y1, x2, y2] = [from.x + BOX_WIDTH, from.y + BOX_HEIGHT / 2, to.x, to.y + BOX_HEIGHT / 2];
    const middle = (x1 + x2) / 2;
    parts.push(svg('path', { class: 'edge', d: `M ${x1} ${y1} C ${middle} ${y1}, ${middle} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)' }));
    // Beside the arrow's head, where edges leaving one vertex for several no longer cross; a side output's edge is
    // labelled with the output's name (its partitioning in the tooltip), which is what tells it from the main one.
    const label = svg('text', { class: 'edge-label', x: x2 - 10, y: y2 - 6, 'text-anchor': 'end' }, edge.sideOutput ?? edge.partitioning);
    if (edge.sideOutput !== undefined) label.append(svg('title', {}, `side output ${edge.sideOutput}, ${edge.partitioning}`));
    parts.push(label);
  }
  for (const vertex of graph.vertices) {
    const at = positions.get(vertex.id);
    if (at !== undefined) parts.push(vertexBox(vertex, at.x, at.y));
  }
  target.replaceChildren(...parts);
}
