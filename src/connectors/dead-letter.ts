import { OutputTag } from '../api/output-tag.ts';

/**
 * Where a bad record was read. Kafka fills topic, partition and offset; another source names its own coordinates
 * (a file's path and line, say). Plain data, so that a dead letter crosses threads and lands in headers as is.
 */
export interface SourcePosition {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  readonly [coordinate: string]: string | number | undefined;
}

/** A record a source could not turn into a job record (docs/architecture.md, decision 10): the original bytes, why, and where from. */
export interface DeadLetter {
  /** Why it was rejected: the error, as `Name: message`. */
  readonly reason: string;
  /** The operator that rejected it (a source's name in the job graph). */
  readonly operator: string;
  readonly source: SourcePosition;
  /** The original bytes: a Buffer where the record was read, a Uint8Array after a hop between threads (weir's codec). */
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, Uint8Array | string | undefined>>;
  /** The record's own timestamp (ms; Kafka's), or NO_TIMESTAMP when its source has none. */
  readonly timestamp: number;
}

/**
 * The side output of a source's rejected records, read as Flink's late data is: `fromSource(...).getSideOutput(DEAD_LETTERS)`.
 * A source whose side output no stream reads fails the job on a bad record instead of dropping it.
 */
export const DEAD_LETTERS = new OutputTag<DeadLetter>('weir.dead-letters');
