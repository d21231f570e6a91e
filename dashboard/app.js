// The dashboard: reads the job's routes every second (`?refresh=<ms>` for another period), shows them, keeps a few
// minutes of readings for the charts, and sends the savepoint and stop requests.
import { getJson, postJson } from './api.js';
import { bytes, count, duration, END_OF_EVENT_TIME, perSecond, seriesLabels, share, watermark, watermarkTick } from './format.js';
import { drawGraph } from './graph-view.js';
import { History } from './history.js';
import { TimeChart } from './charts.js';
import { byId, enableActions, showCheckpoints, showDeadLetters, showHealth, showJob, showKafkaLag, showVertices, showWatermarks } from './panels.js';

/** @typedef {import('./types.d.ts').JobView} JobView */
/** @typedef {import('./types.d.ts').GraphObservation} GraphObservation */
/** @typedef {import('./types.d.ts').HealthReport} HealthReport */
/** @typedef {import('./types.d.ts').CheckpointsAnswer} CheckpointsAnswer */
/** @typedef {import('./types.d.ts').WatermarkObservation} WatermarkObservation */
/** @typedef {import('./types.d.ts').KafkaLagAnswer} KafkaLagAnswer */
/** @typedef {import('./types.d.ts').DeadLettersAnswer} DeadLettersAnswer */

const MIN_REFRESH_MS = 100;
/** While the server does not answer, the page asks again less and less often, up to this. */
const MAX_RETRY_MS = 10_000;
const refreshMs = Math.max(MIN_REFRESH_MS, Number(new URLSearchParams(location.search).get('refresh') ?? 1000) || 1000);

const throughput = new History();
const backpressure = new History();
const watermarks = new History();
const lag = new History();
const charts = {
  throughput: new TimeChart(byId('chart-throughput'), 'records/s', (value) => perSecond(value)),
  backpressure: new TimeChart(byId('chart-backpressure'), 'backpressured', (value) => share(value)),
  checkpoints: new TimeChart(byId('chart-checkpoints'), 'duration', (value) => duration(value)),
  watermarks: new TimeChart(byId('chart-watermarks'), 'event time', (value) => watermark(value), (value) => watermarkTick(value)),
  lag: new TimeChart(byId('chart-lag'), 'records behind', (value) => count(value)),
};
let refreshes = 0;
let retryMs = refreshMs;

/** Every route the page shows, read together. */
async function readJob() {
  const [job, graph, health, checkpoints, marks, kafkaLag, deadLetters] = await Promise.all([
    getJson('/job'),
    getJson('/job/graph'),
    getJson('/job/health'),
    getJson('/job/checkpoints'),
    getJson('/job/watermarks'),
    getJson('/job/kafka-lag'),
    getJson('/job/dead-letters'),
  ]);
  return {
    job: /** @type {JobView} */ (job),
    graph: /** @type {GraphObservation} */ (graph),
    health: /** @type {HealthReport} */ (health),
    checkpoints: /** @type {CheckpointsAnswer} */ (checkpoints),
    watermarks: /** @type {WatermarkObservation} */ (marks),
    kafkaLag: /** @type {KafkaLagAnswer} */ (kafkaLag),
    deadLetters: /** @type {DeadLettersAnswer} */ (deadLetters),
  };
}

/** @param {Awaited<ReturnType<typeof readJob>>} read */
function remember(read) {
  const now = Date.now();
  const vertexLabels = seriesLabels(read.graph.vertices);
  const label = (/** @type {number} */ id) => vertexLabels.get(id) ?? String(id);
  // What a source vertex emits, what every other vertex takes in (a sink emits nothing).
  const fed = new Set(read.graph.edges.map((edge) => edge.to));
  throughput.add(now, new Map(read.graph.vertices.map((vertex) => [label(vertex.id), fed.has(vertex.id) ? vertex.recordsInPerSecond : vertex.recordsOutPerSecond])));
  backpressure.add(now, new Map(read.graph.vertices.map((vertex) => [label(vertex.id), vertex.backPressuredTimeMsPerSecond])));
  const operatorLabels = seriesLabels(read.watermarks.operators.map((operator) => ({ id: operator.operatorId, name: operator.name })));
  // An operator's watermark is its slowest subtask's; an ended input's is drawn as a gap, not as the end of time.
  watermarks.add(
    now,
    new Map(
      read.watermarks.operators.map((operator) => {
        const values = operator.subtasks.map((subtask) => subtask.outputWatermark);
        const slowest = values.includes(null) ? null : Math.min(.../** @type {number[]} */ (values));
        return [operatorLabels.get(operator.operatorId) ?? operator.name, slowest === null || slowest >= END_OF_EVENT_TIME ? null : slowest];
      }),
    ),
  );
  const sourceLabels = seriesLabels(read.kafkaLag.sources.map((source) => ({ id: source.operatorId, name: source.operator })));
  lag.add(now, new Map(read.kafkaLag.sources.map((source) => [sourceLabels.get(source.operatorId) ?? source.operator, source.lag])));
}

