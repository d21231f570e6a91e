import type { PhysicalPlan } from './planner.ts';
import type { Deployment } from './deployment.ts';

/** Float64 counters per operator subtask: records in, records out, late records dropped. */
const NODE_COUNTERS = 3;

/**
 * Counters shared by all threads through one SharedArrayBuffer: records in/out and late records dropped per operator
 * subtask (written by the owning worker once per batch) and records in flight per channel (added by the sender, subtracted by the receiver).
 * The coordinator reads them for metrics and tests without any message on the data path.
 */
export class StatsBoard {
  private readonly nodeBase = new Map<number, number>();
  private readonly records: Float64Array;
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
    this.records = new Float64Array(buffer, 0, slots * NODE_COUNTERS);
    this.inFlight = new Int32Array(buffer, slots * NODE_COUNTERS * 8, deployment.channels.length * 2);
  }

  static allocate(plan: PhysicalPlan, deployment: Deployment): SharedArrayBuffer {
    let slots = 0;
    for (const node of plan.nodes.values()) slots += node.parallelism;
    return new SharedArrayBuffer(slots * NODE_COUNTERS * 8 + deployment.channels.length * 8);
  }

  /** Index of an operator subtask's counters, for `publishRecords`. */
  nodeSlot(nodeId: number, subtask: number): number {
    const base = this.nodeBase.get(nodeId);
    if (base === undefined) throw new Error(`node ${nodeId} has no stats slot`);
    return base + subtask;
  }

  publishRecords(slot: number, recordsIn: number, recordsOut: number, lateRecordsDropped: number): void {
    const at = slot * NODE_COUNTERS;
    this.records[at] = recordsIn;
    this.records[at + 1] = recordsOut;
    this.records[at + 2] = lateRecordsDropped;
  }

  recordsIn(slot: number): number {
    return this.records[slot * NODE_COUNTERS]!;
  }

  recordsOut(slot: number): number {
    return this.records[slot * NODE_COUNTERS + 1]!;
  }

  lateRecordsDropped(slot: number): number {
    return this.records[slot * NODE_COUNTERS + 2]!;
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
}
