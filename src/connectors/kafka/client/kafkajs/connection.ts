import type { LogEntry } from 'kafkajs';
import { Kafka, logLevel as KafkaLogLevel } from './load.ts';
import { createLogger } from '../../../../observe/logger.ts';

/**
 * kafkajs logs through the job's logger, at warn and above (its info lines are per connection). A broker's error
 * answer ("Response <api>") is logged by kafkajs at error level even when it retries it (a coordinator loading or
 * moved): those go at debug, since a request that finally fails reaches weir as an error and is reported there.
 */
function logCreator() {
  const log = createLogger(undefined, { component: 'kafkajs' });
  return ({ level, log: entry }: LogEntry) => {
    const { message, ...rest } = entry;
    if (level === KafkaLogLevel.ERROR && message.startsWith('Response ')) log.debug(rest, message);
    else if (level === KafkaLogLevel.ERROR) log.error(rest, message);
    else if (level === KafkaLogLevel.WARN) log.warn(rest, message);
  };
}

/**
 * A kafkajs client with weir's settings (logging, retries). The adapter's own, and the one the benchmarks' raw kafkajs
 * baseline uses, so that both run with the same client settings.
 */
export function kafkajsClient(brokers: readonly string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: KafkaLogLevel.WARN,
    logCreator,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000 },
  });
}
