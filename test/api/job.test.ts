import { describe, expect, expectTypeOf, it } from 'vitest';
import { buildJob, defineJob } from '../../src/api/job.ts';
import { JobDefinitionError } from '../../src/core/errors.ts';
import { GeneratorSource } from '../../src/connectors/generator.ts';
import { DiscardingSink } from '../../src/connectors/memory.ts';
import type { StreamExecutionEnvironment } from '../../src/api/environment.ts';
import { yieldToEventLoop } from '../../src/core/signal.ts';

interface DemoParams {
  readonly demoRatings: number;
  readonly topic?: string;
}

const pipeline = (env: StreamExecutionEnvironment, count: number): void => {
  env.fromSource(GeneratorSource.of({ count, generate: (id) => id })).sinkTo(new DiscardingSink<number>());
};

describe('defineJob params', () => {
  it('types params as what --params may leave out, and gives {} when none were given', () => {
    const seen: unknown[] = [];
    const job = defineJob<DemoParams>({ name: 'demo' }, (env, params) => {
      expectTypeOf(params).toEqualTypeOf<Partial<DemoParams>>();
      // @ts-expect-error demoRatings may be left out: it needs a default
      const required: number = params.demoRatings;
      seen.push(required);
      pipeline(env, params.demoRatings ?? 0);
    });
    buildJob(job, undefined);
    buildJob(job, { demoRatings: 5 });
    expect(seen).toEqual([undefined, 5]);
  });

  it('refuses params that are not a JSON object, saying what it got', () => {
    const job = defineJob<DemoParams>({ name: 'demo' }, (env, params) => pipeline(env, params.demoRatings ?? 0));
    for (const params of [7, 'x', [1, 2]]) {
      expect(() => buildJob(job, params)).toThrow(JobDefinitionError);
      expect(() => buildJob(job, params)).toThrow(`job 'demo' takes its params as a JSON object (--params '{"name":value}'), got ${JSON.stringify(params)}`);
    }
  });
});

describe('an async builder', () => {
  it('fails to compile and is refused with the reason', () => {
    // @ts-expect-error a builder returning a Promise does not type-check
    const job = defineJob({ name: 'async-job' }, async (env) => pipeline(env, 3));
    expect(() => buildJob(job, undefined)).toThrow(JobDefinitionError);
    expect(() => buildJob(job, undefined)).toThrow(
      /^the builder of job 'async-job' is an async function: it must build the graph synchronously, .* Do I\/O in a source or in a function's open\(\), not in the builder$/,
    );
  });

  it('refuses a plain function that returns a Promise, whose later failure is then no unhandled rejection', async () => {
    let ranLate = false;
    const job = defineJob({ name: 'later' }, (env) =>
      // @ts-expect-error a builder returning a Promise does not type-check
      Promise.resolve().then(() => {
        ranLate = true;
        pipeline(env, 3);
        throw new Error('built too late');
      }),
    );
    expect(() => buildJob(job, undefined)).toThrow(/^the builder of job 'later' returned a Promise: it must build the graph synchronously/);
    // The promise went on and failed; vitest fails a run that leaves a rejection unhandled.
    await yieldToEventLoop();
    expect(ranLate).toBe(true);
  });

  it('accepts a builder whose expression body returns a stream', () => {
    const job = defineJob({ name: 'expression' }, (env) => env.fromSource(GeneratorSource.of({ count: 1, generate: (id) => id })).sinkTo(new DiscardingSink<number>()));
    expect(buildJob(job, undefined).graph.nodes).toHaveLength(2);
  });
});
