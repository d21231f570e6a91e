import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runJob, type JobResult } from '../../src/runtime/coordinator.ts';
import { LocalCheckpointStorage } from '../../src/checkpoint/local-storage.ts';
import type { GraphObservation, VertexObservation, WatermarkObservation } from '../../src/runtime/observation-types.ts';
import type { CheckpointsAnswer } from '../../src/runtime/routes/observation-routes.ts';
import type { ObservedJobParams } from '../fixtures/observed-job.ts';
import { workDirs } from '../fixtures/work-dirs.ts';
import { routeJson } from '../fixtures/route-json.ts';
import { metricNamesServed, readmeMetricNames } from '../fixtures/metric-names.ts';

const JOB = fileURLToPath(new URL('../fixtures/observed-job.ts', import.meta.url));
const DASHBOARD = new URL('../../ops/grafana/weir-dashboard.json', import.meta.url);
const EVENTS = 4_000;
/** Readings the job's timestamp assigner rejects (every 500th from the 250th): dead letters. */
const BAD = 8;
const GOOD = EVENTS - BAD;
/** The last reading's time minus 1 ms (monotonous timestamps). */
const LAST_WATERMARK = (EVENTS - 1) * 10 - 1;
const dirs = workDirs('weir-observed-');


/** What the routes answered while the job ran, and what its directories held then. */
interface Observed {
  graph: GraphObservation;
  watermarks: WatermarkObservation;
  /** The window operator's input watermark at each look, in order. */
  windowWatermarks: (number | null)[];
  /** The highest backpressure the source's vertex showed, and the slow sink's. */
  sourceBackPressure: number;
  sinkBackPressure: number;
  sourceRates: number[];
  publishedLines: number;
  checkpoints: CheckpointsAnswer;
  onDisk: Map<number, { triggeredAt: number; bytes: number; diskBytes: number }>;
  deadLetters: unknown;
  metrics: string;
  result: JobResult;
}

let observed: Observed;

const vertex = (graph: GraphObservation, operator: string): VertexObservation => graph.vertices.find((v) => v.operators.some((o) => o.name === operator))!;
const operatorOf = (graph: GraphObservation, operator: string) => vertex(graph, operator).operators.find((o) => o.name === operator)!;

/** Lines of the sink's published part files (hidden in-progress and pending files aside). */
async function publishedLines(directory: string): Promise<number> {
  let lines = 0;
  for (const name of await readdir(directory).catch(() => [])) {
    if (name.startsWith('part-')) lines += (await readFile(join(directory, name), 'utf8')).split('\n').filter((line) => line !== '').length;
  }
  return lines;
}

/** Every completed checkpoint in the directory: its metadata's trigger time and file bytes, and those files' bytes on disk. */
async function checkpointsOnDisk(root: string, jobId: string): Promise<Map<number, { triggeredAt: number; bytes: number; diskBytes: number }>> {
  // Retention may delete a checkpoint while it is read: read again.
  for (let tries = 1; ; tries++) {
    try {
      return await readCheckpoints(root, jobId);
    } catch (error) {
      if (tries === 10) throw error;
    }
  }
}

async function readCheckpoints(root: string, jobId: string): Promise<Map<number, { triggeredAt: number; bytes: number; diskBytes: number }>> {
  const storage = new LocalCheckpointStorage(root, jobId);
  const found = new Map<number, { triggeredAt: number; bytes: number; diskBytes: number }>();
  for (const id of await storage.completed()) {
    const metadata = await storage.readMetadata(id);
    let diskBytes = 0;
    for (const file of metadata.files) diskBytes += (await stat(join(root, jobId, file.path))).size;
    found.set(id, { triggeredAt: metadata.triggeredAt, bytes: metadata.files.reduce((sum, file) => sum + file.bytes, 0), diskBytes });
  }
  return found;
}


