import type { PhysicalPlan } from './planner.ts';
import type { StatsBoard } from './stats-board.ts';
import type { JobStatus } from './job-status.ts';
import { CheckpointHistory } from '../checkpoint/checkpoint-history.ts';
import { RateWindow } from './rate-window.ts';
import { DEAD_LETTERS_STATUS, SPLIT_WATERMARKS_STATUS } from './observed-statuses.ts';
import { KAFKA_PARTITIONS_STATUS, type KafkaPartitionsStatus } from '../connectors/kafka/partition-lag.ts';
import { graphOf, watermarksOf } from './observation-views.ts';
import type { HealthSettings } from './health/health-settings.ts';
import {
  watermarkValue,
  type DeadLetterCount,
  type GraphObservation,
  type JobObservation,
  type KafkaPartitionLag,
  type KafkaSourceLag,
  type OperatorObservation,
  type SubtaskObservation,
  type WatermarkObservation,
} from './observation-types.ts';

/** Counters per subtask slot that the rate window follows: records in, out, busy, backpressured, idle ms. */
const RATED = 5;
/** A sample for the rates this often while the job runs, and at most this stale when a snapshot is taken. */
const SAMPLE_EVERY_MS = 1_000;
const FRESH_MS = 200;

/** Everything the job knows about itself at one moment; the routes and the metrics read only this. */
export interface JobSnapshot {
  readonly at: number;
  readonly job: JobObservation;
  readonly operators: readonly OperatorObservation[];
  readonly graph: GraphObservation;
  readonly watermarks: WatermarkObservation;
  readonly checkpoints: CheckpointHistory;
  readonly kafkaLag: readonly KafkaSourceLag[];
  readonly deadLetters: readonly DeadLetterCount[];
}

interface Planned {
  readonly plan: PhysicalPlan;
  readonly stats: StatsBoard;
  readonly slots: readonly { readonly operatorIndex: number; readonly subtask: number; readonly slot: number }[];
}

/**
 * The job's observations: one place that reads the stats board (records, times, watermarks), the statuses subtasks
 * report (splits, Kafka partitions, dead letters by reason) and the checkpoint history, and turns them into a
 * snapshot with per-second rates over a recent window. A health score reads the same snapshot.
 */
export class JobObservations {
  readonly checkpoints = new CheckpointHistory();
  private planned: Planned | undefined;
  private jobName: string | undefined;
  private jobId: string | undefined;
  private readonly restartsAt: number[] = [];
  private restartReason: string | undefined;
  private readonly sampled: (() => void)[] = [];
  /** The job's settings its health score measures against; undefined until the job is loaded. */
  settings: HealthSettings | undefined;
  private readonly rates = new RateWindow();
  private lastSampleAt = Number.NEGATIVE_INFINITY;
  private sampler: NodeJS.Timeout | undefined;
  private cached: JobSnapshot | undefined;
  readonly startedAt: number;

  constructor(
    readonly status: JobStatus,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = clock();
  }

  /** The job is planned: its operators and stats board are known from here on. */
  describe(jobName: string, jobId: string, plan: PhysicalPlan, stats: StatsBoard): void {
    this.jobName = jobName;
    this.jobId = jobId;
    const nodes = [...plan.nodes.values()];
    const slots = nodes.flatMap((node, operatorIndex) => Array.from({ length: node.parallelism }, (_, subtask) => ({ operatorIndex, subtask, slot: stats.nodeSlot(node.nodeId, subtask) })));
    this.planned = { plan, stats, slots };
    this.sample(this.clock());
    this.sampler = setInterval(() => {
      this.sample(this.clock());
      for (const listener of this.sampled) listener();
    }, SAMPLE_EVERY_MS).unref();
  }

  /** An attempt failed (for `reason`) and the job restarts. */
  restarted(reason?: string): void {
    this.restartsAt.push(this.clock());
    this.restartReason = reason;
  }

  get restarts(): number {
    return this.restartsAt.length;
  }

  /** When each restart happened (ms since the epoch), oldest first. */
  get restartTimes(): readonly number[] {
    return this.restartsAt;
  }

  /** Why the latest restart happened. */
  get lastRestartReason(): string | undefined {
    return this.restartReason;
  }

  /** Also called each time the job's counters are sampled (every second while it runs): for what keeps history. */
  onSample(listener: () => void): void {
    this.sampled.push(listener);
  }

  /** The job ended: no more samples. */
  close(): void {
    clearInterval(this.sampler);
  }

