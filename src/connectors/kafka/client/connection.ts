import { WeirError } from '../../../core/errors.ts';
import type { TopicPartition } from './interface.ts';

export const BROKERS_VARIABLE = 'KAFKA_BROKERS';

/** The brokers a connector was given, or those of KAFKA_BROKERS; none at all is the user's mistake, said plainly. */
export function resolveBrokers(brokers: readonly string[] | string | undefined): string[] {
  const listed = brokers ?? process.env[BROKERS_VARIABLE];
  const list = (typeof listed === 'string' ? listed.split(',') : (listed ?? [])).map((broker) => broker.trim()).filter((broker) => broker !== '');
  if (list.length === 0) {
    throw new WeirError(`no Kafka brokers: pass \`brokers\` to the connector or set ${BROKERS_VARIABLE} (host:port, comma-separated)`);
  }
  return list;
}

export const partitionKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;
