import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonAnswer, type Route } from '../../observe/http-server.ts';
import type { JobObservations } from '../observations.ts';
import type { CheckpointHistoryEntry, RestoredCheckpoint } from '../../checkpoint/checkpoint-history.ts';
import type { DeadLetterCount, KafkaSourceLag } from '../observation-types.ts';

/** The answer of `GET /job/checkpoints`. */
export interface CheckpointsAnswer {
  readonly counts: { readonly completed: number; readonly failed: number; readonly inProgress: number };
  readonly latestCompleted: CheckpointHistoryEntry | null;
  readonly restored: RestoredCheckpoint | null;
  /** Newest last; each completed row says whether its directory is still there (retention removes old ones). */
  readonly history: readonly (CheckpointHistoryEntry & { readonly retained: boolean })[];
}

/** The answer of `GET /job/kafka-lag`. */
export interface KafkaLagAnswer {
  /** Over every source and partition. */
  readonly lag: number;
  readonly sources: readonly KafkaSourceLag[];
}

/** The answer of `GET /job/dead-letters`. */
export interface DeadLettersAnswer {
  readonly total: number;
  readonly operators: readonly { readonly operatorId: string; readonly operator: string; readonly count: number }[];
  readonly byReason: readonly DeadLetterCount[];
}

/**
 * What the running job knows about itself, as read-only JSON routes (docs/operations.md, REST routes), each a view
 * of one snapshot of the job's observations.
 */
export function observationRoutes(observations: JobObservations): Route[] {
  return [
    {
      method: 'GET',
      path: '/job/graph',
      description: 'the job graph: vertices (operators chained, parallelism), edges, and per vertex and subtask records in/out, rates, busy/backpressured/idle time, watermarks',
      answer: () => jsonAnswer(observations.snapshot().graph),
    },
    {
      method: 'GET',
      path: '/job/checkpoints',
      description: 'checkpoint counts, history (id, kind, status, trigger time, duration, size, alignment, failure), latest completed, restored',
      answer: async () => jsonAnswer(await checkpointsView(observations)),
    },
    {
      method: 'GET',
      path: '/job/watermarks',
      description: 'input and output watermark per operator subtask; per source subtask, each split',
      answer: () => jsonAnswer(observations.snapshot().watermarks),
    },
    {
      method: 'GET',
      path: '/job/kafka-lag',
      description: 'per Kafka source, topic and partition (and cluster): committed offset, log end offset, lag, commit latency',
      answer: () => {
        const sources = observations.snapshot().kafkaLag;
        const answer: KafkaLagAnswer = { lag: sources.reduce((sum, source) => sum + source.lag, 0), sources };
        return jsonAnswer(answer);
      },
    },
    {
      method: 'GET',
      path: '/job/dead-letters',
      description: "records sources sent to their dead letters, per operator and reason (the error's name)",
      answer: () => {
        const snapshot = observations.snapshot();
        const perOperator = snapshot.operators
          .filter((operator) => operator.kind === 'source')
          .map((operator) => ({ operatorId: operator.operatorId, operator: operator.name, count: operator.subtasks.reduce((sum, subtask) => sum + subtask.deadLetters, 0) }));
        const answer: DeadLettersAnswer = { total: perOperator.reduce((sum, entry) => sum + entry.count, 0), operators: perOperator, byReason: snapshot.deadLetters };
        return jsonAnswer(answer);
      },
    },
  ];
}

/** The checkpoint history; each completed row says whether its directory is still there (retention removes old ones). */
async function checkpointsView(observations: JobObservations): Promise<CheckpointsAnswer> {
  const { checkpoints } = observations.snapshot();
  const history = await Promise.all(checkpoints.history.map(async (entry) => ({ ...entry, retained: await retained(entry) })));
  return {
    counts: checkpoints.counts,
    latestCompleted: checkpoints.latestCompleted ?? null,
    restored: checkpoints.restore ?? null,
    history,
  };
}

async function retained(entry: CheckpointHistoryEntry): Promise<boolean> {
  if (entry.path === undefined) return false;
  try {
    await access(join(entry.path, '_metadata'));
    return true;
  } catch {
    return false;
  }
}
