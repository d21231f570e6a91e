import { randomBytes } from 'node:crypto';
import { link, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../core/durable-fs.ts';
import { faultPoint } from '../core/fault-points.ts';
import { claimSinkDirectory, ownRunPattern } from './sink-directory.ts';
import type { Committer, SinkContext, TransactionalSink, TransactionalSinkWriter } from './sink.ts';

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
   * Directory of the published files `part-<jobId>-<runId>-<subtask>-<checkpointId>.jsonl`; in-progress files are
   * hidden (`.`). The run id is chosen at the job's first start and kept in its checkpoints, so a restore goes on
   * with the same names and another run never overwrites them. The directory belongs to one job id (its
   * `.weir-sink.json` says which): another job's sink refuses it, unless `replace` is set.
   */
  readonly directory: string;
  readonly format?: (record: T) => string;
  /** Take over a directory that another job id writes, deleting that job's output (its part files and unfinished files). */
  readonly replace?: boolean;
}

/** The part of a hidden file's name that says which writer made it: the instance (process start), then the writer. */
const WRITER = '([0-9a-z]{13})-([0-9a-f]{8})';
/** `.inprogress-<subtask>-<writer>.jsonl` while an epoch is written, `.pending-<subtask>-<checkpoint>-<writer>.jsonl` once prepared. */
const IN_PROGRESS = new RegExp(`^\\.inprogress-(\\d+)-${WRITER}\\.jsonl$`);
const PENDING = new RegExp(`^\\.pending-(\\d+)-(\\d+)-${WRITER}\\.jsonl$`);
/** Hidden files of earlier weir versions, named without a writer. */
const OLDER_HIDDEN = /^\.(inprogress|pending)-\d+-.*\.jsonl$/;

interface HiddenFile {
  readonly subtask: number;
  /** Pending files: the checkpoint they were prepared for. */
  readonly checkpointId: number | undefined;
  readonly instance: string;
  readonly writer: string;
}

function parseHidden(name: string): HiddenFile | undefined {
  const inProgress = IN_PROGRESS.exec(name);
  if (inProgress !== null) return { subtask: Number(inProgress[1]), checkpointId: undefined, instance: inProgress[2]!, writer: `${inProgress[2]}-${inProgress[3]}` };
  const pending = PENDING.exec(name);
  if (pending !== null) return { subtask: Number(pending[1]), checkpointId: Number(pending[2]), instance: pending[3]!, writer: `${pending[3]}-${pending[4]}` };
  return undefined;
}

/**
 * Exactly-once JSON-lines files: each subtask writes the records of an epoch (between two barriers) to a hidden
 * in-progress file; at the barrier the file is fsynced, closed and renamed to a hidden pending name, and when the
 * checkpoint completes it is published as `part-<jobId>-<runId>-<subtask>-<checkpointId>.jsonl`. Readers of the
 * directory see whole epochs of completed checkpoints only.
 *
 * Hidden files are named by their writer (instance and attempt), so an instance never writes over another's. An
 * instance removes what its own earlier attempts left after the checkpoint it replays from, and, once a checkpoint of
 * its own completed (so it owns the job's checkpoints and instances started before it can publish nothing more),
 * what those earlier instances left; never a file of an instance started after it.
 */
export class TransactionalFileSink<T> implements TransactionalSink<T, FileCommittable> {
  readonly name = 'transactional-file';
  constructor(private readonly options: TransactionalFileSinkOptions<T>) {}

  createWriter(ctx: SinkContext, replayFrom = 0): TransactionalSinkWriter<T, FileCommittable> {
    const format = this.options.format ?? ((record: T) => JSON.stringify(record));
    return new EpochFileWriter<T>(this.options, ctx, format, replayFrom);
  }

  createCommitter(ctx: SinkContext): Committer<FileCommittable> {
    return new FileCommitter(this.options.directory, ctx);
  }
}

class EpochFileWriter<T> implements TransactionalSinkWriter<T, FileCommittable> {
  private handle: FileHandle | undefined;
  private path: string | undefined;
  private lines = '';
  private readonly directory: string;
  /** Names this writer's hidden files: this instance, then this attempt's writer. */
  private readonly writer: string;

  constructor(
    private readonly options: TransactionalFileSinkOptions<T>,
    private readonly ctx: SinkContext,
    private readonly format: (record: T) => string,
    private readonly replayFrom: number,
  ) {
    this.directory = options.directory;
    this.writer = `${ctx.instanceId}-${randomBytes(4).toString('hex')}`;
  }

