import type { Namespace } from '../../state/backend.ts';

/** A window of time, [start, end): records with start <= timestamp < end. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** The one window of GlobalWindows: it never ends on its own. */
export interface GlobalWindow {
  readonly global: true;
}

export type Window = TimeWindow | GlobalWindow;

export const GLOBAL_WINDOW: GlobalWindow = Object.freeze({ global: true });

/** The latest timestamp that belongs to the window: results are stamped with it, and event-time triggers fire at it. */
export function maxTimestamp(window: Window): number {
  // A property read, not `'global' in window`: this runs for every element.
  const end = (window as Partial<TimeWindow>).end;
  return end === undefined ? Number.POSITIVE_INFINITY : end - 1;
}

export function intersects(a: TimeWindow, b: TimeWindow): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function cover(a: TimeWindow, b: TimeWindow): TimeWindow {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/**
 * How windows map to state namespaces. Fixed-size windows use their start (a number, the cheapest map key); other
 * windows a string of start and end.
 */
export interface WindowCodec<W extends Window> {
  namespaceOf(window: W): Namespace;
  windowOf(namespace: Namespace): W;
}

export function fixedSizeCodec(size: number): WindowCodec<TimeWindow> {
  return {
    namespaceOf: (window) => window.start,
    windowOf: (namespace) => ({ start: namespace as number, end: (namespace as number) + size }),
  };
}

export const variableSizeCodec: WindowCodec<TimeWindow> = {
  namespaceOf: (window) => `${window.start}:${window.end}`,
  windowOf: (namespace) => {
    const [start, end] = String(namespace).split(':').map(Number);
    return { start: start!, end: end! };
  },
};

export const globalCodec: WindowCodec<GlobalWindow> = {
  namespaceOf: () => 0,
  windowOf: () => GLOBAL_WINDOW,
};
