import type { KafkaAdmin, TopicPartition } from './client/index.ts';

/**
 * The offsets a Kafka source commits to its group when a checkpoint completes carry the checkpoint id in their
 * metadata. Besides telling tools which checkpoint an offset belongs to, that marks the offsets weir wrote: a job that
 * finds them but restores nothing has run before and lost its state (see KafkaSource.earlierRun).
 */
const PREFIX = 'weir checkpoint ';

/** The metadata of the offsets committed when checkpoint `checkpointId` completed. */
export function checkpointCommitMetadata(checkpointId: number): string {
  return `${PREFIX}${checkpointId}`;
}

/** The checkpoint whose completion committed an offset, or undefined for offsets weir's checkpoints did not write. */
export function checkpointOfCommit(metadata: string | null): number | undefined {
  if (metadata === null || !metadata.startsWith(PREFIX)) return undefined;
  const id = Number(metadata.slice(PREFIX.length));
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * One sentence on the offsets of `groupId` that weir's checkpoints committed for these partitions, or undefined when
 * there are none (offsets committed by other tools, or none at all, are no trace of an earlier run of this job).
 */
export async function describeCheckpointCommits(admin: KafkaAdmin, groupId: string, partitions: readonly TopicPartition[]): Promise<string | undefined> {
  const found: { tp: TopicPartition; offset: number; checkpointId: number }[] = [];
  for (const topic of new Set(partitions.map((tp) => tp.topic))) {
    const committed = await admin.committedPositions(groupId, topic);
    for (const [partition, { offset, metadata }] of committed) {
      const checkpointId = checkpointOfCommit(metadata);
      if (checkpointId !== undefined) found.push({ tp: { topic, partition }, offset, checkpointId });
    }
  }
  if (found.length === 0) return undefined;
  const byTopic = new Map<string, string[]>();
  for (const { tp, offset } of found.sort((a, b) => a.tp.topic.localeCompare(b.tp.topic) || a.tp.partition - b.tp.partition)) {
    byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), `${tp.partition} at ${offset}`]);
  }
  const places = [...byTopic].map(([topic, list]) => `topic ${topic} partition${list.length > 1 ? 's' : ''} ${list.join(', ')}`).join('; ');
  const checkpoints = [...new Set(found.map(({ checkpointId }) => checkpointId))].sort((a, b) => a - b);
  const which = checkpoints.length === 1 ? `checkpoint ${checkpoints[0]}` : `checkpoints ${checkpoints.join(', ')}`;
  return `Kafka consumer group '${groupId}' holds offsets that weir committed when ${which} completed (${places})`;
}
