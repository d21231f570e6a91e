import { describe, expect, it } from 'vitest';
import { KafkaRounds, median, ratioLine } from '../../bench/kafka-summary.ts';

const run = (engine: string, round: number, eventsPerSec: number, correctOutput = true) => ({
  bench: 'kafka',
  engine,
  mode: 'at-least-once',
  parallelism: 1,
  round,
  eventsPerSec,
  wallEventsPerSec: eventsPerSec / 2,
  cpuSecondsPerMillionRecords: 10,
  peakRssMb: 500,
  correctOutput,
});

describe('the kafka bench summary', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('divides weir by Kafka Streams within a round, and gives no ratio when either output was wrong', () => {
    expect(ratioLine(0, 'at-least-once', 1, run('weir', 0, 90), run('kafka-streams', 0, 100))).toMatchObject({ eventsPerSec: 0.9, wallEventsPerSec: 0.9, target: 1, meetsTarget: false });
    expect(ratioLine(0, 'at-least-once', 1, run('weir', 0, 90, false), run('kafka-streams', 0, 100))).toBeUndefined();
  });

  it('reports the median of the per-round ratios, leaving out runs with a wrong output', () => {
    const rounds = new KafkaRounds();
    const pairs: [number, number][] = [
      [100, 100],
      [120, 100],
      [50, 100],
    ];
    pairs.forEach(([weir, streams], round) => {
      const lines = [run('weir', round, weir), run('kafka-streams', round, streams)] as const;
      lines.forEach((line) => rounds.add(line));
      rounds.add(ratioLine(round, 'at-least-once', 1, lines[0], lines[1])!);
    });
    rounds.add(run('weir', 3, 1_000_000, false));
    const [summary] = rounds.summaries(['at-least-once'], [1]);
    expect(summary).toMatchObject({ rounds: 3, weirEventsPerSec: 100, kafkaStreamsEventsPerSec: 100, ratio: 1, ratioMin: 0.5, ratioMax: 1.2, meetsTarget: true });
  });
});