beforeAll(async () => {
  const dir = dirs();
  const params: ObservedJobParams = { events: EVENTS, releaseFile: join(dir, 'release'), outputDirectory: join(dir, 'out'), slowSinkMs: 3 };
  const checkpointDir = join(dir, 'checkpoints');
  let base: string | undefined;
  const running = runJob({ jobModule: JOB, params, metricsPort: 0, checkpointDir, threads: 1, onStatus: (line) => (base ??= /^metrics at (http:\/\/[^/]+)\/metrics$/.exec(line)?.[1]) });
  let finished = false;
  void running.finally(() => (finished = true)).catch(() => {});
  const windowWatermarks: (number | null)[] = [];
  const sourceRates: number[] = [];
  let sourceBackPressure = 0;
  let sinkBackPressure = 0;
  let last: Partial<Observed> = {};
  try {
    // Until every record went through, the files hold what the sink got, and a few checkpoints completed.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (finished) throw new Error('the job ended before the release file was written');
      if (Date.now() > deadline) throw new Error(`the numbers never settled: ${JSON.stringify(last.graph?.vertices.map((v) => [v.name, v.recordsIn, v.recordsOut]))}, published ${last.publishedLines}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (base === undefined) continue;
      const graph = await routeJson<GraphObservation>(base, '/job/graph');
      if (graph.vertices.length === 0) continue;
      const watermarks = await routeJson<WatermarkObservation>(base, '/job/watermarks');
      const lines = await publishedLines(params.outputDirectory);
      const checkpoints = await routeJson<CheckpointsAnswer>(base, '/job/checkpoints');
      last = { graph, watermarks, publishedLines: lines, checkpoints };
      windowWatermarks.push(watermarks.operators.find((operator) => operator.name === 'count-per-window')!.subtasks[0]!.inputWatermark);
      sourceRates.push(vertex(graph, 'held-readings').recordsOutPerSecond);
      sourceBackPressure = Math.max(sourceBackPressure, vertex(graph, 'held-readings').backPressuredTimeMsPerSecond);
      sinkBackPressure = Math.max(sinkBackPressure, vertex(graph, 'slow-sink').backPressuredTimeMsPerSecond);
      const sinkIn = operatorOf(graph, 'window-counts').recordsIn;
      // Splits' watermarks come as the source's status (every 250 ms at most): the last one too.
      const splitsDone = watermarks.sources[0]?.subtasks[0]?.splits[0]?.watermark === LAST_WATERMARK;
      if (splitsDone && operatorOf(graph, 'held-readings').recordsOut === GOOD && operatorOf(graph, 'slow-sink').recordsIn === GOOD && sinkIn > 0 && sinkIn === lines && checkpoints.counts.completed >= 3) break;
    }
    // The history against the directory: looked at until no checkpoint completed in between.
    const root = checkpointDir;
    let onDisk = await checkpointsOnDisk(root, 'observed');
    let checkpoints = await routeJson<CheckpointsAnswer>(base!, '/job/checkpoints');
    for (let again = await checkpointsOnDisk(root, 'observed'); [...again.keys()].join() !== [...onDisk.keys()].join(); again = await checkpointsOnDisk(root, 'observed')) {
      onDisk = again;
      checkpoints = await routeJson<CheckpointsAnswer>(base!, '/job/checkpoints');
    }
    const deadLetters = await routeJson<unknown>(base!, '/job/dead-letters');
    const metrics = await fetch(`${base}/metrics`).then((response) => response.text());
    Object.assign(last, { checkpoints, onDisk, deadLetters, metrics });
  } finally {
    await writeFile(params.releaseFile, '');
  }
  const result = await running;
  observed = { ...(last as Observed), windowWatermarks, sourceRates, sourceBackPressure, sinkBackPressure, result };
}, 60_000);

describe("a running job's routes and metrics (weir run --http-port)", () => {
  it('GET /job/graph: records in and out equal the input at the source and what the sink wrote', () => {
    const { graph, publishedLines: lines } = observed;
    expect(graph.vertices.map((v) => [v.name, v.parallelism])).toEqual([
      ['held-readings -> dead-letters', 1],
      ['count-per-window -> window-counts', 1],
      ['slow-sink', 1],
    ]);
    expect(graph.edges).toEqual([
      { from: 0, to: 1, partitioning: 'hash' },
      { from: 0, to: 2, partitioning: 'rebalance' },
    ]);
    // Every reading but the dead letters leaves the source, on each of its two edges.
    expect(vertex(graph, 'held-readings')).toMatchObject({ recordsOut: GOOD });
    expect(vertex(graph, 'count-per-window')).toMatchObject({ recordsIn: GOOD });
    expect(vertex(graph, 'slow-sink')).toMatchObject({ recordsIn: GOOD });
    // The dead letters' sink is chained to the source (a side output): in its vertex, not out of it.
    expect(operatorOf(graph, 'dead-letters').recordsIn).toBe(BAD);
    expect(operatorOf(graph, 'window-counts').recordsIn).toBe(lines);
    // A window per key and 100 ms of event time, all but the last (the watermark stops short of it) fired.
    expect(lines).toBe(4 * (EVENTS / 10) - 4);
    expect(Math.max(...observed.sourceRates)).toBeGreaterThan(0);
  });

  it('shows backpressure on the vertex upstream of a slow sink, and none on the sink', () => {
    expect(observed.sourceBackPressure).toBeGreaterThan(100);
    expect(observed.sinkBackPressure).toBe(0);
    const sink = vertex(observed.graph, 'slow-sink').subtasks[0]!;
    expect(sink.busyMs).toBeGreaterThan(0);
  });

  it('GET /job/watermarks: watermarks advance to the last event', () => {
    const seen = observed.windowWatermarks.filter((watermark): watermark is number => watermark !== null);
    expect(new Set(seen).size).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(LAST_WATERMARK);
    const source = observed.watermarks.sources.find((entry) => entry.name === 'held-readings')!;
    expect(source.watermark).toBe(LAST_WATERMARK);
    expect(source.subtasks[0]!.splits).toEqual([{ split: '', watermark: LAST_WATERMARK, idle: false }]);
  });

  it('GET /job/checkpoints: the history matches the checkpoint directory', () => {
    const { checkpoints, onDisk } = observed;
    expect(checkpoints.counts.failed).toBe(0);
    expect(onDisk.size).toBeGreaterThan(0);
    const retained = checkpoints.history.filter((entry) => entry.retained);
    expect(retained.map((entry) => entry.checkpointId).sort((a, b) => a - b)).toEqual([...onDisk.keys()].sort((a, b) => a - b));
    for (const entry of retained) {
      const disk = onDisk.get(entry.checkpointId)!;
      expect(entry).toMatchObject({ kind: 'checkpoint', status: 'completed', triggeredAt: disk.triggeredAt, sizeBytes: disk.bytes });
      expect(disk.diskBytes).toBe(disk.bytes);
      expect(entry.durationMs).toBeGreaterThanOrEqual(0);
      expect(entry.alignmentMs).toBeGreaterThanOrEqual(0);
    }
    expect(checkpoints.latestCompleted?.checkpointId).toBe(Math.max(...onDisk.keys()));
    expect(checkpoints.counts.completed).toBe(checkpoints.history.filter((entry) => entry.status === 'completed').length);
  });

  it('GET /job/dead-letters: counts per source and reason', () => {
    expect(observed.deadLetters).toEqual({
      total: BAD,
      operators: [{ operatorId: 'readings', operator: 'held-readings', count: BAD }],
      byReason: [{ operatorId: 'readings', operator: 'held-readings', reason: 'BadRecordError', count: BAD }],
    });
  });

  it('serves the same numbers as weir_* metrics', () => {
    const { metrics } = observed;
    expect(metrics).toMatch(new RegExp(`^weir_operator_records_out_total\\{job="observed",operator="held-readings",operator_id="readings",subtask="0"\\} ${GOOD}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^weir_dead_letters_total\\{job="observed",operator="held-readings",operator_id="readings",reason="BadRecordError"\\} ${BAD}$`, 'm'));
    const backpressured = /^weir_operator_backpressured_time_seconds_total\{job="observed",operator="held-readings",operator_id="readings",subtask="0"\} (\S+)$/m.exec(metrics)?.[1];
    expect(Number(backpressured)).toBeGreaterThan(0.1);
    const completed = Number(/^weir_checkpoints_completed_total\{job="observed"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(completed).toBeGreaterThanOrEqual(observed.checkpoints.counts.completed);
    // The window keeps keyed state: its reads are counted; a sink without keyed state has no cache series.
    const cache = (family: string): number => Number(new RegExp(`^${family}\\{job="observed",operator="count-per-window",operator_id="count-per-window",subtask="0"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(cache('weir_state_cache_hits_total') + cache('weir_state_cache_misses_total')).toBeGreaterThan(0);
    expect(cache('weir_state_cache_hit_ratio')).toBeCloseTo(cache('weir_state_cache_hits_total') / (cache('weir_state_cache_hits_total') + cache('weir_state_cache_misses_total')), 6);
    expect(metrics).not.toMatch(/^weir_state_cache_hit_ratio\{[^}]*operator="slow-sink"/m);
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it('serves exactly the metrics the README lists (both ways)', async () => {
    const listed = await readmeMetricNames();
    const served = metricNamesServed(observed.metrics);
    const matches = (name: string, pattern: string): boolean => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);
    expect(served.filter((name) => !listed.some((pattern) => matches(name, pattern))), 'served, not in the README').toEqual([]);
    expect(listed.filter((pattern) => !served.some((name) => matches(name, pattern))), 'in the README, not served').toEqual([]);
  });

  it('the Grafana dashboard queries only metrics the job serves', async () => {
    const dashboard: unknown = JSON.parse(await readFile(DASHBOARD, 'utf8'));
    const queries: string[] = [];
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (typeof value === 'object' && value !== null) {
        for (const [key, inner] of Object.entries(value)) {
          if ((key === 'expr' || key === 'query') && typeof inner === 'string') queries.push(inner);
          else collect(inner);
        }
      }
    };
    collect(dashboard);
    const named = new Set(queries.flatMap((query) => [...query.matchAll(/\b((?:weir|process|nodejs)_[a-z0-9_]+)/g)].map((match) => match[1]!)));
    const served = metricNamesServed(observed.metrics);
    expect(named.size).toBeGreaterThan(20);
    expect([...named].filter((name) => !served.includes(name)), 'queried, not served').toEqual([]);
  });
});
