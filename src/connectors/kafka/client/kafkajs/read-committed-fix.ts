import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 lets read_committed consumers see records of aborted transactions when a fetch answer lists several
 * of them: it takes the broker's list in the order given (the broker orders it by abort, not by first offset, which is
 * what Java's consumer sorts by) and activates at most one per record, so when two producers' aborted transactions
 * interleave (two sink subtasks restarted together) one of them slips through. A Java read_committed consumer sees
 * the same partition correctly.
 *
 * kafkajs is in maintenance mode, so the fix lives here: before kafkajs loads its consumer, this replaces the module
 * that filters aborted records (CommonJS modules are cached by path, and kafkajs's Batch takes the filter from that
 * cache on first load). So kafkajs is imported through load.ts, which loads this first.
 */

interface AbortedTransaction {
  readonly firstOffset: string;
  readonly producerId: string;
}

interface FetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

/** An abort marker's key: version 0, type 0 (ABORT); COMMIT is type 1. */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

/** Java's rule: a producer's records are dropped from the first offset of its aborted transaction up to its abort marker. */
export function withoutAbortedRecords<M extends FetchedMessage>({ messages, abortedTransactions }: { messages: M[]; abortedTransactions?: AbortedTransaction[] }): M[] {
  if (abortedTransactions === undefined || abortedTransactions.length === 0) return messages;
  const upcoming = [...abortedTransactions].sort((a, b) => compareOffsets(a.firstOffset, b.firstOffset));
  const aborting = new Set<string>();
  let next = 0;
  return messages.filter((message) => {
    while (next < upcoming.length && compareOffsets(message.offset, upcoming[next]!.firstOffset) >= 0) aborting.add(String(upcoming[next++]!.producerId));
    const producerId = String(message.batchContext.producerId);
    if (message.isControlRecord === true) {
      if (message.key !== null && Buffer.from(message.key).equals(ABORT_MARKER_KEY)) aborting.delete(producerId);
      return true;
    }
    return !(message.batchContext.inTransaction && aborting.has(producerId));
  });
}

/** Offsets are int64 strings: compare them as BigInts. */
function compareOffsets(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

const require = createRequire(import.meta.url);
if (require.cache[require.resolve('kafkajs/src/consumer/batch.js')] !== undefined && require.cache[require.resolve('kafkajs/src/consumer/filterAbortedMessages.js')]?.exports !== withoutAbortedRecords) {
  throw new Error("kafkajs was loaded before weir's read_committed fix: import 'weir/kafka' before kafkajs");
}
const filterPath = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
require(filterPath);
const cached = require.cache[filterPath];
if (cached === undefined) throw new Error('kafkajs moved its aborted-record filter: check src/connectors/kafka/client/kafkajs/read-committed-fix.ts against the installed kafkajs');
cached.exports = withoutAbortedRecords;
