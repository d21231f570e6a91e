import type { Line } from '../child-runner.ts';

/**
 * The summary table of the `nexmark` suite (bench/README.md says what to conclude from each cell): one line per
 * query, parallelism and engine, each figure the median of the cell's runs with their minimum and maximum, and the
 * ratios of weir's medians to the other engine's, on wall-clock and per CPU-second.
 */
export interface Cell {
  readonly query: string;
  readonly parallelism: number;
  readonly cores: string;
  /** Runs per engine ("weir", "flink", "flink-sql"). */
  readonly runs: Map<string, Line[]>;
  /** Per engine: the verification run's result hash. */
  readonly hashes: Map<string, string>;
  /** Engines whose query computes other results than weir's (a SQL variant as the official suite writes it). */
  readonly ownResults: ReadonlySet<string>;
}

/** The minimum span of a measured run that the suite considers long enough (shorter runs are flagged). */
export const MIN_SPAN_SECONDS = 10;

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const median = (values: readonly number[]): number => sorted(values)[Math.floor(values.length / 2)]!;
const numbers = (runs: readonly Line[], field: string): number[] => runs.map((run) => run[field] as number);
const millions = (value: number): string => (value / 1e6).toFixed(2);

/** "1.23 (1.10-1.31)" in millions, or the median alone for one run. */
function spread(values: readonly number[], format: (value: number) => string): string {
  const all = sorted(values);
  return all.length === 1 ? format(all[0]!) : `${format(median(all))} (${format(all[0]!)}-${format(all.at(-1)!)})`;
}

/** What a q5 row computes its windows with: weir's `q5` slices, Flink's DataStream does not. */
function windowing(query: string, engine: string): string {
  if (query === 'q5-unsliced') return engine === 'weir' ? 'unsliced' : 'unsliced (DataStream)';
  if (query !== 'q5') return '';
  return engine === 'weir' ? 'sliced' : engine === 'flink' ? 'unsliced (DataStream)' : 'sliced (SQL window TVF)';
}

export function nexmarkTable(cells: readonly Cell[]): string {
  const head =
    '| query | p | cores | engine | windows | events/s, M | events per CPU-s, M | weir / engine, wall | weir / engine, per CPU | span s | span CPU s | RSS at start MB | peak RSS MB | results | result hash |';
  const lines = [head, `|${' --- |'.repeat(15)}`];
  for (const cell of cells) {
    const weir = cell.runs.get('weir')!;
    for (const [engine, runs] of cell.runs) {
      const wall = numbers(runs, 'eventsPerSec');
      const perCpu = numbers(runs, 'eventsPerCpuSecond');
      const ratio = (field: string): string => (engine === 'weir' ? '' : (median(numbers(weir, field)) / median(numbers(runs, field))).toFixed(2));
      const spans = numbers(runs, 'runningSeconds');
      const short = Math.min(...spans) < MIN_SPAN_SECONDS ? ' (short)' : '';
      const scope = runs.some((run) => run.peakRssScope !== 'span') ? ' (whole process)' : '';
      const columns = [
        cell.query,
        cell.parallelism,
        cell.cores,
        engine,
        windowing(cell.query, engine),
        spread(wall, millions),
        spread(perCpu, millions),
        ratio('eventsPerSec'),
        ratio('eventsPerCpuSecond'),
        `${spread(spans, (seconds) => seconds.toFixed(1))}${short}`,
        spread(numbers(runs, 'spanCpuSeconds'), (seconds) => seconds.toFixed(1)),
        spread(numbers(runs, 'rssAtStartMb'), String),
        `${spread(numbers(runs, 'peakRssMb'), String)}${scope}`,
        (runs[0]!.results as number).toLocaleString('en-US'),
        `${(cell.hashes.get(engine) ?? '').slice(0, 12)}${cell.ownResults.has(engine) ? ' (own results)' : ''}`,
      ];
      lines.push(`| ${columns.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
