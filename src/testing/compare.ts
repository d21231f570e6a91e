/** How `checkExactlyOnce` compares the run under faults with the failure-free run. */
export type Comparison<Out> =
  /** The same records, as many times each, in any order. */
  | 'multiset'
  /** Per key (what `perKey` returns), the same records in the same order; keys in any order. */
  | { readonly perKey: (record: Out) => unknown };

/** What differs for one key (or for the whole output, compared as a multiset). */
export interface KeyDiff {
  /** The key, as JSON; undefined for a multiset comparison. */
  readonly key: string | undefined;
  /** Records of the failure-free output missing from the faulted one (one entry per missing copy). */
  readonly lost: readonly unknown[];
  /** Records the faulted output holds more often than the failure-free one (one entry per extra copy). */
  readonly duplicated: readonly unknown[];
  /** Records the failure-free output does not hold at all. */
  readonly unexpected: readonly unknown[];
  /** The same records in another order: the first position where they differ. */
  readonly reordered?: { readonly index: number; readonly expected: unknown; readonly actual: unknown };
}

/** The difference between the two outputs: the keys that differ, in the order the failure-free output met them. */
export interface OutputDiff {
  readonly expectedRecords: number;
  readonly actualRecords: number;
  readonly keys: readonly KeyDiff[];
}

/** JSON with object keys sorted, so that two equal records are one string whatever their keys' order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** The outputs' difference, or undefined when the faulted output is the failure-free one (as `compare` defines it). */
export function diffOutputs<Out>(expected: readonly Out[], actual: readonly Out[], compare: Comparison<Out>): OutputDiff | undefined {
  const groups = new Map<string | undefined, { expected: Out[]; actual: Out[] }>();
  const keyOf = compare === 'multiset' ? () => undefined : (record: Out) => canonicalJson(compare.perKey(record));
  const group = (key: string | undefined) => groups.get(key) ?? groups.set(key, { expected: [], actual: [] }).get(key)!;
  for (const record of expected) group(keyOf(record)).expected.push(record);
  for (const record of actual) group(keyOf(record)).actual.push(record);
  const keys: KeyDiff[] = [];
  for (const [key, records] of groups) {
    const diff = diffRecords(key, records.expected, records.actual, compare !== 'multiset');
    if (diff !== undefined) keys.push(diff);
  }
  return keys.length === 0 ? undefined : { expectedRecords: expected.length, actualRecords: actual.length, keys };
}

function diffRecords(key: string | undefined, expected: readonly unknown[], actual: readonly unknown[], ordered: boolean): KeyDiff | undefined {
  const counts = new Map<string, number>();
  for (const record of expected) counts.set(canonicalJson(record), (counts.get(canonicalJson(record)) ?? 0) + 1);
  const expectedCounts = new Map(counts);
  const duplicated: unknown[] = [];
  const unexpected: unknown[] = [];
  for (const record of actual) {
    const text = canonicalJson(record);
    const left = counts.get(text) ?? 0;
    if (left > 0) counts.set(text, left - 1);
    else (expectedCounts.has(text) ? duplicated : unexpected).push(record);
  }
  const lost: unknown[] = [];
  for (const record of expected) {
    const text = canonicalJson(record);
    const left = counts.get(text) ?? 0;
    if (left > 0) {
      lost.push(record);
      counts.set(text, left - 1);
    }
  }
  if (lost.length + duplicated.length + unexpected.length > 0) return { key, lost, duplicated, unexpected };
  if (!ordered) return undefined;
  const index = expected.findIndex((record, at) => canonicalJson(record) !== canonicalJson(actual[at]));
  return index === -1 ? undefined : { key, lost, duplicated, unexpected, reordered: { index, expected: expected[index], actual: actual[index] } };
}

/** How many records and keys a diff shows before it says "and N more". */
const SHOWN = 3;

const listed = (records: readonly unknown[]): string => {
  const shown = records.slice(0, SHOWN).map((record) => JSON.stringify(record)).join(', ');
  return records.length > SHOWN ? `${shown} and ${records.length - SHOWN} more` : shown;
};

const counted = (count: number): string => `${count} record${count === 1 ? '' : 's'}`;

/** The diff in words: per offending key, the lost, duplicated, unexpected and reordered records (a few of each). */
export function formatDiff(diff: OutputDiff): string {
  const lines = [`the run under faults published ${counted(diff.actualRecords)}, the failure-free run ${counted(diff.expectedRecords)}`];
  for (const keyDiff of diff.keys.slice(0, SHOWN * 2)) {
    const what: string[] = [];
    if (keyDiff.lost.length > 0) what.push(`lost ${counted(keyDiff.lost.length)}: ${listed(keyDiff.lost)}`);
    if (keyDiff.duplicated.length > 0) what.push(`duplicated ${counted(keyDiff.duplicated.length)}: ${listed(keyDiff.duplicated)}`);
    if (keyDiff.unexpected.length > 0) what.push(`${counted(keyDiff.unexpected.length)} the failure-free run never published: ${listed(keyDiff.unexpected)}`);
    if (keyDiff.reordered !== undefined) {
      const { index, expected, actual } = keyDiff.reordered;
      what.push(`reordered: record ${index} is ${JSON.stringify(actual)}, the failure-free run's is ${JSON.stringify(expected)}`);
    }
    lines.push(`  ${keyDiff.key === undefined ? 'records' : `key ${keyDiff.key}`}: ${what.join('; ')}`);
  }
  if (diff.keys.length > SHOWN * 2) lines.push(`  and ${diff.keys.length - SHOWN * 2} more keys`);
  return lines.join('\n');
}
