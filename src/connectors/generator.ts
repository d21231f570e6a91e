import type { RuntimeContext } from '../api/functions.ts';
import type { PollResult, Source, SourceOutput, SourceReader } from './source.ts';

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

/** Generates records from a function of their index: subtask s of p produces indexes s, s+p, s+2p, ... */
export class GeneratorSource<T> implements Source<T> {
  readonly boundedness: 'bounded' | 'unbounded';
  readonly name: string;

  private constructor(private readonly options: GeneratorOptions<T>) {
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0)) {
      throw new RangeError(`generator count must be a non-negative integer, got ${options.count}`);
    }
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
      throw new RangeError(`generator ratePerSecond must be positive, got ${options.ratePerSecond}`);
    }
    this.boundedness = options.count === undefined ? 'unbounded' : 'bounded';
    this.name = options.name ?? 'generator';
  }

  static of<T>(options: GeneratorOptions<T>): GeneratorSource<T> {
    return new GeneratorSource(options);
  }

  createReader(ctx: RuntimeContext): SourceReader<T> {
    const { generate, count = Number.POSITIVE_INFINITY, seed = 0, ratePerSecond } = this.options;
    const step = ctx.parallelism;
    const random = new RecordRandom();
    let next = ctx.subtaskIndex;
    let emitted = 0;
    let startedAt = 0;
    const ratePerMs = ratePerSecond === undefined ? undefined : ratePerSecond / ctx.parallelism / 1000;
    return {
      poll(output: SourceOutput<T>, max: number): PollResult {
        let budget = max;
        if (ratePerMs !== undefined) {
          const now = performance.now();
          if (startedAt === 0) startedAt = now;
          const allowed = Math.floor((now - startedAt) * ratePerMs) + 1 - emitted;
          if (allowed <= 0) return { waitMs: Math.max(1, Math.ceil(-allowed / ratePerMs)) };
          budget = Math.min(budget, allowed);
        }
        for (let i = 0; i < budget && next < count; i++) {
          random.reseed(seed, next);
          output.collect(generate(next, random));
          next += step;
          emitted++;
        }
        return next < count ? 'more' : 'end';
      },
    };
  }
}
