import { BadRecordError, type PollResult, type ReaderOutput, type Source, type SourceReader } from './source.ts';
import { rejectRecord } from './dead-letter.ts';
import type { Sink, SinkWriter } from './sink.ts';
import { sendToCoordinator } from '../core/coordinator-link.ts';
import type { RuntimeContext } from '../core/runtime-context.ts';

/** An elements reader's checkpointed position: the index of the next element to emit. */
interface ElementsPosition {
  readonly next: number;
}

/**
 * A bounded source of records held in the job module; one subtask reads them in order. An element whose timestamp the
 * strategy rejects is a dead letter with its index, as the generator's.
 */
export class ElementsSource<T> implements Source<T> {
  readonly boundedness = 'bounded';
  readonly name = 'elements';
  readonly maxParallelism = 1;
  readonly expectedRecords: number;
  constructor(private readonly elements: readonly T[]) {
    this.expectedRecords = elements.length;
  }

  createReader(ctx: RuntimeContext, restored?: readonly unknown[]): SourceReader<T> {
    const elements = this.elements;
    // One reader (maxParallelism 1): a restore goes on after the last element its checkpoint had emitted.
    let next = restored === undefined ? 0 : Math.max(0, ...restored.map((state) => (state as ElementsPosition).next));
    return {
      snapshotState: (): ElementsPosition => ({ next }),
      poll(output: ReaderOutput<T>, max: number): PollResult {
        const end = Math.min(elements.length, next + max);
        for (; next < end; next++) {
          const element = elements[next] as T;
          try {
            output.collect(element);
          } catch (error) {
            if (!(error instanceof BadRecordError)) throw error;
            rejectRecord(output, ctx.operatorName, { source: { kind: 'elements', index: next }, error, preview: element });
          }
        }
        return next < elements.length ? 'more' : 'end';
      },
    };
  }
}

/**
 * Sends every record to the coordinator, which returns them from `runJob` under the sink's name.
 * For tests and small results only: the records cross to the main thread. Each batch is sent with the last checkpoint
 * barrier the sink passed, so that when the job restarts from checkpoint n, what arrived after barrier n is dropped
 * (the restart sends it again): the output holds what the job's successful chain of attempts published, once.
 */
export class CollectSink<T> implements Sink<T> {
  constructor(readonly name: string) {}

  createWriter(ctx: RuntimeContext): SinkWriter<T> {
    const sink = this.name;
    let buffer: T[] = [];
    let afterCheckpoint: number | undefined;
    const flush = (): void => {
      if (buffer.length === 0) return;
      sendToCoordinator({ type: 'collect', sink, subtask: ctx.subtaskIndex, records: buffer, afterCheckpoint });
      buffer = [];
    };
    return {
      write: (record) => void buffer.push(record),
      flush,
      prepareSnapshot: async (checkpointId) => {
        flush();
        afterCheckpoint = checkpointId;
      },
      finish: flush,
    };
  }
}

/** Drops every record: the end of benchmark pipelines. */
export class DiscardingSink<T> implements Sink<T> {
  readonly name = 'discard';
  createWriter(): SinkWriter<T> {
    return { write: () => {} };
  }
}
