import { describeError, WeirError } from '../../core/errors.ts';
import type { StatusReport } from '../messages.ts';

/** At most one status message per worker this often: a connector may report at every fetch, the coordinator needs far less. */
export const STATUS_INTERVAL_MS = 250;

/**
 * A worker's statuses on their way to the job's process (RuntimeContext.reportStatus): the latest of each (operator
 * subtask, kind), sent only when it differs from what was sent last, and gathered into one message at most every
 * `intervalMs`. Statuses are encoded as JSON when reported, so that a status that is not plain data fails the call
 * that reported it, not a timer later.
 */
export class StatusOutbox {
  private readonly sent = new Map<string, string>();
  private readonly pending = new Map<string, StatusReport>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly send: (reports: StatusReport[]) => void,
    private readonly intervalMs: number = STATUS_INTERVAL_MS,
  ) {}

  report(operator: { readonly name: string; readonly operatorId: string }, subtask: number, kind: string, status: unknown): void {
    const where = `operator '${operator.name}' subtask ${subtask + 1}`;
    if (typeof kind !== 'string' || kind === '') throw new WeirError(`${where} reported a status without a kind (a non-empty string such as 'clusters')`);
    let json: string | undefined;
    try {
      json = JSON.stringify(status);
    } catch (error) {
      throw new WeirError(`${where} reported a '${kind}' status that is not JSON data: ${describeError(error)}`, { cause: error });
    }
    if (json === undefined) throw new WeirError(`${where} reported a '${kind}' status that is not JSON data (${typeof status})`);
    const key = `${operator.operatorId}\u0000${subtask}\u0000${kind}`;
    // Back to what the coordinator already has: a change still waiting to be sent is void.
    if (this.sent.get(key) === json) {
      this.pending.delete(key);
      return;
    }
    this.pending.set(key, { operator: operator.name, operatorId: operator.operatorId, subtask, kind, json });
    this.schedule();
  }

  /** Sends what is waiting now (before the worker says it finished or failed, so that the last statuses arrive first). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0 || this.closed) return;
    const reports = [...this.pending.values()];
    this.pending.clear();
    for (const report of reports) this.sent.set(`${report.operatorId}\u0000${report.subtask}\u0000${report.kind}`, report.json);
    this.lastSentAt = performance.now();
    this.send(reports);
  }

  /** Nothing is sent after this; later reports are dropped (the job's port is gone). */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    // The first change after a quiet spell goes at the end of this turn; later ones wait for the interval.
    const wait = Math.max(0, this.lastSentAt + this.intervalMs - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }
}
