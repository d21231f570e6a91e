/**
 * Totals per key in tumbling windows of event time: events `{ key, value, timestamp }` in, one
 * `{ key, windowEnd, count, total }` per key and window out, exactly-once.
 *
 * Where it reads and writes comes from its params (`weir run src/job.ts --params '{...}'`):
 * - `brokers` (or the KAFKA_BROKERS environment variable): Kafka, from `inputTopic` to `outputTopic` in transactions;
 * - `input` and `output`: JSON-lines files in, files published at each checkpoint out (the property test's files);
 * - neither: an embedded generator of demo events, the totals printed (`npm start` without Kafka).
 */
import { ConsoleSink, defineJob, FileSource, GeneratorSource, Time, TransactionalFileSink, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';
import type { AggregateFunction, Collector, DataStream, StreamExecutionEnvironment, TimeWindow, WindowContext } from 'weir';
import { KafkaSink, KafkaSource } from 'weir/kafka';

/** One input event, as JSON. */
export interface Event {
  readonly key: string;
  readonly value: number;
  /** Event time, ms since the epoch. */
  readonly timestamp: number;
}

/** The count and sum of one key's values in one window. */
export interface WindowTotal {
  readonly key: string;
  readonly windowEnd: number;
  readonly count: number;
  readonly total: number;
}

export interface JobParams {
  /** Kafka's `host:port` list; default the KAFKA_BROKERS environment variable. */
  readonly brokers?: string | string[];
  /** Default 'events'. */
  readonly inputTopic?: string;
  /** Default 'event-totals'. */
  readonly outputTopic?: string;
  /** Default 'window-totals'. */
  readonly groupId?: string;
  /** Default 'window-totals'. */
  readonly transactionalIdPrefix?: string;
  /** Read Kafka up to the end offsets found at the start, then finish (tests, backfills). */
  readonly bounded?: boolean;
  /** JSON-lines files to read instead of Kafka (with `output`). */
  readonly input?: string[];
  /** The directory to publish into instead of Kafka (with `input`). */
  readonly output?: string;
  /** Window length, default 10 s. */
  readonly windowMs?: number;
  /** How late an event may come behind the newest one, default 2 s. */
  readonly maxOutOfOrderMs?: number;
  /** Checkpoint interval, default 5 s. */
  readonly checkpointMs?: number;
  /**
   * For tests: records per exchange batch, and busy CPU per event in ms. A small test input is otherwise read in a few
   * milliseconds: every window would fire at its end and every fault land before the first checkpoint.
   */
  readonly batchSize?: number;
  readonly workMs?: number;
}

const sumValues: AggregateFunction<Event, { count: number; total: number }, { count: number; total: number }> = {
  createAccumulator: () => ({ count: 0, total: 0 }),
  add: (event, sum) => ({ count: sum.count + 1, total: sum.total + event.value }),
  getResult: (sum) => sum,
  merge: (a, b) => ({ count: a.count + b.count, total: a.total + b.total }),
};

function toWindowTotal(key: string, context: WindowContext<TimeWindow>, [sum]: { count: number; total: number }[], out: Collector<WindowTotal>): void {
  out.collect({ key, windowEnd: context.window.end, count: sum!.count, total: sum!.total });
}

/** Demo events when the job has no Kafka and no files: four sensors, 10 ms of event time apart, 1,000 a second. */
function demoEvents(env: StreamExecutionEnvironment, watermarks: WatermarkStrategy<Event>): DataStream<Event> {
  const start = Date.UTC(2026, 0, 1);
  const source = GeneratorSource.of<Event>({
    name: 'demo-events',
    seed: 1,
    ratePerSecond: 1_000,
    generate: (i, random) => ({ key: `sensor-${1 + random.int(4)}`, value: random.int(100), timestamp: start + i * 10 }),
  });
  return env.fromSource(source, watermarks, 'demo-events').uid('demo-events');
}

export default defineJob<JobParams>({ name: 'window-totals' }, (env, params) => {
  env
    .enableCheckpointing({ intervalMs: params.checkpointMs ?? 5_000 })
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 10, delayMs: 1_000 })
    // Watermarks often, so that windows fire all through a run.
    .setAutoWatermarkInterval(50);
  if (params.batchSize !== undefined) env.setExchangeOptions({ batchSize: params.batchSize });
  const watermarks = WatermarkStrategy.boundedOutOfOrderness<Event>(params.maxOutOfOrderMs ?? 2_000).withTimestamp((event) => event.timestamp);
  const brokers = params.brokers ?? process.env['KAFKA_BROKERS'];
  const files = params.input !== undefined && params.output !== undefined ? { input: params.input, output: params.output } : undefined;
  const kafka = files === undefined && brokers !== undefined && brokers !== '' ? { brokers } : undefined;

  const events =
    files !== undefined
      ? env.fromSource(FileSource.jsonLines<Event>({ paths: files.input }), watermarks, 'events').uid('events')
      : kafka !== undefined
        ? env.fromSource(
            KafkaSource.json<Event>({ ...kafka, topics: params.inputTopic ?? 'events', groupId: params.groupId ?? 'window-totals', bounded: params.bounded === true }),
            watermarks,
            'events',
          ).uid('events')
        : demoEvents(env, watermarks);

  const workMs = params.workMs ?? 0;
  const totals = events
    .map((event) => {
      const until = performance.now() + workMs;
      while (performance.now() < until);
      return event;
    })
    .keyBy((event) => event.key)
    .window(TumblingEventTimeWindows.of(Time.milliseconds(params.windowMs ?? 10_000)))
    .aggregate(sumValues, toWindowTotal)
    .uid('totals-per-key-and-window');

  if (files !== undefined) totals.sinkTo(new TransactionalFileSink<WindowTotal>({ directory: files.output })).uid('totals-to-files');
  else if (kafka !== undefined) {
    const sink = KafkaSink.json<WindowTotal>({
      ...kafka,
      topic: params.outputTopic ?? 'event-totals',
      key: (total) => total.key,
      exactlyOnce: true,
      transactionalIdPrefix: params.transactionalIdPrefix ?? 'window-totals',
    });
    totals.sinkTo(sink).uid('totals-to-kafka');
  } else {
    const line = (total: WindowTotal): string => `${new Date(total.windowEnd).toISOString()}  ${total.key}  count=${total.count}  total=${total.total}`;
    totals.sinkTo(new ConsoleSink<WindowTotal>({ format: line })).uid('totals-printed');
  }
});
