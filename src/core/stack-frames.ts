import { fileURLToPath } from 'node:url';
import { sep } from 'node:path';

/** Where weir's own code loads from (src/ or dist/, and the `weir` command in bin/): frames there are not the user's. */
const WEIR_FOLDERS = [fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(new URL('../../bin/', import.meta.url))];

const FRAME = /^\s*at (?:async )?(?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

/** `path:line:column` of each frame of a V8 stack, top first (frames without a location are left out). */
export function stackLocations(stack: string | undefined): string[] {
  if (stack === undefined) return [];
  const locations: string[] = [];
  for (const line of stack.split('\n')) {
    const match = FRAME.exec(line);
    if (match === null) continue;
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    locations.push(`${file}:${match[2]}:${match[3]}`);
  }
  return locations;
}

/** Whether a frame's file is the user's: not weir's own, not Node's, not an installed package. */
export function isUserLocation(location: string): boolean {
  return !location.startsWith('node:') && !WEIR_FOLDERS.some((folder) => location.startsWith(folder)) && !location.includes(`${sep}node_modules${sep}`);
}

/**
 * The top frame in user code of an error or, when it has none (thrown inside a library), of the errors it wraps:
 * where the user's function threw, as `path:line:column`.
 */
export function userFrameOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 16; current = current.cause, depth++) {
    const frame = stackLocations(current.stack).find(isUserLocation);
    if (frame !== undefined) return frame;
  }
  return undefined;
}
