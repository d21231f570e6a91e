import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimeContext } from '../api/functions.ts';
import type { PollResult, Source, SourceOutput, SourceReader } from './source.ts';
import type { Sink, SinkWriter } from './sink.ts';
import { WeirError, describeError } from '../runtime/errors.ts';

const READ_CHUNK_BYTES = 1 << 20;

export interface JsonLinesSourceOptions<T> {
  /** Files to read; each file is one split, spread over the source's subtasks. */
  readonly paths: readonly string[];
  /** Turns a parsed line into a record (validate here); default: the parsed value as it is. */
  readonly parse?: (value: unknown) => T;
}

/** Reads JSON-lines files. A line that is not JSON fails the job with its file and line number. */
export class JsonLinesFileSource<T> implements Source<T> {
  readonly boundedness = 'bounded';
  readonly name = 'json-lines-file';
  constructor(private readonly options: JsonLinesSourceOptions<T>) {
    if (options.paths.length === 0) throw new WeirError('a JSON-lines file source needs at least one path');
  }

  createReader(ctx: RuntimeContext): SourceReader<T> {
    const mine = this.options.paths.filter((_, i) => i % ctx.parallelism === ctx.subtaskIndex);
    return new JsonLinesReader<T>(mine, this.options.parse ?? ((value) => value as T));
  }
}

class JsonLinesReader<T> implements SourceReader<T> {
  private fileIndex = 0;
  private handle: FileHandle | undefined;
  private position = 0;
  private lineNumber = 0;
  private carry = '';
  private lines: string[] = [];
  private lineCursor = 0;
  private readonly decoder = new TextDecoder();
  private readonly chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);

  constructor(
    private readonly paths: readonly string[],
    private readonly parse: (value: unknown) => T,
  ) {}

  async poll(output: SourceOutput<T>, max: number): Promise<PollResult> {
    let emitted = 0;
    while (emitted < max) {
      if (this.lineCursor < this.lines.length) {
        const line = this.lines[this.lineCursor++]!;
        this.lineNumber++;
        if (line.trim().length === 0) continue;
        output.collect(this.parseLine(line));
        emitted++;
        continue;
      }
      if (!(await this.readMore())) return 'end';
    }
    return 'more';
  }

  private parseLine(line: string): T {
    try {
      return this.parse(JSON.parse(line));
    } catch (error) {
      throw new WeirError(`bad record in ${this.paths[this.fileIndex]}:${this.lineNumber}: ${describeError(error)}`);
    }
  }

  /** Loads the next chunk of lines; false when every file is read. */
  private async readMore(): Promise<boolean> {
    while (this.fileIndex < this.paths.length) {
      this.handle ??= await open(this.paths[this.fileIndex]!, 'r');
      const { bytesRead } = await this.handle.read(this.chunk, 0, READ_CHUNK_BYTES, this.position);
      if (bytesRead > 0) {
        this.position += bytesRead;
        const text = this.carry + this.decoder.decode(this.chunk.subarray(0, bytesRead), { stream: true });
        const lines = text.split('\n');
        this.carry = lines.pop()!;
        this.lines = lines;
        this.lineCursor = 0;
        return true;
      }
      const rest = this.carry + this.decoder.decode();
      await this.handle.close();
      this.handle = undefined;
      this.position = 0;
      this.carry = '';
      if (rest.trim().length > 0) {
        this.lines = [rest];
        this.lineCursor = 0;
        this.fileIndex++;
        this.lineNumber = 0;
        return true;
      }
      this.fileIndex++;
      this.lineNumber = 0;
    }
    return false;
  }

  async close(): Promise<void> {
    await this.handle?.close();
  }
}

export interface JsonLinesSinkOptions<T> {
  /** Directory for the part files: part-<subtask>.jsonl. */
  readonly directory: string;
  readonly format?: (record: T) => string;
}

/** Writes one JSON line per record into part-<subtask>.jsonl files; appends once per batch, fsyncs at the end. */
export class JsonLinesFileSink<T> implements Sink<T> {
  readonly name = 'json-lines-file';
  constructor(private readonly options: JsonLinesSinkOptions<T>) {}

  createWriter(ctx: RuntimeContext): SinkWriter<T> {
    const format = this.options.format ?? ((record: T) => JSON.stringify(record));
    const path = join(this.options.directory, `part-${ctx.subtaskIndex}.jsonl`);
    let fd: number | undefined;
    let lines = '';
    const flush = (): void => {
      if (lines.length === 0 || fd === undefined) return;
      writeSync(fd, lines);
      lines = '';
    };
    return {
      open: () => {
        mkdirSync(this.options.directory, { recursive: true });
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
