import type { Source } from '../connectors/source.ts';
import { describeError, JobDefinitionError, WeirError } from '../core/errors.ts';

/**
 * A start with empty state whose sources find that an earlier run of the job has read their input (Kafka offsets its
 * checkpoints committed) is refused: they would go on from there without the state built from what came before, and
 * the results would be wrong without a word. Asked on the coordinator, before any worker or sink opens, so that a
 * refused start writes nothing and fails once (no restart can help).
 */

/** What the sources found of an earlier run, one sentence each; empty when nothing. */
export async function earlierRunTraces(jobId: string, sources: readonly Source<unknown>[]): Promise<string[]> {
  const traces: string[] = [];
  for (const source of sources) {
    let trace: string | undefined;
    try {
      trace = await source.earlierRun?.();
    } catch (error) {
      throw new WeirError(`job '${jobId}' cannot start: looking for what an earlier run left in source ${source.name} failed: ${describeError(error)}`, { cause: error });
    }
    if (trace !== undefined) traces.push(trace);
  }
  return traces;
}

/** The refusal, saying what was found and what to do; `found`: what the start found to restore, as "no checkpoint of job X in DIR". */
export function continuingEarlierRunError(jobId: string, found: string, traces: readonly string[]): JobDefinitionError {
  return new JobDefinitionError(
    `job '${jobId}' would start with empty state (${found}, no savepoint), but an earlier run of it has read its input: ` +
      `${traces.join('; ')}. Starting from there would continue that input without the state built from what came before ` +
      `(wrong results). Restore that state: --checkpoint-dir (and --job-id) of the earlier run, or --from-savepoint DIR; ` +
      `or start from those offsets with empty state: --allow-fresh-start (runJob option allowFreshStart); ` +
      `or read the input again from its start: another groupId, or startFrom 'earliest'`,
    { fatal: true },
  );
}
