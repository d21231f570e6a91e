import { WeirError } from './errors.ts';

/** A reusable wake-up: `wait` resolves at the next `notify`, or at once if one came since the last wait. */
export class Signal {
  private pending = false;
  private waiter: (() => void) | undefined;

  notify(): void {
    const waiter = this.waiter;
    if (waiter === undefined) {
      this.pending = true;
      return;
    }
    this.waiter = undefined;
    waiter();
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A call that did not settle within its time limit (the call itself may still settle later: nothing cancels it); retriable. */
export class TimeoutError extends WeirError {
  override name = 'TimeoutError';
  constructor(message: string) {
    super(message, { retriable: true });
  }
}

/**
 * `promise`, or a TimeoutError once `ms` have passed (a call to a system that stopped answering). The promise keeps
 * running unobserved: a caller that gives up on it must not rely on it again, and a late rejection is swallowed here
 * so that it is never unhandled.
 */
export function withTimeout<R>(promise: Promise<R>, ms: number, what: string): Promise<R> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
