import type { KeyedStateBackend, Namespace } from '../../state/backend.ts';
import { ValueStateDescriptor } from '../../state/descriptors.ts';
import { VOID_NAMESPACE } from '../../state/backend.ts';
import { type TimeWindow, cover, intersects, variableSizeCodec } from './windows.ts';

/** A session window and the namespace that holds its contents (kept when windows merge, so contents do not move). */
type Entry = [start: number, end: number, stateNamespace: Namespace];

export interface MergeResult {
  /** The window the element now belongs to. */
  readonly window: TimeWindow;
  readonly stateNamespace: Namespace;
  /** Windows absorbed into `window` (not including a window equal to it), with their state namespaces. */
  readonly merged: readonly { readonly window: TimeWindow; readonly stateNamespace: Namespace }[];
}

/**
 * The session windows of the current key (Flink's MergingWindowSet), stored in keyed state so checkpoints carry it.
 * Adding a window merges every window it overlaps into one.
 */
export class MergingWindowSet {
  private readonly state;

  constructor(private readonly backend: KeyedStateBackend) {
    this.state = backend.getState(new ValueStateDescriptor<Entry[]>('session-windows'));
  }

  private load(): Entry[] {
    const namespace = this.backend.currentNamespace;
    this.backend.setCurrentNamespace(VOID_NAMESPACE);
    const entries = this.state.value() ?? [];
    this.backend.setCurrentNamespace(namespace);
    return entries;
  }

  private save(entries: Entry[]): void {
    const namespace = this.backend.currentNamespace;
    this.backend.setCurrentNamespace(VOID_NAMESPACE);
    if (entries.length === 0) this.state.clear();
    else this.state.update(entries);
    this.backend.setCurrentNamespace(namespace);
  }

  /** The state namespace of a window of this key, or undefined if it was merged away or purged. */
  stateNamespaceOf(window: TimeWindow): Namespace | undefined {
    return this.load().find(([start, end]) => start === window.start && end === window.end)?.[2];
  }

  add(window: TimeWindow): MergeResult {
    const entries = this.load();
    let merged: TimeWindow = window;
    const absorbed: Entry[] = [];
    const kept: Entry[] = [];
    // Merging can make the new window overlap windows it did not at first: repeat until stable.
    let changed = true;
    let remaining = entries;
    while (changed) {
      changed = false;
      kept.length = 0;
      for (const entry of remaining) {
        const existing = { start: entry[0], end: entry[1] };
        if (intersects(existing, merged)) {
          merged = cover(existing, merged);
          absorbed.push(entry);
          changed = true;
        } else kept.push(entry);
      }
      remaining = [...kept];
    }
    const stateNamespace = absorbed[0]?.[2] ?? variableSizeCodec.namespaceOf(merged);
    kept.push([merged.start, merged.end, stateNamespace]);
    this.save(kept);
    return {
      window: merged,
      stateNamespace,
      merged: absorbed
        .filter(([start, end]) => start !== merged.start || end !== merged.end)
        .map(([start, end, ns]) => ({ window: { start, end }, stateNamespace: ns })),
    };
  }

  /** Removes a window that fired for the last time or was late on arrival. */
  retire(window: TimeWindow): void {
    const entries = this.load();
    const remaining = entries.filter(([start, end]) => start !== window.start || end !== window.end);
    if (remaining.length !== entries.length) this.save(remaining);
  }
}
