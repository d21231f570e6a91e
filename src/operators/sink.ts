import type { Committer, Sink, SinkWriter, TransactionalSink, TransactionalSinkWriter } from '../connectors/sink.ts';
import type { SnapshotFiles } from '../core/snapshot-files.ts';
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
 *
 * Publishing runs beside processing: a completion starts it and returns, so the next epoch's records flow while the
 * last epoch's transaction makes its round trips. Publishes run one after another, in checkpoint order. An epoch stays
 * pending (in every checkpoint taken meanwhile) until its publish succeeded, so a crash at any moment publishes it
 * again after the restore. A failed publish fails the subtask at its next call into the operator; finish and close
 * wait for the publishes under way.
 */
class TransactionalSinkOperator<T, C> extends SinkOperator<T> {
  private pending: PendingCommits<C> = [];
  private committer!: Committer<C>;
  private lastCheckpointId = 0;
  /** The newest checkpoint whose epochs a publish has been started for. */
  private publishStartedThrough = 0;
  /** The chain of publishes, in order; it never rejects: a failure is kept in `publishFailure`. */
  private publishing: Promise<void> = Promise.resolve();
  private publishFailure: { readonly error: unknown; reported: boolean } | undefined;

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
    this.publishStartedThrough = restored.checkpointId;
    // Before any input: what the restored checkpoint decided is in Kafka before anything after it.
    const committables = (restored.states as PendingCommits<C>[]).flatMap((pending) => pending.flatMap(([, list]) => list));
    await this.committer.commit(committables);
  }

  private get transactionalWriter(): TransactionalSinkWriter<T, C> {
    return this.writer as TransactionalSinkWriter<T, C>;
  }

  override endOfBatch(): void | Promise<void> {
    this.throwIfPublishFailed();
    return super.endOfBatch();
  }

  override async snapshotState(checkpointId: number, files?: SnapshotFiles): Promise<PendingCommits<C>> {
    this.throwIfPublishFailed();
    this.lastCheckpointId = checkpointId;
    const writer = this.transactionalWriter;
    const committables = await writer.prepareCommit(checkpointId, files);
    if (committables.length > 0) this.pending.push([checkpointId, committables]);
    const pending = [...this.pending];
    if (files === undefined || writer.snapshotPending === undefined) return pending.map(([id, list]) => [id, [...list]]);
    const stored: PendingCommits<C> = [];
    for (const [id, list] of pending) stored.push([id, await writer.snapshotPending(list, files)]);
    return stored;
  }

  /** Starts publishing what checkpoint `checkpointId` covers and returns; the publish runs after those started before it. */
  notifyCheckpointComplete(checkpointId: number): void {
    this.throwIfPublishFailed();
    if (checkpointId <= this.publishStartedThrough) return;
    const due = this.pending.filter(([id]) => id > this.publishStartedThrough && id <= checkpointId);
    this.publishStartedThrough = checkpointId;
    this.publishing = this.publishing.then(async () => {
      if (this.publishFailure !== undefined) return;
      try {
        if (due.length > 0) {
          const committables = due.flatMap(([, list]) => list);
          await this.committer.commit(committables);
          const published = new Set(due.map(([id]) => id));
          this.pending = this.pending.filter(([id]) => !published.has(id));
          await this.transactionalWriter.published?.(committables);
        }
        await this.committer.checkpointCompleted?.(checkpointId);
      } catch (error) {
        this.publishFailure = { error, reported: false };
      }
    });
  }

  /** Waits for the publishes under way; throws the first failure. */
  private async published(): Promise<void> {
    await this.publishing;
    this.throwIfPublishFailed();
  }

  private throwIfPublishFailed(): void {
    if (this.publishFailure === undefined) return;
    this.publishFailure.reported = true;
    throw this.publishFailure.error;
  }

  override async close(): Promise<void> {
    try {
      await this.publishing;
      await super.close();
    } finally {
      await this.committer?.close?.();
    }
    // A publish that failed after the last call into the operator still fails the subtask (and so the job's end).
    if (this.publishFailure?.reported === false) this.throwIfPublishFailed();
  }

  override async finish(): Promise<void> {
    await super.finish();
    if (this.op.checkpointing) return this.published();
    // No checkpoint will come: publish the rest now, and what earlier savepoints prepared.
    const epoch = this.lastCheckpointId + 1;
    await this.snapshotState(epoch);
    this.notifyCheckpointComplete(epoch);
    await this.published();
  }
}

function isTransactional<T>(sink: Sink<T>): sink is TransactionalSink<T, unknown> {
  return typeof (sink as Partial<TransactionalSink<T, unknown>>).createCommitter === 'function';
}

export const sinkOperator =
  <T>(sink: Sink<T>): OperatorFactory =>
  () =>
    (isTransactional(sink) ? new TransactionalSinkOperator(sink) : new SinkOperator(sink)) as StreamOperator;
