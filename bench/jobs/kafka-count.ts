import { defineJob } from 'weir';
import { KafkaSink, KafkaSource } from 'weir/kafka';
import type { Click } from '../kafka-topics.ts';

export interface KafkaCountParams {
  readonly brokers: string;
  readonly input: string;
  readonly output: string;
  readonly groupId: string;
  readonly checkpointIntervalMs: number;
  readonly exactlyOnce: boolean;
}

/** Bounded Kafka source -> keyBy user -> running count (reduce) -> Kafka sink keyed by user: the `kafka` bench's job. */
export default defineJob<KafkaCountParams>({ name: 'bench-kafka-count' }, (env, given) => {
  const params = given as KafkaCountParams; // the bench runner passes every field
  env.enableCheckpointing({ intervalMs: params.checkpointIntervalMs });
  env
    .fromSource(KafkaSource.json<Click>({ brokers: params.brokers, topics: params.input, groupId: params.groupId, bounded: true, startFrom: 'earliest' }))
    .keyBy((click) => click.user)
    .reduce((a, b) => ({ user: a.user, n: a.n + b.n }))
    .sinkTo(KafkaSink.json<Click>({ brokers: params.brokers, topic: params.output, key: (click) => click.user, exactlyOnce: params.exactlyOnce }));
});
