import type { PhysicalPlan } from './planner.ts';
import type { Deployment } from './deployment.ts';

/** Float64 fields per operator subtask, in this order. */
const FIELD = {
  recordsIn: 0,
  recordsOut: 1,
  lateRecordsDropped: 2,
  inputWatermark: 3,
  outputWatermark: 4,
  /** When the subtask started (epoch ms): busy time is what is neither idle nor backpressured since then. */
  startedAt: 5,
  idleMs: 6,
  backpressuredMs: 7,
  /** The wait going on now: its start (epoch ms) and kind (WAIT_*), so a long wait shows before it ends. */
  waitingSince: 8,
  waitingKind: 9,
  /** The last checkpoint whose barriers this subtask aligned, and how long that took (first barrier to the last). */
  alignmentCheckpointId: 10,
  alignmentMs: 11,
  deadLetters: 12,
  /** Keyed state reads the state cache answered, and those that read LMDB. */
  stateCacheHits: 13,
  stateCacheMisses: 14,
} as const;
const NODE_FIELDS = 15;

/** What a subtask waits for, when it waits. */
export type WaitKind = 'idle' | 'backpressured';
const WAIT_NONE = 0;
const WAIT_CODE: Record<WaitKind, number> = { idle: 1, backpressured: 2 };

/** No watermark yet (Flink shows Long.MIN_VALUE). */
export const NO_WATERMARK = Number.NEGATIVE_INFINITY;

/** A subtask's time since it started, split as Flink's busy/backpressured/idle times are (ms). */
export interface SubtaskTimes {
  readonly busyMs: number;
  readonly backpressuredMs: number;
  readonly idleMs: number;
}

/** Epoch milliseconds that every thread agrees on (each thread's performance.now() has its own origin). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Counters shared by all threads through one SharedArrayBuffer: per operator subtask, records in/out, late records
 * dropped, dead letters, watermarks, idle and backpressured time and the last alignment (written by the owning worker
 * once per batch, watermark or wait); per channel, records in flight (added by the sender, subtracted by the receiver).
 * The job's process reads them for metrics, routes and tests without any message on the data path.
 */
export class StatsBoard {
  private readonly nodeBase = new Map<number, number>();
  private readonly fields: Float64Array;
  private readonly inFlight: Int32Array;

  constructor(
    plan: PhysicalPlan,
    deployment: Deployment,
    readonly buffer: SharedArrayBuffer = StatsBoard.allocate(plan, deployment),
  ) {
    let slots = 0;
    for (const node of plan.nodes.values()) {
      this.nodeBase.set(node.nodeId, slots);
      slots += node.parallelism;
    }
    this.fields = new Float64Array(buffer, 0, slots * NODE_FIELDS);
    this.inFlight = new Int32Array(buffer, slots * NODE_FIELDS * 8, deployment.channels.length * 2);
  }

  static allocate(plan: PhysicalPlan, deployment: Deployment): SharedArrayBuffer {
    let slots = 0;
    for (const node of plan.nodes.values()) slots += node.parallelism;
    const buffer = new SharedArrayBuffer(slots * NODE_FIELDS * 8 + deployment.channels.length * 8);
    const fields = new Float64Array(buffer, 0, slots * NODE_FIELDS);
    for (let slot = 0; slot < slots; slot++) {
      fields[slot * NODE_FIELDS + FIELD.inputWatermark] = NO_WATERMARK;
      fields[slot * NODE_FIELDS + FIELD.outputWatermark] = NO_WATERMARK;
    }
    return buffer;
  }

  /** Index of an operator subtask's counters, for `publishRecords`. */
  nodeSlot(nodeId: number, subtask: number): number {
    const base = this.nodeBase.get(nodeId);
    if (base === undefined) throw new Error(`node ${nodeId} has no stats slot`);
    return base + subtask;
  }

  publishRecords(slot: number, recordsIn: number, recordsOut: number, lateRecordsDropped: number): void {
    const at = slot * NODE_FIELDS;
    this.fields[at + FIELD.recordsIn] = recordsIn;
    this.fields[at + FIELD.recordsOut] = recordsOut;
    this.fields[at + FIELD.lateRecordsDropped] = lateRecordsDropped;
  }

  recordsIn(slot: number): number {
    return this.field(slot, FIELD.recordsIn);
  }

  recordsOut(slot: number): number {
    return this.field(slot, FIELD.recordsOut);
  }

  lateRecordsDropped(slot: number): number {
    return this.field(slot, FIELD.lateRecordsDropped);
  }

  publishStateCache(slot: number, hits: number, misses: number): void {
    const at = slot * NODE_FIELDS;
    this.fields[at + FIELD.stateCacheHits] = hits;
    this.fields[at + FIELD.stateCacheMisses] = misses;
  }

