import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BadRecordError, type PollResult, type ReaderOutput, type Source, type SourceOutput, type SourceReader } from './source.ts';
import { rejectRecord } from './dead-letter.ts';
import type { Sink, SinkContext, SinkWriter } from './sink.ts';
import { claimSinkDirectory, ownRunPattern } from './sink-directory.ts';
import { WeirError } from '../core/errors.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

const READ_CHUNK_BYTES = 1 << 20;

export interface JsonLinesSourceOptions<T> {
  /** Files to read; each file is one split, spread over the source's subtasks. */
  readonly paths: readonly string[];
  /** Turns a parsed line into a record (validate here: what it throws makes the line a bad record); default: the parsed value as it is. */
  readonly parse?: (value: unknown) => T;
}

/** Where a file split stands: the byte offset of its next line, and that line's number minus one. */
export interface FileSplitPosition {
  readonly path: string;
  readonly offset: number;
  readonly line: number;
}

/** A JSON-lines reader's checkpointed position: its files not yet finished. */
export interface FileSourcePosition {
  readonly splits: readonly FileSplitPosition[];
}

/**
 * Reads JSON-lines files. Each file is a split, with watermarks of its own; file i goes to subtask i % parallelism,
 * also on a restore at another parallelism. A line that does not parse (JSON, then `parse`) or whose timestamp the
 * strategy rejects goes to the DEAD_LETTERS side output with its file and line when the job reads it, and fails the
 * job otherwise.
 */
export class JsonLinesFileSource<T> implements Source<T> {
  readonly boundedness = 'bounded';
  readonly name = 'json-lines-file';
  constructor(private readonly options: JsonLinesSourceOptions<T>) {
    if (options.paths.length === 0) throw new WeirError('a JSON-lines file source needs at least one path');
  }

  createReader(ctx: RuntimeContext, restored?: readonly unknown[]): SourceReader<T> {
    const paths = this.options.paths;
    const splits: FileSplitPosition[] =
      restored === undefined
        ? paths.map((path) => ({ path, offset: 0, line: 0 }))
        : restored.flatMap((state) => (state as FileSourcePosition).splits);
    const mine = splits
      .map((split) => {
        const index = paths.indexOf(split.path);
        if (index === -1) throw new WeirError(`the checkpoint reads file ${split.path}, which this file source no longer lists`);
        return { split, index };
      })
      .filter(({ index }) => index % ctx.parallelism === ctx.subtaskIndex)
      .sort((a, b) => a.index - b.index)
      .map(({ split }) => split);
    return new JsonLinesReader<T>(mine, this.options.parse ?? ((value) => value as T), ctx.operatorName);
  }
}

