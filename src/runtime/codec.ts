import { Packr } from 'msgpackr';
import { WeirError, describeError, previewRecord } from '../core/errors.ts';

/**
 * Batch encoding for records that cross threads (docs/architecture.md, decision 3): msgpackr with record structures, each batch
 * self-describing. One packer per thread; its output is copied into a fresh buffer that can be transferred.
 * Records must be plain data (objects, arrays, strings, numbers, booleans, null, undefined, bigint, Date, Map, Set,
 * typed arrays): class instances arrive as plain objects and function-valued fields as undefined.
 * bundleStrings writes a batch's strings together: Nexmark's keyed window count at parallelism 2 (bids of about 90
 * bytes crossing threads) ran 7-8% faster with it, in two interleaved pairs of runs (bench/RESULTS.md, issue 6).
 */
const packr = new Packr({ useRecords: true, moreTypes: true, bundleStrings: true });

export function encodeBatch(records: readonly unknown[]): Uint8Array {
  try {
    return new Uint8Array(packr.pack(records));
  } catch (error) {
    const culprit = records.find((record) => {
      try {
        packr.pack(record);
        return false;
      } catch {
        return true;
      }
    });
    throw new WeirError(
      `cannot serialise a record to send it to another thread (records must be plain data): ${describeError(error)}` +
        (culprit === undefined ? '' : ` [record: ${previewRecord(culprit)}]`),
      { cause: error, code: 'WEIR_SERIALIZATION' },
    );
  }
}

export function decodeBatch(bytes: Uint8Array): unknown[] {
  return packr.unpack(bytes) as unknown[];
}
