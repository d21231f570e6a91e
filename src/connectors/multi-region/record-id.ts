/**
 * The stable id every record of a multi-cluster sink carries in the `weir-id` header: which sink subtask of which job
 * wrote it, in which epoch (the checkpoint that closed it), for which share, and its sequence within that epoch's
 * share. A share is the part of an epoch decided at the barrier for one cluster (failover: the whole epoch, for the
 * cluster chosen then; multiplex: the records whose key hashes to that cluster). A share published on another
 * cluster after its own failed keeps its share id, so a multi-cluster source that reads every cluster sees the same
 * (producer, share, epoch) twice and drops the second copy.
 */
export const RECORD_ID_HEADER = 'weir-id';

export interface RecordId {
  /** `<job id>/<sink operator id>/<sink subtask>`: one writer, whose epochs only increase. */
  readonly producer: string;
  /** The cluster id the share was decided for at the barrier (where it was published may differ after a failover). */
  readonly share: string;
  readonly epoch: number;
  /** The record's place in its epoch's share, from 0. */
  readonly sequence: number;
}

/** `producer|share|epoch|sequence`; producer ids and cluster ids never contain `|` (cluster ids are checked). */
export function encodeRecordId(id: RecordId): string {
  return `${id.producer}|${id.share}|${id.epoch}|${id.sequence}`;
}

/** The id of a header value, or undefined when it is not one (a record of another writer). */
export function decodeRecordId(value: Buffer | string | undefined): RecordId | undefined {
  if (value === undefined) return undefined;
  const parts = (typeof value === 'string' ? value : value.toString('utf8')).split('|');
  if (parts.length !== 4) return undefined;
  const [producer, share, epochText, sequenceText] = parts as [string, string, string, string];
  const epoch = Number(epochText);
  const sequence = Number(sequenceText);
  if (producer === '' || share === '' || !Number.isSafeInteger(epoch) || !Number.isSafeInteger(sequence)) return undefined;
  return { producer, share, epoch, sequence };
}
