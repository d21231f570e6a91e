import { writeSync } from 'node:fs';
import type { Sink, SinkWriter } from './sink.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

export interface ConsoleSinkOptions<T> {
  /** One line per record; default JSON. */
  readonly format?: (record: T) => string;
  /** Prefix each line with the subtask ("2> "), as Flink's print() does at parallelism > 1. */
  readonly prefixSubtask?: boolean;
}

/**
 * Prints records to stdout, one line each. Writes synchronously to fd 1 once per batch: a worker thread's
 * process.stdout is an async pipe through the main thread and could lose lines at exit.
 */
export class ConsoleSink<T> implements Sink<T> {
  readonly name = 'console';
  constructor(private readonly options: ConsoleSinkOptions<T> = {}) {}

  createWriter(ctx: RuntimeContext): SinkWriter<T> {
    const format = this.options.format ?? ((record: T) => JSON.stringify(record));
    const prefix = this.options.prefixSubtask === true && ctx.parallelism > 1 ? `${ctx.subtaskIndex + 1}> ` : '';
    let lines = '';
    const flush = (): void => {
      if (lines.length === 0) return;
      writeSync(1, lines);
      lines = '';
    };
    return {
      write: (record) => {
        lines += `${prefix}${format(record)}\n`;
      },
      flush,
      finish: flush,
    };
  }
}
