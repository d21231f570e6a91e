import { coordinatesOf, type DeadLetter } from '../dead-letter.ts';
import { KafkaSink, type KafkaSinkOptions } from './sink.ts';

/** Every header a dead letter gets starts with this; the original record's headers keep their names. */
export const DEAD_LETTER_HEADER_PREFIX = 'weir.dlq.';

/** A KafkaSink's options but how records become messages: that is fixed (the original bytes, plus headers). */
export type DeadLetterSinkOptions = Omit<KafkaSinkOptions<DeadLetter>, 'serializer' | 'key' | 'headers'>;

/**
 * Writes dead letters to a Kafka topic as the records they were: the original key, value and headers, plus
 * `weir.dlq.reason`, `weir.dlq.operator` and the record's place (`weir.dlq.topic`, `weir.dlq.partition` and
 * `weir.dlq.offset` from Kafka, with `weir.dlq.cluster` from a multi-cluster source, `weir.dlq.path` and `weir.dlq.line` from a file, `weir.dlq.index` from the
 * generator). A plain KafkaSink underneath, so its delivery options (an exactly-once sink's transactions: dead letters
 * commit with their epoch) apply as they are.
 */
export function deadLetterSink(options: DeadLetterSinkOptions): KafkaSink<DeadLetter> {
  return new KafkaSink<DeadLetter>({
    ...options,
    serializer: (letter) => bytes(letter.value),
    key: (letter) => bytes(letter.key),
    headers: deadLetterHeaders,
  });
}

/** The original headers, then weir's (which win a clash: a dead letter read back from a dead-letter topic gets fresh ones). */
export function deadLetterHeaders(letter: DeadLetter): Record<string, Buffer | string> {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if (value !== undefined) headers[name] = typeof value === 'string' ? value : bytes(value);
  }
  headers[`${DEAD_LETTER_HEADER_PREFIX}reason`] = letter.reason;
  headers[`${DEAD_LETTER_HEADER_PREFIX}operator`] = letter.operator;
  for (const [name, value] of coordinatesOf(letter.source)) headers[`${DEAD_LETTER_HEADER_PREFIX}${name}`] = String(value);
  return headers;
}

/** The client writes only Buffers as bytes (kafkajs would stringify a Uint8Array), and letters arrive as Uint8Array after a thread hop. */
function bytes(value: Uint8Array): Buffer;
function bytes(value: Uint8Array | null): Buffer | null;
function bytes(value: Uint8Array | null): Buffer | null {
  if (value === null || Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
