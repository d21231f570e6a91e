import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointScheduler, type SchedulerAction } from '../../src/checkpoint/checkpoint-scheduler.ts';

const TASKS = ['source-0', 'window-0', 'window-1'];

type Op =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'ack'; readonly task: number; readonly stale: boolean }
  | { readonly kind: 'decline'; readonly task: number }
  | { readonly kind: 'savepoint' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ack' as const), task: fc.nat(TASKS.length - 1), stale: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('decline' as const), task: fc.nat(TASKS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('savepoint' as const) }) },
);

describe('CheckpointScheduler', () => {
  it('one checkpoint at a time, triggered on interval and pause, complete when all acknowledge, aborted on timeout or decline', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 120, size: 'max' }),
        fc.integer({ min: 50, max: 500 }),
        fc.integer({ min: 100, max: 1_000 }),
        fc.integer({ min: 0, max: 300 }),
        (ops, intervalMs, timeoutMs, minPauseMs) => {
          let now = 10_000;
          const scheduler = new CheckpointScheduler({ intervalMs, timeoutMs, minPauseMs }, TASKS, now, 41);
          let pending: { id: number; at: number; acks: Set<string>; savepoint: boolean } | undefined;
          let lastTrigger = now;
          let lastEnd = Number.NEGATIVE_INFINITY;
          let lastId = 41;
          let savepointAsked = false;
          const settled = new Set<number>();
          const check = (actions: SchedulerAction[]): void => {
            for (const action of actions) {
              if (action.kind === 'trigger') {
                expect(pending).toBeUndefined();
                expect(action.checkpointId).toBe(lastId + 1);
                expect(action.savepoint).toBe(savepointAsked);
                if (!savepointAsked) {
                  expect(now).toBeGreaterThanOrEqual(lastTrigger + intervalMs);
                  expect(now).toBeGreaterThanOrEqual(lastEnd + minPauseMs);
                }
                savepointAsked = false;
                lastId = action.checkpointId;
                lastTrigger = now;
                pending = { id: action.checkpointId, at: now, acks: new Set(), savepoint: action.savepoint };
              } else {
                expect(pending?.id).toBe(action.checkpointId);
                expect(settled.has(action.checkpointId)).toBe(false);
                if (action.kind === 'complete') expect(pending!.acks.size).toBe(TASKS.length);
                else if (action.reason.startsWith('timed out')) expect(now).toBeGreaterThanOrEqual(pending!.at + timeoutMs);
                settled.add(action.checkpointId);
                lastEnd = now;
                pending = undefined;
              }
            }
          };
          for (const op of ops) {
            if (op.kind === 'advance') {
              now += op.ms;
              check(scheduler.poll(now));
              // Nothing is left due after a poll.
              if (pending !== undefined) expect(now).toBeLessThan(pending.at + timeoutMs);
              else expect(now).toBeLessThan(scheduler.nextDueAt());
            } else if (op.kind === 'ack') {
              const id = op.stale ? lastId - 1 : lastId;
              const task = TASKS[op.task]!;
              if (pending?.id === id) pending.acks.add(task);
              check(scheduler.acknowledge(id, task, now));
            } else if (op.kind === 'decline') {
              check(scheduler.decline(lastId, TASKS[op.task]!, 'disk full', now));
            } else {
              scheduler.requestSavepoint();
              savepointAsked = true;
            }
            expect(scheduler.pendingCheckpoint).toBe(pending?.id);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the table records each checkpoint and why it ended', () => {
    const scheduler = new CheckpointScheduler({ intervalMs: 100, timeoutMs: 50, minPauseMs: 0 }, ['a', 'b'], 0);
    expect(scheduler.poll(99)).toEqual([]);
    expect(scheduler.poll(100)).toEqual([{ kind: 'trigger', checkpointId: 1, savepoint: false }]);
    expect(scheduler.acknowledge(1, 'a', 110)).toEqual([]);
    expect(scheduler.poll(150)).toEqual([{ kind: 'abort', checkpointId: 1, reason: 'timed out after 50 ms' }]);
    expect(scheduler.poll(200)).toEqual([{ kind: 'trigger', checkpointId: 2, savepoint: false }]);
    scheduler.acknowledge(2, 'b', 201);
    expect(scheduler.acknowledge(2, 'a', 202)).toEqual([{ kind: 'complete', checkpointId: 2, savepoint: false }]);
    expect(scheduler.table.get(1)).toMatchObject({ status: 'aborted', reason: 'timed out after 50 ms', endedAt: 150 });
    expect(scheduler.table.get(2)).toMatchObject({ status: 'completed', endedAt: 202 });
    expect(() => scheduler.acknowledge(2, 'c', 203)).toThrow(/unknown task/);
  });
});
