import type { Line } from './child-runner.ts';

/**
 * The `kafka` bench's comparison of weir with Kafka Streams: the ratio line of one round's pair of runs, and the
 * medians over rounds at the end (JSON lines on stdout, and the same as a Markdown table on stderr for RESULTS.md).
 */
export type Mode = 'at-least-once' | 'exactly-once';

/** Done-when 2 of issue 14: weir's rate over Kafka Streams' on the median of the rounds. */
export const TARGETS: Readonly<Record<Mode, number>> = { 'at-least-once': 1.0, 'exactly-once': 0.9 };

const round3 = (value: number): number => Number(value.toFixed(3));
const rounded = (value: number | undefined, places: number): number | undefined => (value === undefined ? undefined : Number(value.toFixed(places)));
const num = (line: Line | undefined, field: string): number | undefined => (typeof line?.[field] === 'number' ? line[field] : undefined);

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** weir / Kafka Streams for one (mode, parallelism) in one round; undefined when either run failed. */
export function ratioLine(round: number, mode: Mode, parallelism: number, weir: Line, streams: Line): Line | undefined {
  if (weir['correctOutput'] !== true || streams['correctOutput'] !== true) return undefined;
  const ratio = (field: string): number | undefined => {
    const [w, s] = [num(weir, field), num(streams, field)];
    return w === undefined || s === undefined || s === 0 ? undefined : round3(w / s);
  };
  const eventsPerSec = ratio('eventsPerSec');
  if (eventsPerSec === undefined) return undefined;
  return {
    bench: 'kafka',
    ratio: 'weir/kafka-streams',
    round,
    mode,
    parallelism,
    eventsPerSec,
    wallEventsPerSec: ratio('wallEventsPerSec'),
    cpuSecondsPerMillionRecords: ratio('cpuSecondsPerMillionRecords'),
    peakRssMb: ratio('peakRssMb'),
    target: TARGETS[mode],
    meetsTarget: eventsPerSec >= TARGETS[mode],
  };
}

/** Every round's lines of one cell (engine, mode, parallelism), and its ratio lines. */
export class KafkaRounds {
  private readonly lines = new Map<string, Line[]>();

  /** Keeps a run's line for the medians, unless the run failed or wrote a wrong output. */
  add(line: Line): void {
    if (line['engine'] !== undefined && line['correctOutput'] !== true) return;
    const key = `${String(line['engine'] ?? line['ratio'])} ${String(line['mode'])} ${String(line['parallelism'])}`;
    this.lines.set(key, [...(this.lines.get(key) ?? []), line]);
  }

  /** Median of a field over a cell's rounds (failed runs left out), with the count of runs it covers. */
  private median(engine: string, mode: string, parallelism: number, field: string): { value: number | undefined; runs: number; min?: number; max?: number } {
    const values = (this.lines.get(`${engine} ${mode} ${parallelism}`) ?? []).map((line) => num(line, field)).filter((v) => v !== undefined);
    if (values.length === 0) return { value: undefined, runs: 0 };
    return { value: median(values), runs: values.length, min: Math.min(...values), max: Math.max(...values) };
  }

  /** One summary line per (mode, parallelism), then the raw client's; writes the Markdown table to stderr. */
  summaries(modes: readonly Mode[], parallelisms: readonly number[]): Line[] {
    const summaries: Line[] = [];
    const rows: string[] = [];
    for (const parallelism of parallelisms) {
      for (const mode of modes) {
        const weir = (field: string, places = 0) => rounded(this.median('weir', mode, parallelism, field).value, places);
        const streams = (field: string, places = 0) => rounded(this.median('kafka-streams', mode, parallelism, field).value, places);
        const ratio = this.median('weir/kafka-streams', mode, parallelism, 'eventsPerSec');
        const summary: Line = {
          summary: `kafka ${mode} p${parallelism}`,
          rounds: ratio.runs,
          weirEventsPerSec: weir('eventsPerSec'),
          kafkaStreamsEventsPerSec: streams('eventsPerSec'),
          ratio: rounded(ratio.value, 3),
          ratioMin: ratio.min,
          ratioMax: ratio.max,
          wallRatio: rounded(this.median('weir/kafka-streams', mode, parallelism, 'wallEventsPerSec').value, 3),
          weirCpuSecondsPerMillionRecords: weir('cpuSecondsPerMillionRecords', 2),
          kafkaStreamsCpuSecondsPerMillionRecords: streams('cpuSecondsPerMillionRecords', 2),
          weirPeakRssMb: weir('peakRssMb'),
          kafkaStreamsPeakRssMb: streams('peakRssMb'),
          target: TARGETS[mode],
          meetsTarget: ratio.value === undefined ? undefined : ratio.value >= TARGETS[mode],
        };
        summaries.push(summary);
        rows.push(
          `| ${mode} | ${parallelism} | ${fmt(summary['weirEventsPerSec'])} | ${fmt(summary['kafkaStreamsEventsPerSec'])} | **${fmt(summary['ratio'])}** (${fmt(ratio.min)}-${fmt(ratio.max)}) | ${fmt(summary['wallRatio'])} | ${fmt(summary['weirCpuSecondsPerMillionRecords'])} | ${fmt(summary['kafkaStreamsCpuSecondsPerMillionRecords'])} | ${fmt(summary['weirPeakRssMb'])} | ${fmt(summary['kafkaStreamsPeakRssMb'])} | ${TARGETS[mode]} |`,
        );
      }
    }
    const raw = this.median('kafkajs', 'raw', 1, 'eventsPerSec');
    const rawCpu = rounded(this.median('kafkajs', 'raw', 1, 'cpuSecondsPerMillionRecords').value, 2);
    summaries.push({ summary: 'kafka raw kafkajs p1', rounds: raw.runs, eventsPerSec: rounded(raw.value, 0), cpuSecondsPerMillionRecords: rawCpu });
    rows.push(`| raw kafkajs (context) | 1 | ${fmt(rounded(raw.value, 0))} | | | | ${fmt(rawCpu)} | | | | |`);
    process.stderr.write(
      [
        `[bench kafka] medians over ${Math.max(0, ...summaries.map((s) => Number(s['rounds'] ?? 0)))} rounds:`,
        '| mode | p | weir events/s | Kafka Streams events/s | weir / KS (min-max) | wall-clock ratio | weir CPU s / M records | KS CPU s / M records | weir peak RSS MB | KS peak RSS MB | target |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
        '',
      ].join('\n'),
    );
    return summaries;
  }
}

function fmt(value: unknown): string {
  if (typeof value !== 'number') return '';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(Number(value.toFixed(3)));
}
