import type { StreamExecutionEnvironment } from '../api/environment.ts';
import { type WatermarkAlignmentSpec } from '../api/watermark-strategy.ts';
import type { PhysicalPlan } from './planner.ts';
import { MAX_WATERMARK } from '../core/time.ts';

/** A slot no subtask wrote yet: its subtask has not been heard from, so it holds nobody back. */
const NOT_HEARD = Number.NaN;

/**
 * The watermark of every source subtask of a job attempt, in one SharedArrayBuffer that all its worker threads see:
 * one Float64 slot per source subtask, written by its subtask after every poll and read by the others of its
 * alignment group, with no message on the data path. A fresh board per attempt, so a restart starts unheard.
 */
export class SourceWatermarkBoard {
  private readonly slotBase: ReadonlyMap<number, number>;
  private readonly watermarks: Float64Array;

  constructor(
    private readonly plan: PhysicalPlan,
    buffer: SharedArrayBuffer = SourceWatermarkBoard.allocate(plan),
  ) {
    this.slotBase = slotLayout(plan).bases;
    this.watermarks = new Float64Array(buffer);
  }

  static allocate(plan: PhysicalPlan): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(Math.max(1, slotLayout(plan).slots) * Float64Array.BYTES_PER_ELEMENT);
    new Float64Array(buffer).fill(NOT_HEARD);
    return buffer;
  }

  /**
   * The part of one source subtask in its alignment group: its own slot and the slots of every other subtask of a
   * source whose strategy names the same group (the job graph is the same program in every thread).
   */
  alignmentOf(env: StreamExecutionEnvironment, vertexId: number, subtask: number, spec: WatermarkAlignmentSpec): WatermarkAlignment {
    const others: number[] = [];
    for (const vertex of sourceVertices(this.plan)) {
      const head = env.graph.node(vertex.nodeIds[0]!);
      if (head.kind !== 'source' || head.watermarkStrategy?.alignment?.group !== spec.group) continue;
      for (let index = 0; index < vertex.parallelism; index++) {
        if (vertex.id !== vertexId || index !== subtask) others.push(this.slot(vertex.id, index));
      }
    }
    return new WatermarkAlignment(this.watermarks, this.slot(vertexId, subtask), others, spec.maxDriftMs);
  }

  private slot(vertexId: number, subtask: number): number {
    const base = this.slotBase.get(vertexId);
    if (base === undefined) throw new Error(`vertex ${vertexId} is not a source: it has no watermark slot`);
    return base + subtask;
  }
}

/** Vertices headed by a source, in plan order: the board's slots follow it. */
function sourceVertices(plan: PhysicalPlan): PhysicalPlan['vertices'] {
  return plan.vertices.filter((vertex) => plan.nodes.get(vertex.nodeIds[0]!)?.kind === 'source');
}

/** Each source vertex's first slot (one per subtask, in plan order), and how many slots there are. */
function slotLayout(plan: PhysicalPlan): { bases: Map<number, number>; slots: number } {
  const bases = new Map<number, number>();
  let slots = 0;
  for (const vertex of sourceVertices(plan)) {
    bases.set(vertex.id, slots);
    slots += vertex.parallelism;
  }
  return { bases, slots };
}

/**
 * One source subtask's part in a watermark alignment group (WatermarkStrategy.withWatermarkAlignment): it writes its
 * watermark after every poll and pauses while it is more than the drift ahead of the slowest subtask heard from.
 * An idle subtask writes MAX_WATERMARK, so that it holds nobody back, but compares its own progress: one that went idle
 * because alignment paused it must start again once the others catch up.
 * Publishing per poll rather than per watermark interval keeps the bound as tight as a poll, whatever the rate: at
 * 6M events/s, 0.1 ms of event time per event, a 200 ms interval is 120 s of event time, far past a 10 s drift.
 *
 * Reads and writes are plain Float64 accesses, not Atomics (which have no Float64 form). A torn read, which x64 and
 * arm64 do not produce for aligned 8-byte accesses anyway, could at worst mistime one pause: alignment bounds
 * throughput, not correctness, and no record or watermark downstream depends on it.
 */
export class WatermarkAlignment {
  private progress = Number.NaN;

  constructor(
    private readonly watermarks: Float64Array,
    private readonly own: number,
    private readonly others: readonly number[],
    private readonly maxDriftMs: number,
  ) {}

  /** This subtask's event-time progress after a poll, and whether it is idle. */
  update(progress: number, idle: boolean): void {
    this.progress = progress;
    this.watermarks[this.own] = idle ? MAX_WATERMARK : progress;
  }

  /** Ahead of the slowest subtask heard from by more than the allowed drift: stop reading for now. */
  get ahead(): boolean {
    let slowest = MAX_WATERMARK;
    for (const slot of this.others) {
      const watermark = this.watermarks[slot]!;
      // NaN (not heard yet) fails the comparison and holds nobody back.
      if (watermark < slowest) slowest = watermark;
    }
    return this.progress > slowest + this.maxDriftMs;
  }

  /** A finished subtask holds nobody back. */
  close(): void {
    this.watermarks[this.own] = MAX_WATERMARK;
  }
}
