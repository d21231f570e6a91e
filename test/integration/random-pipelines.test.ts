import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import { generatorSubtaskOf } from '../../src/connectors/generator.ts';
import { applyStep, type PipelineSpec, type Rec, type Step } from '../fixtures/pipeline-spec.ts';

const JOB = fileURLToPath(new URL('../fixtures/random-pipeline-job.ts', import.meta.url));

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('map' as const), add: fc.integer({ min: -5, max: 5 }) }),
  fc.integer({ min: 2, max: 5 }).chain((mod) => fc.record({ kind: fc.constant('filter' as const), mod: fc.constant(mod), rem: fc.integer({ min: 0, max: mod - 1 }) })),
  fc.record({ kind: fc.constant('flatMap' as const), copies: fc.integer({ min: 0, max: 3 }) }),
);
const stepsArb = fc.array(stepArb, { maxLength: 3 });
const specArb: fc.Arbitrary<PipelineSpec> = fc.record({
  branches: fc.array(
    fc.record({ input: fc.array(fc.record({ k: fc.integer({ min: 0, max: 20 }), v: fc.integer({ min: -50, max: 50 }) }), { maxLength: 400, size: 'max' }), steps: stepsArb }),
    { minLength: 1, maxLength: 3 },
  ),
  parallelism: fc.integer({ min: 1, max: 4 }),
  afterUnion: stepsArb,
  keyed: fc.option(fc.record({ keyMod: fc.integer({ min: 1, max: 7 }), parallelism: fc.integer({ min: 1, max: 4 }), post: stepsArb }), { nil: null }),
  sinkParallelism: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
  batchSize: fc.constantFrom(1, 3, 64, 1024),
});

const applySteps = (records: Rec[], steps: readonly Step[]): Rec[] =>
  steps.reduce<Rec[]>((current, step) => current.flatMap((record) => {
    const out: Rec[] = [];
    applyStep(step, record, (r) => out.push(r));
    return out;
  }), records);

/** Reference: records reaching keyBy (or the sink), each with the source subtask it came from and its position there. */
function referenceBeforeKeyBy(spec: PipelineSpec): { record: Rec; origin: string; position: number }[] {
  const result: { record: Rec; origin: string; position: number }[] = [];
  spec.branches.forEach((branch, b) => {
    const positions = new Map<string, number>();
    branch.input.forEach((input, i) => {
      const origin = `${b}/${generatorSubtaskOf(i, spec.parallelism)}`;
      for (const record of applySteps(applySteps([{ id: `${b}:${i}`, ...input }], branch.steps), spec.afterUnion)) {
        const position = positions.get(origin) ?? 0;
        positions.set(origin, position + 1);
        result.push({ record, origin, position });
      }
    });
  });
  return result;
}

const asMultiset = (records: readonly unknown[]): string[] => records.map((r) => JSON.stringify(r)).sort();

/** Per key: nothing lost or doubled, the order from each upstream subtask kept, and every running sum right. */
function checkKeyedOutput(spec: PipelineSpec & { keyed: NonNullable<PipelineSpec['keyed']> }, keyedOutput: Rec[]): void {
  const reference = referenceBeforeKeyBy(spec);
  const byId = new Map(reference.map((entry) => [entry.record.id, entry]));
  const keyOf = (record: Rec): number => record.k % spec.keyed.keyMod;
  const expectedIds = new Map<number, string[]>();
  for (const { record } of reference) expectedIds.set(keyOf(record), [...(expectedIds.get(keyOf(record)) ?? []), record.id]);
  const arrivals = new Map<number, Rec[]>();
  for (const output of keyedOutput) arrivals.set(keyOf(output), [...(arrivals.get(keyOf(output)) ?? []), output]);

  expect([...arrivals.keys()].sort()).toEqual([...expectedIds.keys()].sort());
  for (const [key, outputs] of arrivals) {
    const arrivedIds = outputs.map((output) => output.id);
    expect([...arrivedIds].sort(), `key ${key}: records reaching the reduce`).toEqual([...expectedIds.get(key)!].sort());
    const lastPosition = new Map<string, number>();
    let sum = 0;
    for (const output of outputs) {
      const { record, origin, position } = byId.get(output.id)!;
      expect(position, `key ${key}: order from ${origin} kept`).toBeGreaterThan(lastPosition.get(origin) ?? -1);
      lastPosition.set(origin, position);
      sum += record.v;
      expect(output.v, `key ${key}: running sum after ${output.id}`).toBe(sum);
    }
  }
}

/** Records over 21 keys with values from -50 to 50, in a fixed pseudo-random order. */
const records = (count: number, salt: number): { k: number; v: number }[] =>
  Array.from({ length: count }, (_, i) => ({ k: (i * 7 + salt) % 21, v: ((i * 37 + salt) % 101) - 50 }));

/**
 * Each shape the arbitrary draws, as a fixed example, so that every run covers them whatever the seed: one branch
 * into a chained sink at parallelism 1 with batches of 1; a union of three branches rebalanced to a sink of another
 * parallelism; a union keyed into a reduce at another parallelism with steps after it; everything on one key.
 */
const fixedCases: PipelineSpec[] = [
  { branches: [{ input: records(300, 0), steps: [{ kind: 'map', add: 3 }, { kind: 'filter', mod: 3, rem: 1 }] }], parallelism: 1, afterUnion: [], keyed: null, sinkParallelism: null, batchSize: 1 },
  {
    branches: [
      { input: records(200, 1), steps: [{ kind: 'flatMap', copies: 2 }] },
      { input: records(150, 2), steps: [] },
      { input: records(100, 3), steps: [{ kind: 'flatMap', copies: 0 }] },
    ],
    parallelism: 3,
    afterUnion: [{ kind: 'map', add: -2 }],
    keyed: null,
    sinkParallelism: 2,
    batchSize: 3,
  },
  {
    branches: [
      { input: records(400, 4), steps: [{ kind: 'filter', mod: 2, rem: 0 }] },
      { input: records(250, 5), steps: [{ kind: 'map', add: 5 }] },
    ],
    parallelism: 2,
    afterUnion: [{ kind: 'flatMap', copies: 3 }],
    keyed: { keyMod: 7, parallelism: 4, post: [{ kind: 'map', add: 1 }, { kind: 'flatMap', copies: 2 }] },
    sinkParallelism: null,
    batchSize: 64,
  },
  { branches: [{ input: records(300, 6), steps: [] }], parallelism: 4, afterUnion: [], keyed: { keyMod: 1, parallelism: 1, post: [] }, sinkParallelism: null, batchSize: 1024 },
];

describe('random pipelines on the worker-thread runtime', () => {
  it('match an in-process reference evaluation, as a multiset and in per-key order', async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const result = await runJob({ jobModule: JOB, params: spec, threads: 2 });
        const out = (result.outputs.get('out') ?? []) as Rec[];
        if (spec.keyed === null) {
          expect(asMultiset(out)).toEqual(asMultiset(referenceBeforeKeyBy(spec).map((entry) => entry.record)));
          return;
        }
        const keyedOutput = (result.outputs.get('keyed') ?? []) as Rec[];
        checkKeyedOutput({ ...spec, keyed: spec.keyed }, keyedOutput);
        expect(asMultiset(out)).toEqual(asMultiset(applySteps(keyedOutput, spec.keyed.post)));
      }),
      // The fixed cases run first; the random runs beyond them explore other steps, sizes and parallelisms.
      { numRuns: 16, examples: fixedCases.map((spec) => [spec] as [PipelineSpec]) },
    );
  }, 300_000);
});