/** @param {Awaited<ReturnType<typeof readJob>>} read */
function show(read) {
  showJob(read.job);
  drawGraph(/** @type {SVGSVGElement} */ (/** @type {unknown} */ (byId('graph'))), read.graph);
  showVertices(read.graph);
  showHealth(read.health);
  showCheckpoints(read.checkpoints);
  showWatermarks(read.watermarks);
  showKafkaLag(read.kafkaLag);
  showDeadLetters(read.deadLetters);
  charts.throughput.draw(throughput.data.times, throughput.data.series);
  charts.backpressure.draw(backpressure.data.times, backpressure.data.series);
  charts.watermarks.draw(watermarks.data.times, watermarks.data.series);
  charts.lag.draw(lag.data.times, lag.data.series);
  // The checkpoint chart is the job's own history (kept by the job, so it goes back before the page was opened).
  const completed = read.checkpoints.history.filter((entry) => entry.status === 'completed');
  charts.checkpoints.draw(
    completed.map((entry) => entry.triggeredAt / 1000),
    new Map([
      ['duration', completed.map((entry) => entry.durationMs ?? null)],
      ['alignment', completed.map((entry) => entry.alignmentMs ?? null)],
    ]),
  );
  byId('chart-checkpoints').title = completed.length === 0 ? '' : `latest size ${bytes(completed[completed.length - 1]?.sizeBytes)}`;
}

async function refresh() {
  try {
    const read = await readJob();
    remember(read);
    show(read);
    byId('connection').textContent = '';
    document.body.classList.remove('disconnected');
    retryMs = refreshMs;
  } catch (error) {
    // The job's process ended (its server goes with it) or cannot be reached: what the page shows is its last reading.
    document.body.classList.add('disconnected');
    const state = byId('job-state');
    state.textContent = 'not answering';
    state.className = 'state failed';
    enableActions(false);
    retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    const reason = error instanceof Error ? error.message : String(error);
    byId('connection').textContent = `The job's server does not answer (${reason}): the job has ended, or its process is gone. Below is the last state read; the page asks again every ${Math.round(retryMs / 1000)} s.`;
  }
  // Readers of the page (its test) wait on this to know a refresh drew what the routes said.
  document.body.dataset['refreshes'] = String(++refreshes);
  setTimeout(() => void refresh(), retryMs);
}

/**
 * Sends `path` when the button is clicked and says what came of it; the button waits for the answer (a savepoint takes
 * as long as a checkpoint).
 * @param {string} id
 * @param {string} path
 * @param {string} done what the result line says before the savepoint's id and path
 * @param {string} [question] asked first, for an action that cannot be taken back
 */
function action(id, path, done, question) {
  const button = /** @type {HTMLButtonElement} */ (byId(id));
  button.addEventListener('click', async () => {
    if (question !== undefined && !confirm(question)) return;
    const result = byId('action-result');
    button.disabled = true;
    button.dataset['busy'] = 'true';
    result.textContent = `${button.textContent ?? path}: waiting for the savepoint…`;
    try {
      const answer = /** @type {{ savepoint: string, checkpointId: number }} */ (await postJson(path));
      result.textContent = `${done} ${answer.checkpointId}: ${answer.savepoint}`;
    } catch (error) {
      result.textContent = `${button.textContent ?? path} failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      button.dataset['busy'] = 'false';
      button.disabled = false;
    }
  });
}

action('savepoint', '/job/savepoints', 'Savepoint');
action('stop', '/job/stop', 'Stopped with savepoint', 'Stop the job? It takes a savepoint first; restore from it with --from-savepoint.');
void refresh();
