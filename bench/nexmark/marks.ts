import { BroadcastChannel } from 'node:worker_threads';
import type { Sink, SinkWriter } from 'weir';
import { sleep } from '../../src/core/signal.ts';

/**
 * The measurement marks of a Nexmark run (bench/README.md): source subtasks note when they pass the warm-up, sink
 * subtasks when their input ended and how many results they took. Subtasks run on worker threads; a broadcast
 * channel carries the marks to the benchmark's main thread, in the same process.
 */
const CHANNEL = 'weir-bench-nexmark-marks';

export type Mark = { readonly kind: 'warm'; readonly subtask: number; readonly at: number } | { readonly kind: 'done'; readonly subtask: number; readonly at: number; readonly results: number };

let channel: BroadcastChannel | undefined;
function post(mark: Mark): void {
  if (channel === undefined) {
    channel = new BroadcastChannel(CHANNEL);
    // Must not keep a worker thread alive after its job is done.
    channel.unref();
  }
  channel.postMessage(mark);
}

/**
 * The source's per-event hook: marks the wall-clock time at which the subtask making event n (n % parallelism, as
 * the generator spreads events) first makes an event numbered at least `warmup`.
 */
export function warmUpMarker(warmup: number, parallelism: number): (n: number) => void {
  const marked = new Array<boolean>(parallelism).fill(false);
  return (n) => {
    if (n < warmup) return;
    const subtask = n % parallelism;
    if (marked[subtask]) return;
    marked[subtask] = true;
    post({ kind: 'warm', subtask, at: Date.now() });
  };
}

/** Counts and drops its input; marks when its input ended, with the count. */
export class CountingSink implements Sink<unknown> {
  readonly name = 'nexmark-results';
  createWriter(ctx: { subtaskIndex: number }): SinkWriter<unknown> {
    let results = 0;
    return {
      write: () => void results++,
      finish: () => post({ kind: 'done', subtask: ctx.subtaskIndex, at: Date.now(), results }),
    };
  }
}

/** Listens for marks in the benchmark's main thread. */
export class MarkCollector {
  private readonly channel = new BroadcastChannel(CHANNEL);
  private readonly marks: Mark[] = [];

  constructor() {
    this.channel.onmessage = (event) => void this.marks.push((event as { data: Mark }).data);
  }

  /** Resolves with every mark once `parallelism` of each kind arrived (they may trail the job's end a moment). */
  async all(parallelism: number, timeoutMs = 10_000): Promise<Mark[]> {
    const deadline = Date.now() + timeoutMs;
    const count = (kind: Mark['kind']): number => new Set(this.marks.filter((mark) => mark.kind === kind).map((mark) => mark.subtask)).size;
    while (count('warm') < parallelism || count('done') < parallelism) {
      if (Date.now() > deadline) throw new Error(`marks missing after the job ended: ${JSON.stringify(this.marks)} (expected ${parallelism} of each kind)`);
      await sleep(10);
    }
    this.channel.close();
    return this.marks;
  }
}
