import { readFileSync, writeFileSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import type { Sink, SinkWriter } from 'weir';
import { sleep } from '../../src/core/signal.ts';
import type { QueryName } from './queries.ts';
import { ResultDigest, digestHex } from './result-digest.ts';

/**
 * The measurement marks of a Nexmark run (bench/README.md): source subtasks note when they pass the warm-up, sink
 * subtasks when their input ended and how many results they took. Each mark samples the process's CPU time
 * (process.cpuUsage() counts every thread, in a worker too) with its wall-clock time, so that the span's CPU is the
 * difference between the marks that bound it. Subtasks run on worker threads; a broadcast channel carries the marks
 * to the benchmark's main thread, in the same process.
 */
const CHANNEL = 'weir-bench-nexmark-marks';

export type Mark =
  | {
      readonly kind: 'warm';
      readonly subtask: number;
      readonly at: number;
      readonly cpuMicros: number;
      readonly rssBytes: number;
      /** Whether the kernel let this mark reset the process's peak RSS (then peak RSS covers the span only). */
      readonly peakReset: boolean;
    }
  | {
      readonly kind: 'done';
      readonly subtask: number;
      readonly at: number;
      readonly cpuMicros: number;
      readonly results: number;
      /** The subtask's result digest, in a verification run (hex, see result-digest.ts). */
      readonly digest?: string;
    };

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Resets the process's peak RSS (VmHWM) to its current RSS: Linux 4.0+, `echo 5 > /proc/self/clear_refs`. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM of /proc/self/status in bytes, or undefined off Linux. */
export function peakRssBytes(): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

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
    // The latest warm-up mark starts the span, so the latest reset is the one that counts.
    const peakReset = resetPeakRss();
    post({ kind: 'warm', subtask, at: Date.now(), cpuMicros: cpuMicros(), rssBytes: process.memoryUsage.rss(), peakReset });
  };
}

/**
 * Counts and drops its input; marks when its input ended, with the count. With `hashOf`, a verification run, it
 * also hashes every result (result-digest.ts): never in a measured run, whose sink must cost nothing.
 */
export class CountingSink implements Sink<unknown> {
  readonly name = 'nexmark-results';

  constructor(private readonly hashOf?: QueryName) {}

  createWriter(ctx: { subtaskIndex: number }): SinkWriter<unknown> {
    let results = 0;
    const finish = (digest?: string): void => post({ kind: 'done', subtask: ctx.subtaskIndex, at: Date.now(), cpuMicros: cpuMicros(), results, ...(digest === undefined ? {} : { digest }) });
    if (this.hashOf === undefined) return { write: () => void results++, finish: () => finish() };
    const digest = new ResultDigest(this.hashOf);
    return {
      write: (record) => {
        results++;
        digest.add(record);
      },
      finish: () => finish(digestHex(digest.sum)),
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
