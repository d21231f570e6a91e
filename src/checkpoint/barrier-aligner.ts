/**
 * What the aligner tells its subtask: stop reading a channel until alignment ends; take the snapshot of a checkpoint
 * (then forward its barrier and read every channel again); or give up a checkpoint whose alignment a newer barrier
 * overtook (read every channel again, and report it aborted).
 */
export type AlignmentStep =
  | { readonly kind: 'block'; readonly channel: number }
  | { readonly kind: 'aligned'; readonly checkpointId: number }
  | { readonly kind: 'aborted'; readonly checkpointId: number };

/**
 * Aligned barriers for a subtask with several input channels (docs/architecture.md, decision 7; Flink's aligned checkpoints). Pure:
 * it sees barriers and channel ends and answers with steps; the subtask does the reading and blocking.
 *
 * - The first barrier of a checkpoint starts its alignment and blocks its channel; each later one blocks its channel,
 *   until every channel still open has delivered it: then `aligned`, and no channel is blocked any more.
 * - An ended channel no longer holds alignment back.
 * - A barrier of a newer checkpoint during an alignment aborts the older one (one checkpoint at a time, as the
 *   coordinator runs them) and starts the newer. Barriers of a checkpoint already aligned or aborted are ignored.
 */
export class BarrierAligner {
  private pending: number | undefined = undefined;
  /** The newest checkpoint aligned or aborted: barriers up to it are stale. */
  private settled = 0;
  private readonly delivered = new Set<number>();
  private readonly ended = new Set<number>();

  constructor(readonly channelCount: number) {
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new RangeError(`channel count must be a positive integer, got ${channelCount}`);
  }

  get pendingCheckpoint(): number | undefined {
    return this.pending;
  }

  /** Whether the subtask must leave this channel unread: it delivered the barrier being aligned. */
  isBlocked(channel: number): boolean {
    return this.pending !== undefined && this.delivered.has(channel);
  }

  onBarrier(channel: number, checkpointId: number): AlignmentStep[] {
    this.checkChannel(channel);
    if (this.ended.has(channel)) throw new Error(`channel ${channel} delivered barrier ${checkpointId} after its end`);
    if (checkpointId <= this.settled) return [];
    const steps: AlignmentStep[] = [];
    if (this.pending !== undefined && checkpointId < this.pending) return [];
    if (this.pending !== undefined && checkpointId > this.pending) steps.push(this.settle('aborted'));
    if (this.pending === undefined) this.pending = checkpointId;
    if (this.delivered.has(channel)) throw new Error(`channel ${channel} delivered barrier ${checkpointId} twice`);
    this.delivered.add(channel);
    steps.push(this.complete() ? this.settle('aligned') : { kind: 'block', channel });
    return steps;
  }

  onEnd(channel: number): AlignmentStep[] {
    this.checkChannel(channel);
    this.ended.add(channel);
    return this.pending !== undefined && this.complete() ? [this.settle('aligned')] : [];
  }

  private complete(): boolean {
    for (let channel = 0; channel < this.channelCount; channel++) {
      if (!this.delivered.has(channel) && !this.ended.has(channel)) return false;
    }
    return true;
  }

  private settle(kind: 'aligned' | 'aborted'): AlignmentStep {
    const checkpointId = this.pending!;
    this.settled = checkpointId;
    this.pending = undefined;
    this.delivered.clear();
    return { kind, checkpointId };
  }

  private checkChannel(channel: number): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channelCount) {
      throw new RangeError(`channel ${channel} is outside 0..${this.channelCount - 1}`);
    }
  }
}
