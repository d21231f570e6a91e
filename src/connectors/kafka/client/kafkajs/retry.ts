import { sleep } from '../../../../core/signal.ts';

const RETRIABLE_ATTEMPTS = 12;

/**
 * Runs a request again while it fails retriably: a group coordinator loading or moved, a partition whose leader is
 * not settled yet (a fresh or restarted broker, a topic just created); kafkajs does not retry every such request.
 */
export async function retryingKafkaErrors<R>(request: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= RETRIABLE_ATTEMPTS || (error as { retriable?: boolean }).retriable !== true) throw error;
      // 0.1, 0.2, 0.4, ... 2 s: about 15 s in all, what a loaded broker takes to settle a coordinator or a leader.
      await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
    }
  }
}
