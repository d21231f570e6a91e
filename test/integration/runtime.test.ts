import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runJob } from 'weir/testing';
import { JobFailedError, JobDefinitionError } from 'weir';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const example = (name: string): string => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

describe('worker-thread runtime', () => {
  it('runs the keyed operator of feedback-counts as 2 subtasks on 2 worker threads, with the same results as parallelism 1', async () => {
    const one = await runJob({ jobModule: example('feedback-counts.ts'), params: { collect: true }, parallelism: 1 });
    const two = await runJob({ jobModule: example('feedback-counts.ts'), params: { collect: true }, parallelism: 2, threads: 2 });
    const sorted = (records: unknown[] | undefined) => [...(records ?? [])].map((r) => JSON.stringify(r)).sort();
    expect(sorted(two.outputs.get('scores'))).toEqual(sorted(one.outputs.get('scores')));
    expect(one.outputs.get('scores')).toHaveLength(4);

    const keyed = two.operators.filter((op) => op.operatorId === 'score-per-model');
    expect(keyed).toHaveLength(2);
    for (const subtask of keyed) expect(subtask.recordsIn).toBeGreaterThan(0);
    expect(keyed.reduce((sum, op) => sum + op.recordsIn, 0)).toBe(100_000);
    const threads = new Set(keyed.map((op) => op.threadId));
    expect(threads.size).toBe(2);
    expect(threads.has(0)).toBe(false); // 0 is the main thread
  });

  it('processes records of each keyed subtask on its own worker thread', async () => {
    const result = await runJob({ jobModule: fixture('thread-ids-job.ts'), params: { events: 20_000 }, parallelism: 2, threads: 2 });
    const seen = result.outputs.get('seen') as { key: string; subtask: number; threadId: number }[];
    expect(seen).toHaveLength(20_000);
    const threadBySubtask = new Map<number, Set<number>>();
    for (const record of seen) threadBySubtask.set(record.subtask, (threadBySubtask.get(record.subtask) ?? new Set()).add(record.threadId));
    expect([...threadBySubtask.keys()].sort()).toEqual([0, 1]);
    const [first, second] = [...threadBySubtask.values()];
    expect(first!.size).toBe(1);
    expect(second!.size).toBe(1);
    expect([...first!][0]).not.toBe([...second!][0]);
    // Each key is processed by exactly one subtask.
    const subtaskByKey = new Map<string, Set<number>>();
    for (const record of seen) subtaskByKey.set(record.key, (subtaskByKey.get(record.key) ?? new Set()).add(record.subtask));
    for (const subtasks of subtaskByKey.values()) expect(subtasks.size).toBe(1);
  });

  it('fails the run with the operator name and the cause when a user function throws', async () => {
    const run = runJob({ jobModule: fixture('failing-job.ts'), parallelism: 2 });
    await expect(run).rejects.toBeInstanceOf(JobFailedError);
    await expect(run).rejects.toThrow(/operator 'parse-rating' \(subtask \d\/2\) failed: Error: rating 777 has no model version \[record: \{"id":777\}\]/);
  });

  it('rejects a missing job file and a module without a job with a clear error', async () => {
    await expect(runJob({ jobModule: fixture('no-such-job.ts') })).rejects.toThrow(/^job file not found: .*no-such-job\.ts$/);
    const notAJob = runJob({ jobModule: fixture('not-a-job.ts') });
    await expect(notAJob).rejects.toBeInstanceOf(JobDefinitionError);
    await expect(notAJob).rejects.toThrow(/does not export a job/);
  });
});

describe('backpressure', () => {
  const batchSize = 100;
  const credits = 2;
  /** Per channel: the credited batches, plus one batch the producer may close before it sees it has no credit. */
  const boundPerChannel = (credits + 1) * batchSize;

  for (const events of [5_000, 60_000]) {
    it(`keeps records in flight under a fixed bound with a slow sink (${events} records)`, async () => {
      const result = await runJob({ jobModule: fixture('slow-sink-job.ts'), params: { events, batchSize, credits }, threads: 2 });
      const sink = result.operators.find((op) => op.operator === 'slow-sink')!;
      expect(sink.recordsIn).toBe(events);
      const channels = 2; // two generator subtasks -> one sink subtask
      expect(result.maxInFlightRecords).toBeLessThanOrEqual(channels * boundPerChannel);
      // The bound was actually reached: the sink was the bottleneck and the credits ran out.
      expect(result.maxInFlightRecords).toBeGreaterThanOrEqual(channels * credits * batchSize);
    });
  }
});
