import { randomBytes } from 'node:crypto';
import type { PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from './load.ts';
import type { TopicPartition } from '../interface.ts';
import type { KafkajsClient } from './client.ts';
import { createLogger } from '../../../../observe/logger.ts';

/**
 * The consumer groups of weir's Kafka readers. kafkajs only consumes through a consumer group, so each reader has a
 * group of its own, `<groupId>.weir-reader-<subtask>-<random>`, in which it is the only member. A new name per
 * consumer, because a killed process's member holds a shared group until its session expires (and a second
 * instance's reader would share it). A reader deletes its group when it stops; those of killed processes are deleted
 * by the readers that come after, once their members' sessions expired.
 */

const log = createLogger(undefined, { component: 'kafka-source' });

/** kafkajs's default, and a source's unless it sets `sessionTimeoutMs`: a killed reader's member leaves its group this long after its last heartbeat. */
export const READER_SESSION_TIMEOUT_MS = 30_000;

const prefixOf = (groupId: string): string => `${groupId}.weir-reader-`;

export function newReaderGroupName(groupId: string, subtask: number): string {
  return `${prefixOf(groupId)}${subtask}-${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes the reader groups of `groupId` that have no member left (killed processes' once their sessions expired,
 * stopped readers' whose deletion failed), those of old subtasks that map to this one, so that each is deleted by
 * one reader. A group in use is never deleted: the broker refuses to delete a group with members.
 */
export async function deleteStaleReaderGroups(client: KafkajsClient, groupId: string, me: { readonly subtask: number; readonly parallelism: number }): Promise<void> {
  const prefix = prefixOf(groupId);
  const admin = await client.admin();
  try {
    const mine = (await admin.groupsStartingWith(prefix)).filter((name) => {
      const subtask = Number(/^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1] ?? Number.NaN);
      return Number.isInteger(subtask) && subtask % me.parallelism === me.subtask;
    });
    const deleted = await admin.deleteEmptyGroups(mine);
    if (deleted.length > 0) log.info({ groupId, deleted: deleted.length }, `deleted ${deleted.length} reader groups that earlier runs left`);
  } catch (error) {
    log.warn({ groupId, err: error }, 'looking for reader groups that earlier runs left failed; a later start tries again');
  } finally {
    await admin.close();
  }
}

/** An assigner that hands the group's first member exactly the partitions this subtask owns, and a stray second one (a zombie) nothing. */
export function ownedPartitionsAssigner(assigned: readonly TopicPartition[]): PartitionAssigner {
  return () => ({
    name: 'WeirOwnedPartitions',
    version: 1,
    async assign({ members }) {
      const assignment: Record<string, number[]> = {};
      for (const { topic, partition } of assigned) (assignment[topic] ??= []).push(partition);
      return members.map(({ memberId }, index) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: index === 0 ? assignment : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol: ({ topics }) => ({
      name: 'WeirOwnedPartitions',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
  });
}
