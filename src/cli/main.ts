import { parseCommand, USAGE, UsageError } from './args.ts';
import { runJob } from '../runtime/coordinator.ts';
import { WeirError } from '../runtime/errors.ts';

/** `weir <command>`: returns the exit code; errors become one line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command.command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (command.checkpointDir !== undefined || command.fromSavepoint !== undefined || command.jobId !== undefined) {
      throw new UsageError('--job-id, --checkpoint-dir and --from-savepoint need checkpointing, which this build does not have yet');
    }
    await runJob({
      jobModule: command.job,
      params: command.params,
      ...(command.parallelism === undefined ? {} : { parallelism: command.parallelism }),
      ...(command.metricsPort === undefined ? {} : { metricsPort: command.metricsPort }),
    });
    return 0;
  } catch (error) {
    const line = error instanceof WeirError || error instanceof UsageError ? error.message : `unexpected error: ${String(error)}`;
    process.stderr.write(`weir: ${line.split('\n')[0]}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
