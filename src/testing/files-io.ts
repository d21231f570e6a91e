import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WeirError } from '../core/errors.ts';
import type { IoRun, IoRunRequest, TestIo } from './io.ts';
import { encodeInput } from './stream-records.ts';

const NEWLINE = Buffer.from('\n');

/** The params `filesIo()` passes to the job module: JSON-lines input files, and the output directory. */
export interface FilesIoParams {
  /** JSON-lines files holding the input, one record a line; read them with `FileSource.jsonLines({ paths: input })`. */
  readonly input: readonly string[];
  /** The directory for `new TransactionalFileSink({ directory: output })`; its published files are the output. */
  readonly output: string;
}

export interface FilesIoOptions {
  /** How many input files the records are split into, each a contiguous run of them (default: the parallelism). */
  readonly files?: number;
}

/**
 * Files I/O for `checkExactlyOnce`: writes the input as JSON-lines files (the records in order, split into contiguous
 * files) and passes `{ input: string[], output: string }` (FilesIoParams) to the job module, which reads the files
 * with `FileSource.jsonLines` and writes with the `TransactionalFileSink`; the output is what that sink published
 * (its `part-*` files, in the order of their checkpoints). Its record types default to any: `checkExactlyOnce` takes
 * them from its `input` and `compare`. It injects no I/O faults of its own; its mid-publish point is between two
 * files of one checkpoint's publish.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any by default: checkExactlyOnce infers the records' types from input and compare
export function filesIo<In = any, Out = any>(options: FilesIoOptions = {}): TestIo<In, Out> {
  if (options.files !== undefined && (!Number.isInteger(options.files) || options.files < 1)) {
    throw new WeirError(`filesIo: files must be a positive integer, got ${String(options.files)}`);
  }
  return {
    name: 'files',
    faultKinds: [],
    midPublishPoint: 'file-publish',
    prepare: async (request) => prepareFiles(request, options.files ?? request.parallelism),
  };
}

async function prepareFiles<In, Out>({ input, directory }: IoRunRequest<In>, files: number): Promise<IoRun<Out>> {
  const inputDir = join(directory, 'input');
  const output = join(directory, 'output');
  mkdirSync(inputDir, { recursive: true });
  mkdirSync(output, { recursive: true });
  const paths = Array.from({ length: files }, (_, file) => {
    const path = join(inputDir, `input-${file}.jsonl`);
    const records = input.slice(Math.floor((file * input.length) / files), Math.floor(((file + 1) * input.length) / files));
    // encodeInput: the JSON of a record, but the raw bytes of a poison record that events() generated.
    writeFileSync(path, Buffer.concat(records.flatMap((record) => [encodeInput(record), NEWLINE])));
    return path;
  });
  const params: FilesIoParams = { input: paths, output };
  return { params: { ...params }, readOutput: async () => publishedRecords<Out>(output) };
}

/** A transactional file sink's published file, `part-<jobId>-<runId>-<subtask>-<checkpointId>.jsonl`. */
const PUBLISHED_PART = /^part-.*-(\d+)-(\d+)\.jsonl$/;

/**
 * The records of every output file in `directory` (`part-*.jsonl`; the hidden files a transactional sink has not
 * published are not output). A transactional file sink's files come in the order each subtask published them, by
 * checkpoint id then subtask, so that a key's records (which one subtask writes) stay in order; the part files of a
 * plain `FileSink` (`part-<jobId>-<runId>-<subtask>.jsonl`) follow, by name.
 */
export function publishedRecords<T>(directory: string): T[] {
  const parts = readdirSync(directory)
    .filter((name) => name.startsWith('part-') && name.endsWith('.jsonl'))
    .map((name) => {
      const match = PUBLISHED_PART.exec(name);
      return { name, published: match !== null, checkpointId: Number(match?.[2] ?? 0), subtask: Number(match?.[1] ?? 0) };
    });
  return parts
    .sort((a, b) => Number(b.published) - Number(a.published) || a.checkpointId - b.checkpointId || a.subtask - b.subtask || (a.name < b.name ? -1 : 1))
    .flatMap(({ name }) =>
      readFileSync(join(directory, name), 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as T),
    );
}
