import { writeSync } from 'node:fs';
import type { Sink, SinkWriter } from './sink.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

export interface ConsoleSinkOptions<T> {
  /** One line per record; default JSON. */
  readonly format?: (record: T) => string;
  /** Prefix each line with the subtask ("2> "), as Flink's print() does at parallelism > 1. */
  readonly prefixSubtask?: boolean;
  /** Prefix each line with this name (`name> `, or `name:2> ` with the subtask), as Flink's print(name) does. */
  readonly identifier?: string;
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
    const subtask = this.options.prefixSubtask === true && ctx.parallelism > 1 ? `${ctx.subtaskIndex + 1}` : '';
    const identifier = this.options.identifier ?? '';
    const prefix = subtask === '' && identifier === '' ? '' : `${identifier}${identifier !== '' && subtask !== '' ? ':' : ''}${subtask}> `;
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
