import { Kafka, logLevel } from './load.ts';

/**
 * Asks the broker at `address` for its topics (a metadata request) once, failing after `requestTimeoutMs`: whether a
 * cluster answers now (a paused one accepts connections, its kernel does, but never answers). No retries, no logging:
 * the caller polls, and a broker that is still starting is expected to refuse.
 */
export async function probeKafka(address: string, requestTimeoutMs = 3_000): Promise<void> {
  const kafka = new Kafka({
    brokers: [address], clientId: 'weir-kafka-probe', logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(1_000, requestTimeoutMs), requestTimeout: requestTimeoutMs, retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