  snapshot(): JobSnapshot {
    const now = this.clock();
    if (this.cached !== undefined && now - this.cached.at < FRESH_MS) return this.cached;
    if (now - this.lastSampleAt >= FRESH_MS) this.sample(now);
    const operators = this.operators(now);
    const plan = this.planned?.plan;
    const snapshot: JobSnapshot = {
      at: now,
      job: { name: this.jobName, jobId: this.jobId, startedAt: this.startedAt, uptimeMs: now - this.startedAt, restarts: this.restarts },
      operators,
      graph: plan === undefined ? { vertices: [], edges: [] } : graphOf(plan, operators),
      watermarks: watermarksOf(operators, this.status.ofKind(SPLIT_WATERMARKS_STATUS)),
      checkpoints: this.checkpoints,
      kafkaLag: this.kafkaLag(),
      deadLetters: this.deadLetters(),
    };
    this.cached = snapshot;
    return snapshot;
  }

  private sample(now: number): void {
    if (this.planned === undefined) return;
    const { stats, slots } = this.planned;
    const values: number[] = [];
    for (const { slot } of slots) {
      const times = stats.times(slot, now);
      values.push(stats.recordsIn(slot), stats.recordsOut(slot), times.busyMs, times.backpressuredMs, times.idleMs);
    }
    this.rates.add(now, values);
    this.lastSampleAt = now;
  }

  private operators(now: number): OperatorObservation[] {
    if (this.planned === undefined) return [];
    const { plan, stats, slots } = this.planned;
    const rates = this.rates.perSecond(slots.length * RATED);
    const nodes = [...plan.nodes.values()];
    const subtasks: SubtaskObservation[][] = nodes.map(() => []);
    slots.forEach(({ operatorIndex, subtask, slot }, index) => {
      const times = stats.times(slot, now);
      const rate = (k: number): number => rates[index * RATED + k]!;
      subtasks[operatorIndex]!.push({
        subtask,
        recordsIn: stats.recordsIn(slot),
        recordsOut: stats.recordsOut(slot),
        recordsInPerSecond: rate(0),
        recordsOutPerSecond: rate(1),
        busyMs: times.busyMs,
        backPressuredMs: times.backpressuredMs,
        idleMs: times.idleMs,
        busyTimeMsPerSecond: Math.min(1000, rate(2)),
        backPressuredTimeMsPerSecond: Math.min(1000, rate(3)),
        idleTimeMsPerSecond: Math.min(1000, rate(4)),
        inputWatermark: watermarkValue(stats.inputWatermark(slot)),
        outputWatermark: watermarkValue(stats.outputWatermark(slot)),
        lateRecordsDropped: stats.lateRecordsDropped(slot),
        deadLetters: stats.deadLetters(slot),
        stateCacheHits: stats.stateCacheHits(slot),
        stateCacheMisses: stats.stateCacheMisses(slot),
      });
    });
    return nodes.map((node, index) => ({
      operatorId: node.operatorId,
      name: node.name,
      kind: node.kind,
      vertexId: node.vertexId,
      parallelism: node.parallelism,
      subtasks: subtasks[index]!,
    }));
  }

  private kafkaLag(): KafkaSourceLag[] {
    const bySource = new Map<string, { operator: string; groupId: string; partitions: (KafkaPartitionLag & { subtask: number })[] }>();
    // One status per cluster for a multi-cluster source (`weir.kafka-partitions@<cluster>`).
    for (const { operatorId, operator, subtask, status } of this.status.ofKindPrefix(KAFKA_PARTITIONS_STATUS)) {
      const { groupId, partitions } = status as KafkaPartitionsStatus;
      const entry = bySource.get(operatorId) ?? { operator, groupId, partitions: [] };
      for (const partition of partitions) entry.partitions.push({ ...partition, subtask });
      bySource.set(operatorId, entry);
    }
    return [...bySource].map(([operatorId, { operator, groupId, partitions }]) => ({
      operatorId,
      operator,
      groupId,
      lag: partitions.reduce((sum, partition) => sum + partition.lag, 0),
      partitions: partitions.sort((a, b) => (a.cluster ?? '').localeCompare(b.cluster ?? '') || a.topic.localeCompare(b.topic) || a.partition - b.partition),
    }));
  }

  private deadLetters(): DeadLetterCount[] {
    const counts = new Map<string, DeadLetterCount>();
    for (const { operatorId, operator, status } of this.status.ofKind(DEAD_LETTERS_STATUS)) {
      for (const [reason, count] of Object.entries(status as Record<string, number>)) {
        const key = `${operatorId}\u0000${reason}`;
        counts.set(key, { operatorId, operator, reason, count: (counts.get(key)?.count ?? 0) + count });
      }
    }
    return [...counts.values()];
  }
}
