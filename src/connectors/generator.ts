import { BadRecordError, type PollResult, type ReaderOutput, type Source, type SourceReader } from './source.ts';
import { rejectRecord } from './dead-letter.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

/**
 * A deterministic random stream per record: reseeded from (seed, index), so record i is the same whatever the
 * parallelism or the order in which subtasks run. SplitMix32-style mixing: tiny, fast, and specified.
 */
export class RecordRandom {
  private state = 0;

  reseed(seed: number, index: number): void {
    this.state = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index | 0, 0x85ebca6b) ^ Math.floor(index / 0x100000000)) | 0;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

export interface GeneratorOptions<T> {
  /** Builds record `index`; `random` is seeded for this record alone. */
  readonly generate: (index: number, random: RecordRandom) => T;
  /** Number of records; leave out for an unbounded stream. */
  readonly count?: number;
  readonly seed?: number;
  /** Records per second for the whole source (all subtasks together); leave out for full speed. */
  readonly ratePerSecond?: number;
  readonly name?: string;
}

/**
 * Generator positions are kept per lane: lane l holds the indexes l, l + LANES, l + 2 * LANES, ... Subtask s of p
 * reads the lanes l with l % p === s, so lanes (with their positions) move whole when a checkpoint restores at
 * another parallelism. When p divides LANES, subtask s emits s, s + p, s + 2p, ... in order.
 */
export const GENERATOR_LANES = 128;

/** The subtask (of `parallelism`) that emits record `index`, before any restore moved lanes. */
export function generatorSubtaskOf(index: number, parallelism: number): number {
  return (index % GENERATOR_LANES) % parallelism;
}

/** A generator reader's checkpointed position: the next index of each of its lanes. */
export interface GeneratorPosition {
  readonly lanes: readonly (readonly [lane: number, next: number])[];
}

/**
 * Generates records from a function of their index, each index once across all subtasks (see GENERATOR_LANES). A
 * record whose timestamp the strategy rejects goes to the DEAD_LETTERS side output with its index when the job reads
 * it, and fails the job otherwise.
 */
export class GeneratorSource<T> implements Source<T> {
  readonly boundedness: 'bounded' | 'unbounded';
  readonly name: string;
  readonly maxParallelism = GENERATOR_LANES;
  /** Its count, when it has one. */
  readonly expectedRecords?: number;

  private constructor(private readonly options: GeneratorOptions<T>) {
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0)) {
      throw new RangeError(`generator count must be a non-negative integer, got ${options.count}`);
    }
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
      throw new RangeError(`generator ratePerSecond must be positive, got ${options.ratePerSecond}`);
    }
    this.boundedness = options.count === undefined ? 'unbounded' : 'bounded';
    if (options.count !== undefined) this.expectedRecords = options.count;
    this.name = options.name ?? 'generator';
  }

  static of<T>(options: GeneratorOptions<T>): GeneratorSource<T> {
    return new GeneratorSource(options);
  }

  createReader(ctx: RuntimeContext, restored?: readonly unknown[]): SourceReader<T> {
    const { generate, count = Number.POSITIVE_INFINITY, seed = 0, ratePerSecond } = this.options;
    const random = new RecordRandom();
    // Parallel arrays, in lane order: the lanes still producing and the next index of each.
    const lanes: number[] = [];
    const nexts: number[] = [];
    for (const [lane, next] of startPositions(ctx, restored)) {
      if (next >= count) continue;
      lanes.push(lane);
      nexts.push(next);
    }
    // Level: every lane within one round of the others, so round robin in order of next index emits increasing indexes.
    let level = isLevel(nexts);
    let cursor = 0;
    let emitted = 0;
    let startedAt = 0;
    const ratePerMs = ratePerSecond === undefined ? undefined : ratePerSecond / ctx.parallelism / 1000;
    return {
      poll(output: ReaderOutput<T>, max: number): PollResult {
        let budget = max;
        if (ratePerMs !== undefined) {
          const now = performance.now();
          if (startedAt === 0) startedAt = now;
          const allowed = Math.floor((now - startedAt) * ratePerMs) + 1 - emitted;
          if (allowed <= 0) return { waitMs: Math.max(1, Math.ceil(-allowed / ratePerMs)) };
          budget = Math.min(budget, allowed);
        }
        for (let i = 0; i < budget && lanes.length > 0; i++) {
          // Lanes merged by a restore may stand far apart: the one furthest behind goes first until they are level.
          if (!level) cursor = furthestBehind(nexts);
          const index = nexts[cursor]!;
          random.reseed(seed, index);
          const record = generate(index, random);
          try {
            output.collect(record);
          } catch (error) {
            // Its timestamp was rejected: a dead letter (the lane goes on past it), or a failure naming its index.
            if (!(error instanceof BadRecordError)) throw error;
            rejectRecord(output, ctx.operatorName, { source: { kind: 'generator', index }, error, preview: record });
          }
          emitted++;
          const next = index + GENERATOR_LANES;
          if (next < count) {
            nexts[cursor] = next;
            cursor++;
          } else {
            // A finished lane leaves; the cursor then points at the lane after it, so the order stays the same.
            lanes.splice(cursor, 1);
            nexts.splice(cursor, 1);
          }
          if (cursor >= lanes.length) cursor = 0;
          if (!level && isLevel(nexts)) {
            level = true;
            sortByNext(lanes, nexts);
            cursor = 0;
          }
        }
        return lanes.length > 0 ? 'more' : 'end';
      },
      snapshotState(): GeneratorPosition {
        // Finished lanes need no entry: a lane missing from every position is done.
        return { lanes: lanes.map((lane, at) => [lane, nexts[at]!] as const) };
      },
    };
  }
}

/** The lanes of this subtask and where each starts: from the restored positions, or from the beginning. */
function startPositions(ctx: RuntimeContext, restored: readonly unknown[] | undefined): [lane: number, next: number][] {
  const mine = (lane: number): boolean => generatorSubtaskOf(lane, ctx.parallelism) === ctx.subtaskIndex;
  if (restored === undefined) {
    return Array.from({ length: GENERATOR_LANES }, (_, lane) => lane)
      .filter(mine)
      .map((lane) => [lane, lane]);
  }
  const positions: [number, number][] = [];
  for (const state of restored) {
    for (const [lane, next] of (state as GeneratorPosition).lanes) if (mine(lane)) positions.push([lane, next]);
  }
  // By next index: lanes the last round had not reached yet come first, so a restore continues in index order.
  return positions.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
}

function isLevel(nexts: readonly number[]): boolean {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const next of nexts) {
    if (next < min) min = next;
    if (next > max) max = next;
  }
  return nexts.length === 0 || max - min < GENERATOR_LANES;
}

function furthestBehind(nexts: readonly number[]): number {
  let at = 0;
  for (let i = 1; i < nexts.length; i++) if (nexts[i]! < nexts[at]!) at = i;
  return at;
}

/** Sorts the parallel arrays by next index, so that a round from the first lane emits increasing indexes. */
function sortByNext(lanes: number[], nexts: number[]): void {
  const order = lanes.map((lane, at) => [lane, nexts[at]!] as const).sort((a, b) => a[1] - b[1]);
  order.forEach(([lane, next], at) => {
    lanes[at] = lane;
    nexts[at] = next;
  });
}
