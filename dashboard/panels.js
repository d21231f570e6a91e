// The page's text: the header's facts and the tables. Every value a user supplied (operator names, topics, reasons)
// goes in as text, never as HTML.
import { bytes, clock, count, duration, perSecond, share, watermark } from './format.js';

/** @typedef {import('./types.d.ts').JobView} JobView */
/** @typedef {import('./types.d.ts').GraphObservation} GraphObservation */
/** @typedef {import('./types.d.ts').HealthReport} HealthReport */
/** @typedef {import('./types.d.ts').CheckpointsAnswer} CheckpointsAnswer */
/** @typedef {import('./types.d.ts').WatermarkObservation} WatermarkObservation */
/** @typedef {import('./types.d.ts').KafkaLagAnswer} KafkaLagAnswer */
/** @typedef {import('./types.d.ts').DeadLettersAnswer} DeadLettersAnswer */

/** A table cell: its text, the field it shows (`data-field`, for readers of the page), and whether it is a number. */
/** @typedef {{ text: string, field: string, number?: boolean }} Cell */

/** Checkpoints the table lists, newest first. */
const CHECKPOINT_ROWS = 12;

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}

/**
 * @param {string} id
 * @param {string} text
 */
function setText(id, text) {
  byId(id).textContent = text;
}

/**
 * Fills `<table id=…>` with a header row and a row per entry; each row's `data-key` names its entry.
 * @param {string} id
 * @param {readonly string[]} headers
 * @param {readonly { key: string, cells: readonly Cell[] }[]} rows
 * @param {string} [empty] what the table says when it has no rows
 */
function fillTable(id, headers, rows, empty = 'none') {
  const table = byId(id);
  // Unchanged tables are left alone: a reader selecting a checkpoint's path keeps the selection across refreshes.
  const content = JSON.stringify([headers, rows, empty]);
  if (table.dataset['content'] === content) return;
  table.dataset['content'] = content;
  const head = document.createElement('tr');
  for (const [index, header] of headers.entries()) {
    const th = document.createElement('th');
    th.textContent = header;
    if (rows[0]?.cells[index]?.number === true) th.className = 'number';
    head.append(th);
  }
  const body = rows.map(({ key, cells }) => {
    const tr = document.createElement('tr');
    tr.dataset['key'] = key;
    for (const cell of cells) {
      const td = document.createElement('td');
      td.textContent = cell.text;
      td.dataset['field'] = cell.field;
      if (cell.number === true) td.className = 'number';
      tr.append(td);
    }
    return tr;
  });
  if (body.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = headers.length;
    td.textContent = empty;
    tr.append(td);
    body.push(tr);
  }
  table.replaceChildren(head, ...body);
}

/**
 * The savepoint and stop buttons take effect only on a running job (not while it starts, restarts or stops); a button
 * waiting for its answer stays as it is.
 * @param {boolean} enabled
 */
export function enableActions(enabled) {
  for (const id of ['savepoint', 'stop']) {
    const button = /** @type {HTMLButtonElement} */ (byId(id));
    if (button.dataset['busy'] !== 'true') button.disabled = !enabled;
  }
}

/** @param {JobView} job */
export function showJob(job) {
  document.title = `${job.name ?? 'weir job'}: ${job.state}`;
  setText('job-name', job.name ?? 'weir job');
  const state = byId('job-state');
  state.textContent = job.state;
  state.className = `state ${job.state}`;
  setText('job-reason', job.reason ?? '');
  setText('job-uptime', duration(job.uptimeMs));
  setText('job-attempt', count(job.attempt));
  setText('job-restarts', count(job.restarts));
  setText('job-parallelism', job.parallelism === undefined ? '-' : String(job.parallelism));
  const latest = job.checkpoints.latestCompleted;
  setText('job-latest-checkpoint', latest === null ? 'none yet' : `${latest.id} at ${clock(Date.parse(latest.completedAt))}`);
  const restored = job.checkpoints.restored;
  setText('job-restored', restored === null ? 'nothing (a fresh start)' : `${restored.id}: ${restored.path}`);
  enableActions(job.state === 'running');
}

/** @param {GraphObservation} graph */
export function showVertices(graph) {
  fillTable(
    'vertices',
    ['Vertex', 'Parallelism', 'Records in', 'Records out', 'In/s', 'Out/s', 'Busy', 'Backpressured', 'Idle', 'Input watermark', 'Output watermark'],
    graph.vertices.map((vertex) => ({
      key: String(vertex.id),
      cells: [
        { text: vertex.name, field: 'name' },
        { text: String(vertex.parallelism), field: 'parallelism', number: true },
        { text: count(vertex.recordsIn), field: 'records-in', number: true },
        { text: count(vertex.recordsOut), field: 'records-out', number: true },
        { text: perSecond(vertex.recordsInPerSecond), field: 'records-in-per-second', number: true },
        { text: perSecond(vertex.recordsOutPerSecond), field: 'records-out-per-second', number: true },
        { text: share(vertex.busyTimeMsPerSecond), field: 'busy', number: true },
        { text: share(vertex.backPressuredTimeMsPerSecond), field: 'backpressured', number: true },
        { text: share(vertex.idleTimeMsPerSecond), field: 'idle', number: true },
        { text: watermark(vertex.inputWatermark), field: 'input-watermark', number: true },
        { text: watermark(vertex.outputWatermark), field: 'output-watermark', number: true },
      ],
    })),
  );
}

