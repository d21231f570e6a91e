import { Packr } from 'msgpackr';

/**
 * Batch encoding for records that cross threads (DESIGN decision 3): msgpackr with record structures, each batch
 * self-describing. One packer per thread; its output is copied into a fresh buffer that can be transferred.
 */
const packr = new Packr({ useRecords: true, moreTypes: true });

export function encodeBatch(records: readonly unknown[]): Uint8Array {
  return new Uint8Array(packr.pack(records));
}

export function decodeBatch(bytes: Uint8Array): unknown[] {
  return packr.unpack(bytes) as unknown[];
}
