import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Named points where a test makes the job fail on purpose (weir/testing's fault injection): the checkpoint protocol's
 * own points, and any a job's functions name. Set by the WEIR_FAULTS environment variable, a JSON list of
 * `{ point, hit, action, marker }`: on the `hit`-th time a thread passes `point`, the fault fires once across every
 * thread, attempt and process (the `marker` file records that it fired, and how many fired is what a test reports).
 * `kill` SIGKILLs the whole process, `exit-thread` ends the worker thread, `throw` throws. `hold` blocks the thread
 * at the point until the test calls `releaseHold(marker)` (a minute at most), then goes on: the test acts while the
 * job is exactly there (takes a Kafka cluster down in the middle of a publish, say). Unset, a point costs a check.
 * The runtime passes 'user-function' around every call of a user function, 'alignment', 'async-snapshot',
 * 'before-publish' (checkpoint complete, its epoch not yet published) and 'file-publish' (one file of an epoch published).
 * WEIR_FAULT_COUNTS names a directory where each thread records how often it passed each point (weir/testing's
 * failure-free run, so that generated faults fall on hits a run reaches).
 */
export type FaultAction = 'kill' | 'exit-thread' | 'throw' | 'hold';

export interface FaultSpec {
  readonly point: string;
  readonly hit: number;
  readonly action: FaultAction;
  readonly marker: string;
}

export const FAULTS_VARIABLE = 'WEIR_FAULTS';
/** The environment variable naming the directory where threads record their passes through each point. */
export const FAULT_COUNTS_VARIABLE = 'WEIR_FAULT_COUNTS';

const specs: readonly FaultSpec[] = parseFaults(process.env[FAULTS_VARIABLE]);
const hits = new Map<string, number>();
const countsDirectory = process.env[FAULT_COUNTS_VARIABLE] || undefined;
/** The worker tasks this thread started: a thread may serve several attempts (src/runtime/worker-pools.ts). */
let tasks = 0;

/**
 * Called as a worker thread starts a task: hits count from zero in each attempt, as they would in a new thread, and
 * the attempt's counts go to a file of their own.
 */
export function startFaultCounting(): void {
  hits.clear();
  tasks++;
}

function parseFaults(text: string | undefined): FaultSpec[] {
  if (text === undefined || text === '') return [];
  const parsed = JSON.parse(text) as FaultSpec[];
  if (!Array.isArray(parsed)) throw new TypeError(`${FAULTS_VARIABLE} must be a JSON list of faults`);
  return parsed;
}

export function faultPoint(point: string): void {
  if (specs.length === 0 && countsDirectory === undefined) return;
  const hit = (hits.get(point) ?? 0) + 1;
  hits.set(point, hit);
  if (countsDirectory !== undefined) recordCount(countsDirectory, hit);
  for (const spec of specs) {
    if (spec.point !== point || spec.hit !== hit || !claimMarker(spec.marker)) continue;
    if (spec.action === 'kill') process.kill(process.pid, 'SIGKILL');
    if (spec.action === 'exit-thread') process.exit(17);
    if (spec.action === 'hold') {
      holdUntilReleased(spec.marker);
      continue;
    }
    throw new Error(`injected fault at '${point}' (hit ${hit})`);
  }
}

/**
 * Writes this thread's passes per point to its own file: on each of a point's first 16 passes, then every 16th (a
 * user function passes once a record), so the file is a lower bound that lags the truth by less than 16.
 */
function recordCount(directory: string, hit: number): void {
  if (hit > 16 && hit % 16 !== 0) return;
  writeFileSync(join(directory, `${process.pid}-${threadId}-${tasks}.json`), JSON.stringify(Object.fromEntries(hits)));
}

/** Creates the marker file; false when it exists (the fault fired before). Tests use it for faults of their own. */
export function claimMarker(marker: string): boolean {
  try {
    closeSync(openSync(marker, 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The longest a `hold` fault blocks: a test that never releases it delays the job, it does not hang it. */
const HOLD_LIMIT_MS = 60_000;

const releasedPath = (marker: string): string => `${marker}.released`;

/** Lets a job held at a `hold` fault (whose marker this is) go on. */
export function releaseHold(marker: string): void {
  closeSync(openSync(releasedPath(marker), 'a'));
}

/** Blocks this thread (synchronously: the point is inside the job's own code) until the hold is released. */
function holdUntilReleased(marker: string): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + HOLD_LIMIT_MS;
  while (!existsSync(releasedPath(marker)) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 10);
}
