import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import type { NexmarkParams } from '../../bench/jobs/nexmark.ts';
import { nexmarkEvents } from '../../bench/nexmark/generator.ts';
import { QUERY_NAMES } from '../../bench/nexmark/queries.ts';
import { REFERENCE } from '../../bench/nexmark/reference.ts';

const JOB = fileURLToPath(new URL('../../bench/jobs/nexmark.ts', import.meta.url));
const SEED = 42;
const EVENTS = 40_000;
// 500 events per second of event time: 40,000 events span 80 s, so every query crosses several of its windows.
const EVENTS_PER_SECOND = 500;

/** Results as a sorted list of JSON texts: a multiset, whatever order the subtasks emitted them in. */
const asMultiset = (records: readonly unknown[]): string[] => records.map((record) => JSON.stringify(record)).sort();

describe('Nexmark queries in weir', () => {
  const events = nexmarkEvents(EVENTS, SEED, { eventsPerSecond: EVENTS_PER_SECOND });

  it.each(QUERY_NAMES.flatMap((query) => [1, 2].map((parallelism) => [query, parallelism] as const)))(
    '%s at parallelism %i gives exactly the reference results on a fixed seed',
    { timeout: 60_000 },
    async (query, parallelism) => {
      const params: NexmarkParams = { query, events: EVENTS, seed: SEED, eventsPerSecond: EVENTS_PER_SECOND, collectAs: 'results' };
      const result = await runJob({ jobModule: JOB, params, parallelism, logLevel: 'warn' });
      const expected = asMultiset(REFERENCE[query](events));
      // A query that finds nothing proves nothing: the seed and size are chosen so that each has results.
      expect(expected.length).toBeGreaterThan(0);
      expect(asMultiset(result.outputs.get('results') ?? [])).toEqual(expected);
    },
  );
});
