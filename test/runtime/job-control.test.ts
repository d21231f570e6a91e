import { describe, expect, it } from 'vitest';
import { JobControl } from '../../src/runtime/job-control.ts';
import { HttpError } from '../../src/observe/http-server.ts';
import type { SavepointResult } from '../../src/checkpoint/checkpoint-coordinator.ts';

/** The status and message a refused request gets. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return { status: (error as HttpError).status, message: (error as HttpError).message };
  }
  throw new Error('the request was not refused');
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('JobControl: what the routes may do in each state', () => {
  it('is stopping, not running (nor ready), when SIGTERM came while the job module was still loading', () => {
    const control = new JobControl();
    const sigterm = new AbortController();
    sigterm.abort();
    expect(control.stopSignal(sigterm.signal).aborted).toBe(true);
    control.attemptStarting(1);
    control.attemptRunning({ savepoint: () => new Promise<never>(() => {}) });
    expect(control.state).toBe('stopping');
  });

  it('refuses a savepoint until the attempt runs, and a second one while the first is taken', async () => {
    const control = new JobControl();
    control.attemptStarting(1);
    expect(await refusal(control.savepoint())).toEqual({ status: 409, message: 'the job is created: a savepoint needs it running' });
    const taking = deferred<SavepointResult>();
    control.attemptRunning({ savepoint: () => taking.promise });
    expect(control.state).toBe('running');
    const first = control.savepoint();
    expect(await refusal(control.savepoint())).toEqual({ status: 409, message: 'a savepoint is in progress: ask again once it is complete' });
    taking.resolve({ checkpointId: 7, path: '/sp/chk-7' });
    expect(await first).toEqual({ checkpointId: 7, path: '/sp/chk-7' });
    // Once it is complete, another may be taken; a failed one is a 409 with the coordinator's reason.
    control.attemptRunning({ savepoint: () => Promise.reject(new Error('savepoint 8 aborted: declined by 1-0')) });
    expect(await refusal(control.savepoint())).toEqual({ status: 409, message: 'the savepoint failed: savepoint 8 aborted: declined by 1-0' });
  });

  it('restarting: not running until the next attempt runs, with the reason', async () => {
    const control = new JobControl();
    control.attemptStarting(1);
    control.attemptRunning({ savepoint: () => new Promise(() => {}) });
    control.attemptFailed('operator map threw');
    control.attemptStarting(2);
    expect(control).toMatchObject({ state: 'restarting', attempt: 2, reason: 'operator map threw' });
    expect((await refusal(control.savepoint())).status).toBe(409);
    control.attemptRunning({ savepoint: () => new Promise(() => {}) });
    expect(control.state).toBe('running');
  });

  it('a stop answers with its savepoint; a second stop, or one once the job is over, is refused', async () => {
    const control = new JobControl();
    const signal = control.stopSignal(undefined);
    control.attemptStarting(1);
    control.attemptRunning({ savepoint: () => new Promise(() => {}) });
    const stopping = control.stop();
    expect(signal.aborted).toBe(true);
    expect(control.state).toBe('stopping');
    expect(await refusal(control.stop())).toEqual({ status: 409, message: 'the job is already stopping' });
    expect(await refusal(control.savepoint())).toMatchObject({ status: 409 });
    control.stopped({ checkpointId: 9, path: '/ck/job/chk-9' }, undefined);
    expect(await stopping).toEqual({ checkpointId: 9, path: '/ck/job/chk-9' });
    control.ended('finished');
    expect(control.state).toBe('finished');

    const finished = new JobControl();
    finished.ended('finished');
    expect(await refusal(finished.stop())).toEqual({ status: 409, message: 'the job is finished' });
  });

  it('SIGTERM (the signal given) stops it too, and a stop that ends without a savepoint says why', async () => {
    const sigterm = new AbortController();
    const control = new JobControl();
    control.stopSignal(sigterm.signal);
    sigterm.abort();
    expect(control.state).toBe('stopping');

    const other = new JobControl();
    other.stopSignal(undefined);
    const stopping = other.stop();
    other.stopped(undefined, 'stopped while restarting');
    expect(await refusal(stopping)).toEqual({ status: 409, message: 'the job stopped without a savepoint: stopped while restarting' });
  });
});
