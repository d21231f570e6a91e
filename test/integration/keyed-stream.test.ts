import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import type { Group, KeyedStreamParams, Seen } from '../fixtures/keyed-stream-job.ts';

const JOB = fileURLToPath(new URL('../fixtures/keyed-stream-job.ts', import.meta.url));
const params: KeyedStreamParams = { events: 2_000, keys: 7, countSize: 5, countSlide: 2, windowMs: 100 };

/** Each key's ids in the order the parallelism-1 source emits them. */
function idsByKey({ events, keys }: KeyedStreamParams): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (let id = 0; id < events; id++) byKey.set(`k${id % keys}`, [...(byKey.get(`k${id % keys}`) ?? []), id]);
  return byKey;
}

/** Flink's count windows: every `slide` elements, the last `size` (a tumbling window when slide = size). */
function countWindows(ids: readonly number[], size: number, slide: number): number[][] {
  const windows: number[][] = [];
  for (let seen = slide; seen <= ids.length; seen += slide) windows.push(ids.slice(Math.max(0, seen - size), seen));
  return windows;
}

const sortGroups = (groups: readonly Group[]): string[] => groups.map((group) => JSON.stringify(group)).sort();

describe('KeyedStream as a DataStream, count windows and windowAll', async () => {
  const result = await runJob({ jobModule: JOB, params, parallelism: 2, threads: 2 });
  const output = <T>(name: string): T[] => (result.outputs.get(name) ?? []) as T[];

  it('keyBy(...).map(...) runs on the key partitioning: each key in one subtask, the same as the keyed operator', () => {
    const mapped = output<Seen>('mapped');
    expect(mapped).toHaveLength(params.events);
    const subtaskOf = (seen: readonly Seen[]) => {
      const byKey = new Map<string, Set<number>>();
      for (const { key, subtask } of seen) byKey.set(key, (byKey.get(key) ?? new Set()).add(subtask));
      return byKey;
    };
    const mapSubtasks = subtaskOf(mapped);
    const keyedSubtasks = subtaskOf(output<Seen>('keyed'));
    expect(mapSubtasks.size).toBe(params.keys);
    for (const [key, subtasks] of mapSubtasks) {
      expect(subtasks.size, `key ${key} seen by map subtasks ${[...subtasks]}`).toBe(1);
      expect(subtasks).toEqual(keyedSubtasks.get(key));
    }
    // Both subtasks of the map got keys: the records crossed a hash exchange, not a forward one.
    expect(new Set(mapped.map((seen) => seen.subtask))).toEqual(new Set([0, 1]));
  });

  it('union and rebalance after keyBy', () => {
    const ids = Array.from({ length: params.events }, (_, id) => id);
    expect(output<number>('union').sort((a, b) => a - b)).toEqual([...ids, ...ids].sort((a, b) => a - b));
  });

  it('filter and flatMap after keyBy', () => {
    const evens = Array.from({ length: params.events / 2 }, (_, i) => i * 2);
    const expected = [...evens, ...evens.map((id) => id + params.events)];
    expect(output<number>('flat').sort((a, b) => a - b)).toEqual(expected);
  });

  it('countWindow(size) emits every complete group of a key, countWindow(size, slide) the last size every slide', () => {
    const byKey = idsByKey(params);
    const expected = (size: number, slide: number): Group[] =>
      [...byKey].flatMap(([key, ids]) => countWindows(ids, size, slide).map((window) => ({ key, ids: window })));
    expect(sortGroups(output<Group>('count-tumbling'))).toEqual(sortGroups(expected(params.countSize, params.countSize)));
    expect(sortGroups(output<Group>('count-sliding'))).toEqual(sortGroups(expected(params.countSize, params.countSlide)));
    const sums = expected(params.countSize, params.countSlide).map(({ key, ids }) => ({ key, sum: ids.reduce((a, b) => a + b, 0) }));
    const sortSums = (all: readonly { key: string; sum: number }[]) => all.map((s) => `${s.key}:${s.sum}`).sort();
    expect(sortSums(output('count-sliding-sum'))).toEqual(sortSums(sums));
  });

  it('countWindowAll groups the whole stream in order, on one subtask', () => {
    const all = Array.from({ length: params.events }, (_, id) => id);
    const expected = countWindows(all, params.countSize, params.countSize).map((ids) => ({ key: 'all', ids }));
    // The sink runs at parallelism 2: each group arrives whole, the groups in any order.
    expect(sortGroups(output<Group>('count-all'))).toEqual(sortGroups(expected));
    expect(result.operators.filter((operator) => operator.operator === 'count-all-windows')).toHaveLength(1);
  });

  it('windowAll aggregates every key in one window per time window, at parallelism 1', () => {
    const windows = new Map<number, number[]>();
    for (let id = 0; id < params.events; id++) {
      const start = id - (id % params.windowMs);
      windows.set(start, [...(windows.get(start) ?? []), id]);
    }
    const expected = [...windows].map(([start, ids]) => ({ key: 'all', start, ids }));
    const seen = output<Group>('window-all').map((group) => ({ ...group, ids: [...group.ids].sort((a, b) => a - b) }));
    expect(sortGroups(seen)).toEqual(sortGroups(expected));
    expect(result.operators.filter((operator) => operator.operator === 'all-windows')).toHaveLength(1);
  });
});
