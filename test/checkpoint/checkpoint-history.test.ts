import { describe, expect, it } from 'vitest';
import { CheckpointHistory } from '../../src/checkpoint/checkpoint-history.ts';

const completion = (sizeBytes: number) => ({ sizeBytes, alignmentMs: 3, path: `/cp/job/chk`, bytesByOperator: { window: sizeBytes } });

describe('CheckpointHistory', () => {
  it('follows a checkpoint from its trigger to its completion or failure, and counts both', () => {
    const history = new CheckpointHistory();
    history.triggered(1, 'checkpoint', 1_000);
    expect(history.counts).toEqual({ completed: 0, failed: 0, inProgress: 1 });
    history.completed(1, 1_250, completion(40));
    history.triggered(2, 'savepoint', 2_000);
    history.failed(2, 2_100, 'declined by 0-1: disk full');
    expect(history.counts).toEqual({ completed: 1, failed: 1, inProgress: 0 });
    expect(history.history).toEqual([
      { checkpointId: 1, kind: 'checkpoint', status: 'completed', triggeredAt: 1_000, durationMs: 250, sizeBytes: 40, alignmentMs: 3, path: '/cp/job/chk', failureReason: undefined },
      { checkpointId: 2, kind: 'savepoint', status: 'failed', triggeredAt: 2_000, durationMs: 100, sizeBytes: undefined, alignmentMs: undefined, path: undefined, failureReason: 'declined by 0-1: disk full' },
    ]);
    expect(history.latestCompleted?.checkpointId).toBe(1);
    expect(history.stateBytesByOperator).toEqual({ window: 40 });
  });

  it('settles a row once: a late completion or failure of a settled checkpoint changes nothing', () => {
    const history = new CheckpointHistory();
    history.triggered(1, 'checkpoint', 0);
    history.failed(1, 10, 'timed out');
    history.completed(1, 20, completion(1));
    history.failed(1, 30, 'again');
    expect(history.counts).toEqual({ completed: 0, failed: 1, inProgress: 0 });
    expect(history.history[0]).toMatchObject({ status: 'failed', failureReason: 'timed out' });
  });

  it('keeps the newest rows, and the counts of the whole run', () => {
    const history = new CheckpointHistory(3);
    for (let id = 1; id <= 5; id++) {
      history.triggered(id, 'checkpoint', id * 100);
      history.completed(id, id * 100 + 10, completion(id));
    }
    history.triggered(6, 'checkpoint', 600);
    expect(history.history.map((row) => row.checkpointId)).toEqual([4, 5, 6]);
    expect(history.counts).toEqual({ completed: 5, failed: 0, inProgress: 1 });
    expect(history.latestCompleted?.checkpointId).toBe(5);
  });

  it("keeps the latest completed checkpoint's state sizes through a savepoint", () => {
    const history = new CheckpointHistory();
    history.triggered(1, 'checkpoint', 0);
    history.completed(1, 5, completion(10));
    history.triggered(2, 'savepoint', 10);
    history.completed(2, 15, completion(99));
    expect(history.latestCompleted?.kind).toBe('savepoint');
    expect(history.stateBytesByOperator).toEqual({ window: 10 });
  });
});