  async open(): Promise<void> {
    const ctx = this.ctx;
    const ownPart = new RegExp(`^part-${ownRunPattern(ctx.jobId)}-\\d+-\\d+\\.jsonl$`);
    await claimSinkDirectory(this.directory, ctx, {
      replace: this.options.replace,
      // Another job's: its part files, and hidden files of instances started before this one (or of older versions).
      isOutputFile: (name) =>
        (name.startsWith('part-') && name.endsWith('.jsonl') && !ownPart.test(name)) ||
        OLDER_HIDDEN.test(name) ||
        (parseHidden(name)?.instance ?? ctx.instanceId) < ctx.instanceId,
    });
    // This instance's earlier attempts wrote records after the checkpoint replayed from, which are written again. Each
    // subtask clears those of the old subtasks that map to it, so that every file is cleared by exactly one.
    for (const name of await readdir(this.directory)) {
      const hidden = parseHidden(name);
      if (hidden === undefined || hidden.instance !== ctx.instanceId || hidden.writer === this.writer) continue;
      const after = hidden.checkpointId === undefined || hidden.checkpointId > this.replayFrom;
      if (after && hidden.subtask % ctx.parallelism === ctx.subtaskIndex) await rm(join(this.directory, name), { force: true });
    }
  }

  write(record: T): void {
    this.lines += `${this.format(record)}\n`;
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    if (this.handle === undefined) {
      this.path = join(this.directory, `.inprogress-${this.ctx.subtaskIndex}-${this.writer}.jsonl`);
      // Exclusive: a name is one writer's, once.
      this.handle = await open(this.path, 'wx');
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
    const { subtaskIndex, jobId, runId } = this.ctx;
    const from = `.pending-${subtaskIndex}-${checkpointId}-${this.writer}.jsonl`;
    await rename(this.path!, join(this.directory, from));
    await syncDirectory(this.directory);
    this.handle = undefined;
    this.path = undefined;
    return [{ from, to: `part-${jobId}-${runId}-${subtaskIndex}-${checkpointId}.jsonl` }];
  }

  async close(): Promise<void> {
    // Unprepared records stay in the hidden file: the next attempt replays them and clears it.
    await this.handle?.close();
    this.handle = undefined;
  }
}

class FileCommitter implements Committer<FileCommittable> {
  private clearedEarlierInstances = false;

  constructor(
    private readonly directory: string,
    private readonly ctx: SinkContext,
  ) {}

  /**
   * Publishes by a hard link to the final name, then removes the pending name: a link never replaces an existing file,
   * and a crash between the two leaves both names, which the next commit (after the restore) settles.
   */
  async commit(committables: readonly FileCommittable[]): Promise<void> {
    const published: string[] = [];
    for (const committable of committables) {
      const from = join(this.directory, committable.from);
      const to = join(this.directory, committable.to);
      try {
        await link(from, to);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          if (await exists(to)) continue; // published before
          throw new Error(`cannot publish ${to}: neither it nor its prepared file ${from} exists`);
        }
        if (code !== 'EEXIST') throw error; // EEXIST: published before a crash that left the pending name too
      }
      published.push(from);
      // Mid-publish: some of the epoch's files are out, the rest not yet (weir/testing's 'mid-publish' faults).
      faultPoint('file-publish');
    }
    if (published.length === 0) return;
    // The final names are durable before the pending names go.
    await syncDirectory(this.directory);
    for (const from of published) await rm(from, { force: true });
    await syncDirectory(this.directory);
  }

  async abort(committables: readonly FileCommittable[]): Promise<void> {
    for (const { from } of committables) await rm(join(this.directory, from), { force: true });
  }

  /** Once per attempt, at its first completed checkpoint: what instances started before this one left unpublished goes. */
  async checkpointCompleted(): Promise<void> {
    if (this.clearedEarlierInstances) return;
    this.clearedEarlierInstances = true;
    const { instanceId, parallelism, subtaskIndex } = this.ctx;
    for (const name of await readdir(this.directory)) {
      const hidden = parseHidden(name);
      if (hidden === undefined || hidden.instance >= instanceId || hidden.subtask % parallelism !== subtaskIndex) continue;
      await rm(join(this.directory, name), { force: true });
    }
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
