import { WeirError } from '../core/errors.ts';
import type { IoRun, TestIo } from './io.ts';

/** The params `memoryIo()` passes to the job module: the input records themselves, and the name of its CollectSink. */
export interface MemoryIoParams {
  /** The records, in order: `env.fromSource(new ElementsSource(params.input), strategy)`: one subtask reads them, the rest of the job runs at its parallelism. */
  readonly input: readonly unknown[];
  /** The name of the sink to write the output with: `new CollectSink(params.output)`. */
  readonly output: string;
}

/** The CollectSink name memoryIo reads the output from. */
const OUTPUT = 'check-output';

/**
 * In-memory I/O for `checkExactlyOnce`: the job runs inside the test's own process (`runJob`, on worker threads), reads
 * its input from its params (`new ElementsSource(params.input)`) and writes it to `new CollectSink(params.output)`,
 * whose records the coordinator of the test's process keeps: what the job's chain of attempts published, once. Nothing
 * held in memory outlives a process, so it takes only the faults that keep the process: `throw` at a user function and
 * `exit-thread` (at a user function, during alignment or an asynchronous snapshot). A kill, a second instance and the
 * commit gap need a process of the job's own: use `filesIo()` or `kafkaIo()` for them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any by default: checkExactlyOnce infers the records' types from input and compare
export function memoryIo<In = any, Out = any>(): TestIo<In, Out> {
  return {
    name: 'memory',
    faultKinds: [],
    midPublishPoint: '',
    inProcess: true,
    prepare: async ({ input }): Promise<IoRun<Out>> => {
      const params: MemoryIoParams = { input, output: OUTPUT };
      return {
        params: { ...params },
        readOutput: async (collected) => {
          if (collected === undefined) throw new WeirError('memoryIo: the job ran in another process, its output is not here');
          const output = collected.get(OUTPUT);
          if (output === undefined) throw new WeirError(`memoryIo: the job wrote nothing to new CollectSink(params.output) ('${OUTPUT}'): is that its sink?`);
          return output as Out[];
        },
      };
    },
  };
}
