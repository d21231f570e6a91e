import { OutputTag } from '../core/output-tag.ts';
import { NO_TIMESTAMP } from '../core/time.ts';
import { describeError, previewRecord, WeirError, type WeirErrorCode } from '../core/errors.ts';
import type { ReaderOutput } from './source.ts';

/**
 * Where a bad record was read, by kind of source: a Kafka record's offset (and cluster, from a multi-cluster source), a file's line (counted from 1), the index
 * of a generator's record or of an element of `fromElements`, or the coordinates a source of your own names. Plain
 * data, so that a dead letter crosses threads and lands in Kafka headers as it is.
 */
export type DeadLetterSource =
  | { readonly kind: 'kafka'; readonly cluster?: string; readonly topic: string; readonly partition: number; readonly offset: number }
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'generator'; readonly index: number }
  | { readonly kind: 'elements'; readonly index: number }
  | { readonly kind: 'custom'; readonly [coordinate: string]: string | number };

/** A record a source could not turn into a job record (docs/architecture.md, decision 10): the original bytes, why, and where from. */
export interface DeadLetter {
  /** Why it was rejected: the error, as `Name: message`. */
  readonly reason: string;
  /** The operator that rejected it (a source's name in the job graph). */
  readonly operator: string;
  readonly source: DeadLetterSource;
  /**
   * The original bytes: a Kafka record's key and value, a file's line (UTF-8, without its newline), null where the
   * source made the record itself (the generator). A Buffer where the record was read, a Uint8Array after a hop
   * between threads (weir's codec).
   */
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** The Kafka record's headers; empty for other sources. */
  readonly headers: Readonly<Record<string, Uint8Array | string | undefined>>;
  /** The record's own timestamp (ms; Kafka's), or NO_TIMESTAMP when its source has none. */
  readonly timestamp: number;
}

/**
 * The side output of a source's rejected records, read as Flink's late data is: `fromSource(...).getSideOutput(DEAD_LETTERS)`.
 * A source whose side output no stream reads fails the job on a bad record instead of dropping it.
 */
export const DEAD_LETTERS = new OutputTag<DeadLetter>('weir.dead-letters');

/** What a reader knows of a record it cannot hand on: where it was, why, its bytes, and what to show of it. */
export interface RejectedRecord {
  readonly source: DeadLetterSource;
  /** What rejected it: the parser's or deserializer's error, or the BadRecordError of a rejected timestamp. */
  readonly error: unknown;
  /** Shown (as JSON, cut short) when the job fails on it: the record as the source made it, or its raw text. */
  readonly preview: unknown;
  readonly key?: Uint8Array | null;
  readonly value?: Uint8Array | null;
  readonly headers?: DeadLetter['headers'];
  readonly timestamp?: number;
}

/** A source rejected a record and the job does not read its dead letters: the job fails, naming the record. */
export class RejectedRecordError extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_BAD_RECORD';
  override name = 'RejectedRecordError';
  constructor(
    readonly source: DeadLetterSource,
    readonly reason: string,
    readonly recordPreview: string,
    cause: unknown,
  ) {
    // Fatal: the same input meets the same record again after any restart.
    super(`bad record ${describeSource(source)}: ${reason}`, { cause, fatal: true });
  }
}

/**
 * Every source's way with a bad record: to the DEAD_LETTERS side output when the job reads it (the reader then goes
 * on, its position past the record), else a fatal RejectedRecordError with the record's place and a preview. Never a
 * silent drop.
 */
export function rejectRecord(output: Pick<ReaderOutput<unknown>, 'deadLetters'>, operator: string, rejected: RejectedRecord): void {
  const reason = describeError(rejected.error);
  if (output.deadLetters === undefined) {
    throw new RejectedRecordError(rejected.source, reason, previewRecord(rejected.preview), rejected.error);
  }
  output.deadLetters({
    reason,
    operator,
    source: rejected.source,
    key: rejected.key ?? null,
    value: rejected.value ?? null,
    headers: rejected.headers ?? {},
    timestamp: rejected.timestamp ?? NO_TIMESTAMP,
  });
}

/** Where a record was, as it reads after "bad record". */
export function describeSource(source: DeadLetterSource): string {
  switch (source.kind) {
    case 'kafka':
      return `in Kafka ${source.cluster === undefined ? '' : `cluster ${source.cluster} `}topic ${source.topic} partition ${source.partition} at offset ${source.offset}`;
    case 'file':
      return `in ${source.path}:${source.line}`;
    case 'generator':
      return `at generator index ${source.index}`;
    case 'elements':
      return `at index ${source.index} of fromElements`;
    default:
      return `at ${coordinatesOf(source)
        .map(([name, value]) => `${name} ${value}`)
        .join(', ')}`;
  }
}

/** A dead letter's place as name-value pairs, its kind left out (Kafka headers, messages). */
export function coordinatesOf(source: DeadLetterSource): [name: string, value: string | number][] {
  return Object.entries(source).filter(([name]) => name !== 'kind');
}
