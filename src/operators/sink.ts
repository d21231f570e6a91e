import type { Committer, Sink, SinkWriter, TransactionalSink, TransactionalSinkWriter } from '../connectors/sink.ts';
import type { OperatorContext, OperatorFactory, StreamOperator } from './operator.ts';

/** Hands records to a connector's writer; flushes after each batch so a slow sink slows its inputs. */
class SinkOperator<T> implements StreamOperator<T, never> {
  protected op!: OperatorContext;
  protected writer!: SinkWriter<T>;

  constructor(protected readonly sink: Sink<T>) {}

  async open(ctx: OperatorContext): Promise<void> {
    this.op = ctx;
    this.writer = this.createWriter(ctx);
    await this.writer.open?.();
  }

  protected createWriter(ctx: OperatorContext): SinkWriter<T> {
    return this.sink.createWriter(ctx);
  }

  process(record: T): void {
    try {
      this.writer.write(record);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  endOfBatch(): void | Promise<void> {
    return this.writer.flush?.();
  }

  async snapshotState(checkpointId: number): Promise<unknown> {
    await this.writer.prepareSnapshot?.(checkpointId);
    return undefined;
  }

  async finish(): Promise<void> {
    await this.writer.flush?.();
    await this.writer.finish?.();
  }

  async close(): Promise<void> {
    await this.writer.close?.();
  }
}

/** Committables prepared at each checkpoint and not yet published, by checkpoint id: this operator's checkpointed state. */
type PendingCommits<C> = [checkpointId: number, committables: C[]][];

/**
 * Two-phase commit (Flink's TwoPhaseCommittingSink): at each barrier the writer prepares what it wrote since the
 * last one; the committables go into the checkpoint, and are published when a checkpoint completes (a higher id
 * covers lower ones, and an aborted checkpoint's epoch waits for the next). A restore publishes the restored
 * checkpoint's committables again (commits are idempotent), because the crash may have come between completion and
 * publish. Without periodic checkpoints the last epoch is prepared and published at the end of input.
 */
class TransactionalSinkOperator<T, C> extends SinkOperator<T> {
  private pending: PendingCommits<C> = [];
  private committer!: Committer<C>;
  private lastCheckpointId = 0;

  constructor(private readonly transactional: TransactionalSink<T, C>) {
    super(transactional);
  }

  protected override createWriter(ctx: OperatorContext): SinkWriter<T> {
    // A start without a checkpoint replays everything: what earlier runs left unpublished goes.
    return this.transactional.createWriter(ctx, ctx.restored?.checkpointId);
  }

  override async open(ctx: OperatorContext): Promise<void> {
    await super.open(ctx);
    this.committer = this.transactional.createCommitter(ctx, ctx.restored?.checkpointId);
    await this.committer.open?.();
    const restored = ctx.restored;
    if (restored === undefined) return;
    this.lastCheckpointId = restored.checkpointId;
    const committables = (restored.states as PendingCommits<C>[]).flatMap((pending) => pending.flatMap(([, list]) => list));
    await this.committer.commit(committables);
  }

  private get transactionalWriter(): TransactionalSinkWriter<T, C> {
    return this.writer as TransactionalSinkWriter<T, C>;
  }

  override async snapshotState(checkpointId: number): Promise<PendingCommits<C>> {
    this.lastCheckpointId = checkpointId;
    const committables = await this.transactionalWriter.prepareCommit(checkpointId);
    if (committables.length > 0) this.pending.push([checkpointId, committables]);
    return this.pending.map(([id, list]) => [id, [...list]]);
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const due = this.pending.filter(([id]) => id <= checkpointId);
    if (due.length > 0) {
      await this.committer.commit(due.flatMap(([, list]) => list));
      this.pending = this.pending.filter(([id]) => id > checkpointId);
    }
    await this.committer.checkpointCompleted?.(checkpointId);
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      await this.committer?.close?.();
    }
  }

  override async finish(): Promise<void> {
    await super.finish();
    if (this.op.checkpointing) return;
    // No checkpoint will come: publish the rest now, and what earlier savepoints prepared.
    const epoch = this.lastCheckpointId + 1;
    await this.snapshotState(epoch);
    await this.notifyCheckpointComplete(epoch);
  }
}

function isTransactional<T>(sink: Sink<T>): sink is TransactionalSink<T, unknown> {
  return typeof (sink as Partial<TransactionalSink<T, unknown>>).createCommitter === 'function';
}

export const sinkOperator =
  <T>(sink: Sink<T>): OperatorFactory =>
  () =>
    (isTransactional(sink) ? new TransactionalSinkOperator(sink) : new SinkOperator(sink)) as StreamOperator;
