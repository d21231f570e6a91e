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
 * (its `part-*` files, in the order of their checkpoints). It injects no I/O faults of its own; its mid-publish point is between two
 * files of one checkpoint's publish.
 */
export function filesIo<In = unknown, Out = unknown>(options: FilesIoOptions = {}): TestIo<In, Out> {
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

/** `part-<jobId>-<runId>-<subtask>-<checkpointId>.jsonl`: the subtask and the checkpoint id. */
const PART_NAME = /^part-.*-(\d+)-(\d+)\.jsonl$/;

/**
 * The records of every file a transactional file sink published in `directory` (`part-*`), in the order each subtask
 * published them: by checkpoint id, then subtask. A key's records go through one subtask, so they stay in order.
 */
export function publishedRecords<T>(directory: string): T[] {
  const parts = readdirSync(directory).flatMap((name) => {
    const match = PART_NAME.exec(name);
    return match === null ? [] : [{ name, subtask: Number(match[1]), checkpointId: Number(match[2]) }];
  });
  return parts
    .sort((a, b) => a.checkpointId - b.checkpointId || a.subtask - b.subtask)
    .map(({ name }) => name)
    .flatMap((name) =>
      readFileSync(join(directory, name), 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as T),
    );
}
