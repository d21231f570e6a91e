import { closeSync, openSync } from 'node:fs';

/**
 * Named points where a test makes the job fail on purpose (weir/testing's fault injection): the checkpoint protocol's
 * own points, and any a job's functions name. Set by the WEIR_FAULTS environment variable, a JSON list of
 * `{ point, hit, action, marker }`: on the `hit`-th time a thread passes `point`, the fault fires once across every
 * thread, attempt and process (the `marker` file records that it fired, and how many fired is what a test reports).
 * `kill` SIGKILLs the whole process, `exit-thread` ends the worker thread, `throw` throws. Unset, a point costs a check.
 */
export type FaultAction = 'kill' | 'exit-thread' | 'throw';

export interface FaultSpec {
  readonly point: string;
  readonly hit: number;
  readonly action: FaultAction;
  readonly marker: string;
}

export const FAULTS_VARIABLE = 'WEIR_FAULTS';

const specs: readonly FaultSpec[] = parseFaults(process.env[FAULTS_VARIABLE]);
const hits = new Map<string, number>();

function parseFaults(text: string | undefined): FaultSpec[] {
  if (text === undefined || text === '') return [];
  const parsed = JSON.parse(text) as FaultSpec[];
  if (!Array.isArray(parsed)) throw new TypeError(`${FAULTS_VARIABLE} must be a JSON list of faults`);
  return parsed;
}

export function faultPoint(point: string): void {
  if (specs.length === 0) return;
  const hit = (hits.get(point) ?? 0) + 1;
  hits.set(point, hit);
  for (const spec of specs) {
    if (spec.point !== point || spec.hit !== hit || !claimMarker(spec.marker)) continue;
    if (spec.action === 'kill') process.kill(process.pid, 'SIGKILL');
    if (spec.action === 'exit-thread') process.exit(17);
    throw new Error(`injected fault at '${point}' (hit ${hit})`);
  }
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