  stateCacheHits(slot: number): number {
    return this.field(slot, FIELD.stateCacheHits);
  }

  stateCacheMisses(slot: number): number {
    return this.field(slot, FIELD.stateCacheMisses);
  }

  /** The source subtask's dead letters in this attempt (like records in/out, a restarted subtask counts from 0). */
  publishDeadLetters(slot: number, count: number): void {
    this.fields[slot * NODE_FIELDS + FIELD.deadLetters] = count;
  }

  deadLetters(slot: number): number {
    return this.field(slot, FIELD.deadLetters);
  }

  setInputWatermark(slot: number, timestamp: number): void {
    this.fields[slot * NODE_FIELDS + FIELD.inputWatermark] = timestamp;
  }

  setOutputWatermark(slot: number, timestamp: number): void {
    this.fields[slot * NODE_FIELDS + FIELD.outputWatermark] = timestamp;
  }

  inputWatermark(slot: number): number {
    return this.field(slot, FIELD.inputWatermark);
  }

  outputWatermark(slot: number): number {
    return this.field(slot, FIELD.outputWatermark);
  }

  /** A subtask (re)starts: its times count from now. */
  startTimes(slot: number, now: number): void {
    const at = slot * NODE_FIELDS;
    this.fields[at + FIELD.startedAt] = now;
    this.fields[at + FIELD.idleMs] = 0;
    this.fields[at + FIELD.backpressuredMs] = 0;
    this.fields[at + FIELD.waitingKind] = WAIT_NONE;
  }

  beginWait(slot: number, kind: WaitKind, now: number): void {
    const at = slot * NODE_FIELDS;
    this.fields[at + FIELD.waitingSince] = now;
    this.fields[at + FIELD.waitingKind] = WAIT_CODE[kind];
  }

  endWait(slot: number, now: number): void {
    const at = slot * NODE_FIELDS;
    const kind = this.fields[at + FIELD.waitingKind];
    if (kind === WAIT_NONE) return;
    const waited = Math.max(0, now - this.fields[at + FIELD.waitingSince]!);
    this.fields[at + (kind === WAIT_CODE.idle ? FIELD.idleMs : FIELD.backpressuredMs)]! += waited;
    this.fields[at + FIELD.waitingKind] = WAIT_NONE;
  }

  /** Busy, backpressured and idle ms since the subtask started, the wait going on now included. */
  times(slot: number, now: number): SubtaskTimes {
    const at = slot * NODE_FIELDS;
    const startedAt = this.fields[at + FIELD.startedAt]!;
    if (startedAt === 0) return { busyMs: 0, backpressuredMs: 0, idleMs: 0 };
    let idleMs = this.fields[at + FIELD.idleMs]!;
    let backpressuredMs = this.fields[at + FIELD.backpressuredMs]!;
    const kind = this.fields[at + FIELD.waitingKind];
    const current = Math.max(0, now - this.fields[at + FIELD.waitingSince]!);
    if (kind === WAIT_CODE.idle) idleMs += current;
    else if (kind === WAIT_CODE.backpressured) backpressuredMs += current;
    const busyMs = Math.max(0, now - startedAt - idleMs - backpressuredMs);
    return { busyMs, backpressuredMs, idleMs };
  }

  setAlignment(slot: number, checkpointId: number, alignmentMs: number): void {
    const at = slot * NODE_FIELDS;
    this.fields[at + FIELD.alignmentMs] = alignmentMs;
    this.fields[at + FIELD.alignmentCheckpointId] = checkpointId;
  }

  /** How long the subtask took to align checkpoint `checkpointId`'s barriers; 0 when it did not align that one. */
  alignmentMs(slot: number, checkpointId: number): number {
    return this.field(slot, FIELD.alignmentCheckpointId) === checkpointId ? this.field(slot, FIELD.alignmentMs) : 0;
  }

  /** A sender closed a batch of `count` records; also raises the channel's high-water mark. */
  addInFlight(channelSlot: number, count: number): void {
    const now = Atomics.add(this.inFlight, channelSlot * 2, count) + count;
    if (now > Atomics.load(this.inFlight, channelSlot * 2 + 1)) Atomics.store(this.inFlight, channelSlot * 2 + 1, now);
  }

  /** A receiver finished processing a batch of `count` records. */
  removeInFlight(channelSlot: number, count: number): void {
    Atomics.sub(this.inFlight, channelSlot * 2, count);
  }

  inFlightRecords(channelSlot: number): number {
    return Atomics.load(this.inFlight, channelSlot * 2);
  }

  maxInFlightRecords(channelSlot: number): number {
    return Atomics.load(this.inFlight, channelSlot * 2 + 1);
  }

  private field(slot: number, field: number): number {
    return this.fields[slot * NODE_FIELDS + field]!;
  }
}
