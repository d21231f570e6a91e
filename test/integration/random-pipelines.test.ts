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
      { numRuns: 30 },
    );
  }, 300_000);
});