class JsonLinesReader<T> implements SourceReader<T> {
  private readonly pending: FileSplitPosition[];
  private current: FileSplitPosition | undefined;
  /** Where the current file's records go: its own split, for its own watermarks. */
  private splitOutput: SourceOutput<T> = { collect: () => {} };
  private handle: FileHandle | undefined;
  /** Bytes of the current file read into memory so far. */
  private readPosition = 0;
  /** Byte offset of the next line not yet emitted: the split's position. */
  private lineOffset = 0;
  private lineNumber = 0;
  private carry = '';
  private lines: string[] = [];
  private lineCursor = 0;
  /** The current file has no more bytes: `lines` holds its last ones. */
  private atEnd = false;
  private readonly decoder = new TextDecoder();
  private readonly chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);

  constructor(
    splits: readonly FileSplitPosition[],
    private readonly parse: (value: unknown) => T,
    /** The source's name in the job graph, for its dead letters. */
    private readonly operator: string,
  ) {
    this.pending = [...splits];
  }

  async poll(output: ReaderOutput<T>, max: number): Promise<PollResult> {
    let emitted = 0;
    while (emitted < max) {
      if (this.lineCursor < this.lines.length) {
        const line = this.lines[this.lineCursor++]!;
        this.lineNumber++;
        // Lines of a chunk ended with a newline; the line left at the end of the file did not.
        this.lineOffset += Buffer.byteLength(line) + (this.atEnd ? 0 : 1);
        if (line.trim().length === 0) continue;
        // The position is past the line already: a bad line dead-lettered here is never read again after a restore.
        this.emitLine(line, output);
        emitted++;
        continue;
      }
      if (!(await this.readMore(output))) return 'end';
    }
    return 'more';
  }

  snapshotState(): FileSourcePosition {
    const current = this.current === undefined ? [] : [{ path: this.current.path, offset: this.lineOffset, line: this.lineNumber }];
    return { splits: [...current, ...this.pending] };
  }

  /** Emits a line's record, or rejects the line; errors of the operators after the source pass through. */
  private emitLine(line: string, output: ReaderOutput<T>): void {
    let record: T;
    try {
      record = this.parse(JSON.parse(line));
    } catch (error) {
      this.reject(line, error, output);
      return;
    }
    try {
      this.splitOutput.collect(record);
    } catch (error) {
      if (!(error instanceof BadRecordError)) throw error;
      this.reject(line, error, output);
    }
  }

  private reject(line: string, error: unknown, output: ReaderOutput<T>): void {
    const source = { kind: 'file', path: this.current!.path, line: this.lineNumber } as const;
    rejectRecord(output, this.operator, { source, error, preview: line, value: Buffer.from(line) });
  }

  /** Loads the next lines; false when every file is read. */
  private async readMore(output: ReaderOutput<T>): Promise<boolean> {
    for (;;) {
      if (this.current === undefined) {
        const next = this.pending.shift();
        if (next === undefined) return false;
        this.current = next;
        this.splitOutput = output.forSplit(next.path);
        this.handle = await open(next.path, 'r');
        this.readPosition = this.lineOffset = next.offset;
        this.lineNumber = next.line;
        this.carry = '';
        this.atEnd = false;
      } else if (this.atEnd) {
        // Every line of the file was emitted: the split is done.
        await this.handle!.close();
        this.handle = undefined;
        output.releaseSplit(this.current.path);
        this.current = undefined;
        continue;
      }
      const { bytesRead } = await this.handle!.read(this.chunk, 0, READ_CHUNK_BYTES, this.readPosition);
      this.lineCursor = 0;
      if (bytesRead > 0) {
        this.readPosition += bytesRead;
        const text = this.carry + this.decoder.decode(this.chunk.subarray(0, bytesRead), { stream: true });
        const lines = text.split('\n');
        this.carry = lines.pop()!;
        this.lines = lines;
        return true;
      }
      const rest = this.carry + this.decoder.decode();
      this.carry = '';
      this.atEnd = true;
      this.lines = rest.length === 0 ? [] : [rest];
      if (this.lines.length > 0) return true;
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
  }
}

export interface JsonLinesSinkOptions<T> {
  /**
   * Directory for the part files, `part-<jobId>-<runId>-<subtask>.jsonl`: a run (a start without a checkpoint to
   * restore) never writes over another's files. The directory belongs to one job id (its `.weir-sink.json` says
   * which): another job's sink refuses it, unless `replace` is set.
   */
  readonly directory: string;
  readonly format?: (record: T) => string;
  /** Take over a directory that another job id writes, deleting that job's part files. */
  readonly replace?: boolean;
}

/** Writes one JSON line per record into a part file per subtask; appends once per batch, fsyncs at the end. */
export class JsonLinesFileSink<T> implements Sink<T> {
  readonly name = 'json-lines-file';
  constructor(private readonly options: JsonLinesSinkOptions<T>) {}

  createWriter(ctx: SinkContext): SinkWriter<T> {
    const format = this.options.format ?? ((record: T) => JSON.stringify(record));
    const { directory, replace } = this.options;
    const path = join(directory, `part-${ctx.jobId}-${ctx.runId}-${ctx.subtaskIndex}.jsonl`);
    const ownPart = new RegExp(`^part-${ownRunPattern(ctx.jobId)}-\\d+\\.jsonl$`);
    let fd: number | undefined;
    let lines = '';
    const flush = (): void => {
      if (lines.length === 0 || fd === undefined) return;
      writeSync(fd, lines);
      lines = '';
    };
    return {
      open: async () => {
        const isOutputFile = (name: string): boolean => name.startsWith('part-') && name.endsWith('.jsonl') && !ownPart.test(name);
        await claimSinkDirectory(directory, ctx, { replace, isOutputFile });
        fd = openSync(path, 'w');
      },
      write: (record) => {
        lines += `${format(record)}\n`;
      },
      flush,
      finish: () => {
        flush();
        if (fd !== undefined) fsyncSync(fd);
      },
      close: () => {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    };
  }
}

export const FileSource = {
  jsonLines: <T>(options: JsonLinesSourceOptions<T>): JsonLinesFileSource<T> => new JsonLinesFileSource(options),
};

export const FileSink = {
  jsonLines: <T>(options: JsonLinesSinkOptions<T>): JsonLinesFileSink<T> => new JsonLinesFileSink(options),
};
