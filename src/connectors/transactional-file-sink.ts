import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../core/durable-fs.ts';
import type { Committer, SinkContext, TransactionalSink, TransactionalSinkWriter } from './sink.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

/**
 * What publishing one epoch's file takes: move it from its hidden pending name to its final name. Names are relative
 * to the sink's directory, so that a checkpoint stays valid when the directory moves with it.
 */
export interface FileCommittable {
  readonly from: string;
  readonly to: string;
}

export interface TransactionalFileSinkOptions<T> {
  /**
   * Directory of the published files `part-<subtask>-<checkpointId>.jsonl`; in-progress files are hidden (`.`). It
   * belongs to this sink: a start clears the unpublished files that earlier runs left after the checkpoint it starts
   * from (all of them when it starts without one), since their records are written again.
   */
  readonly directory: string;
  readonly format?: (record: T) => string;
}

/** Hidden files: `.inprogress-<subtask>-<uuid>.jsonl` while an epoch is written, `.pending-<subtask>-<checkpoint>.jsonl` once prepared. */
const IN_PROGRESS = /^\.inprogress-(\d+)-/;
const PENDING = /^\.pending-(\d+)-(\d+)\.jsonl$/;

/**
 * Exactly-once JSON-lines files: each subtask writes the records of an epoch (between two barriers) to a hidden
 * in-progress file; at the barrier the file is fsynced, closed and renamed to a hidden pending name, and when the
 * checkpoint completes it is renamed to `part-<subtask>-<checkpointId>.jsonl`. Readers of the directory see whole
 * epochs of completed checkpoints only.
 */
export class TransactionalFileSink<T> implements TransactionalSink<T, FileCommittable> {
  readonly name = 'transactional-file';
  constructor(private readonly options: TransactionalFileSinkOptions<T>) {}

  createWriter(ctx: SinkContext, replayFrom = 0): TransactionalSinkWriter<T, FileCommittable> {
    const format = this.options.format ?? ((record: T) => JSON.stringify(record));
    return new EpochFileWriter<T>(this.options.directory, ctx, format, replayFrom);
  }

  createCommitter(): Committer<FileCommittable> {
    return new FileCommitter(this.options.directory);
  }
}

class EpochFileWriter<T> implements TransactionalSinkWriter<T, FileCommittable> {
  private handle: FileHandle | undefined;
  private path: string | undefined;
  private lines = '';

  constructor(
    private readonly directory: string,
    private readonly ctx: RuntimeContext,
    private readonly format: (record: T) => string,
    private readonly replayFrom: number,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    // Earlier attempts' files after the checkpoint replayed from hold records that are written again: they go. Each new
    // subtask clears those of the old subtasks that map to it, so every file is cleared by exactly one.
    for (const name of await readdir(this.directory)) {
      const inProgress = IN_PROGRESS.exec(name);
      const pending = PENDING.exec(name);
      const owner = Number((inProgress ?? pending)?.[1] ?? -1);
      const after = inProgress !== null || (pending !== null && Number(pending[2]) > this.replayFrom);
      if (after && owner % this.ctx.parallelism === this.ctx.subtaskIndex) await rm(join(this.directory, name), { force: true });
    }
  }

  write(record: T): void {
    this.lines += `${this.format(record)}\n`;
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    if (this.handle === undefined) {
      this.path = join(this.directory, `.inprogress-${this.ctx.subtaskIndex}-${randomUUID()}.jsonl`);
      this.handle = await open(this.path, 'w');
    }
    const lines = this.lines;
    this.lines = '';
    await this.handle.write(lines);
  }

  async prepareCommit(checkpointId: number): Promise<FileCommittable[]> {
    await this.flush();
    if (this.handle === undefined) return [];
    await this.handle.sync();
    await this.handle.close();
    const subtask = this.ctx.subtaskIndex;
    const from = `.pending-${subtask}-${checkpointId}.jsonl`;
    await rename(this.path!, join(this.directory, from));
    await syncDirectory(this.directory);
    this.handle = undefined;
    this.path = undefined;
    return [{ from, to: `part-${subtask}-${checkpointId}.jsonl` }];
  }

  async close(): Promise<void> {
    // Unprepared records stay in the hidden file: the next attempt replays them and clears it.
    await this.handle?.close();
    this.handle = undefined;
  }
}

class FileCommitter implements Committer<FileCommittable> {
  constructor(private readonly directory: string) {}

  async commit(committables: readonly FileCommittable[]): Promise<void> {
    let renamed = false;
    for (const committable of committables) {
      const from = join(this.directory, committable.from);
      const to = join(this.directory, committable.to);
      if (await exists(from)) {
        await rename(from, to);
        renamed = true;
      } else if (!(await exists(to))) {
        throw new Error(`cannot publish ${to}: neither it nor its prepared file ${from} exists`);
      }
    }
    if (renamed) await syncDirectory(this.directory);
  }

  async abort(committables: readonly FileCommittable[]): Promise<void> {
    for (const { from } of committables) await rm(join(this.directory, from), { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