/** @param {HealthReport} health */
export function showHealth(health) {
  const score = byId('health-score');
  score.textContent = String(health.score);
  score.className = `score ${health.score >= 80 ? 'good' : health.score >= 50 ? 'fair' : 'poor'}`;
  fillTable(
    'health-components',
    ['Component', 'Score', 'Weight', 'Why'],
    health.components.map((component) => ({
      key: component.name,
      cells: [
        { text: component.name.replaceAll('_', ' '), field: 'name' },
        { text: String(component.score), field: 'score', number: true },
        { text: component.weight === 0 ? 'n/a' : `${Math.round(component.weight * 100)}%`, field: 'weight', number: true },
        { text: component.reason, field: 'reason' },
      ],
    })),
  );
}

/** @param {CheckpointsAnswer} checkpoints */
export function showCheckpoints(checkpoints) {
  const { completed, failed, inProgress } = checkpoints.counts;
  setText('checkpoint-counts', `${count(completed)} completed, ${count(failed)} failed, ${count(inProgress)} in progress`);
  const newestFirst = [...checkpoints.history].reverse().slice(0, CHECKPOINT_ROWS);
  fillTable(
    'checkpoint-history',
    ['Id', 'Kind', 'Status', 'Triggered', 'Duration', 'Size', 'Alignment', 'Where or why'],
    newestFirst.map((entry) => ({
      key: String(entry.checkpointId),
      cells: [
        { text: String(entry.checkpointId), field: 'id', number: true },
        { text: entry.kind, field: 'kind' },
        { text: entry.status.replaceAll('_', ' '), field: 'status' },
        { text: clock(entry.triggeredAt), field: 'triggered' },
        { text: duration(entry.durationMs), field: 'duration', number: true },
        { text: bytes(entry.sizeBytes), field: 'size', number: true },
        { text: duration(entry.alignmentMs), field: 'alignment', number: true },
        { text: entry.failureReason ?? (entry.path === undefined ? '' : `${entry.path}${entry.retained ? '' : ' (removed)'}`), field: 'where' },
      ],
    })),
    'no checkpoint yet',
  );
}

/** @param {WatermarkObservation} watermarks */
export function showWatermarks(watermarks) {
  fillTable(
    'watermarks',
    ['Operator', 'Subtask', 'Input watermark', 'Output watermark'],
    watermarks.operators.flatMap((operator) =>
      operator.subtasks.map((subtask) => ({
        key: `${operator.operatorId}/${subtask.subtask}`,
        cells: [
          { text: operator.name, field: 'operator' },
          { text: String(subtask.subtask), field: 'subtask', number: true },
          { text: watermark(subtask.inputWatermark), field: 'input-watermark', number: true },
          { text: watermark(subtask.outputWatermark), field: 'output-watermark', number: true },
        ],
      })),
    ),
  );
}

/** @param {KafkaLagAnswer} lag */
export function showKafkaLag(lag) {
  setText('kafka-lag-total', lag.sources.length === 0 ? 'The job reads no Kafka topic.' : `${count(lag.lag)} records behind in all`);
  fillTable(
    'kafka-lag',
    ['Source', 'Cluster', 'Topic', 'Partition', 'Committed', 'End', 'Lag', 'Commit took'],
    lag.sources.flatMap((source) =>
      source.partitions.map((partition) => ({
        key: `${source.operatorId}/${partition.cluster ?? ''}/${partition.topic}/${partition.partition}`,
        cells: [
          { text: source.operator, field: 'source' },
          { text: partition.cluster ?? '-', field: 'cluster' },
          { text: partition.topic, field: 'topic' },
          { text: String(partition.partition), field: 'partition', number: true },
          { text: count(partition.committedOffset), field: 'committed', number: true },
          { text: count(partition.endOffset), field: 'end', number: true },
          { text: count(partition.lag), field: 'lag', number: true },
          { text: duration(partition.commitLatencyMs), field: 'commit-latency', number: true },
        ],
      })),
    ),
  );
}

/** @param {DeadLettersAnswer} deadLetters */
export function showDeadLetters(deadLetters) {
  setText('dead-letters-total', `${count(deadLetters.total)} records sent to dead letters`);
  fillTable(
    'dead-letters',
    ['Operator', 'Reason', 'Records'],
    deadLetters.byReason.map((entry) => ({
      key: `${entry.operatorId}/${entry.reason}`,
      cells: [
        { text: entry.operator, field: 'operator' },
        { text: entry.reason, field: 'reason' },
        { text: count(entry.count), field: 'count', number: true },
      ],
    })),
  );
}
