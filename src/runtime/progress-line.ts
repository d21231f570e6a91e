import { writeSync } from 'node:fs';
import type { Source } from '../connectors/source.ts';
import type { PhysicalPlan } from './planner.ts';
import type { StatsBoard } from './stats-board.ts';
import { CLEAR_LINE } from '../observe/logger.ts';

const REDRAW_MS = 500;
/** The rate is smoothed over about this many redraws, so that the ETA does not jump with every batch. */
const SMOOTHING = 0.3;

/** A source of the job, by its node in the plan. */
export interface PlannedSource {
  readonly nodeId: number;
  readonly source: Source<unknown>;
}

/** How far a bounded job has read, for a person at a terminal. */
export interface Progress {
  readonly read: number;
  /** Every source's expected records summed; undefined when one does not know its size. */
  readonly total: number | undefined;
  /** Records per second. */
  readonly rate: number;
}

/** `read 12,345 of 20,000 records (61%), 2,010/s, ETA 4s`; without a known total, no share and no ETA. */
export function progressText({ read, total, rate }: Progress): string {
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  const of = total === undefined ? '' : ` of ${count(total)}`;
  const share = total === undefined || total === 0 ? '' : ` (${Math.min(100, Math.floor((read / total) * 100))}%)`;
  const left = total === undefined ? undefined : Math.max(0, total - read);
  const eta = left === undefined || rate <= 0 ? '' : `, ETA ${etaText(left / rate)}`;
  return `weir: read ${count(read)}${of} records${share}, ${count(rate)}/s${eta}`;
}

function etaText(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * One line on stderr, rewritten in place every half second, with the records the job's sources have read, their rate
 * and (when every source knows its size: elements, a generator with a count) the share read and an ETA. Only for a
 * job whose sources are all bounded; the caller draws it only on a terminal (never into collected logs). Returns the
 * function that clears it.
 */
export function startProgressLine(plan: PhysicalPlan, stats: StatsBoard, sources: readonly PlannedSource[], write: (text: string) => void = (text) => void writeSync(2, text)): () => void {
  if (sources.length === 0 || sources.some(({ source }) => source.boundedness !== 'bounded')) return () => {};
  const sizes = sources.map(({ source }) => source.expectedRecords);
  const total = sizes.every((size) => size !== undefined) ? sizes.reduce((sum, size) => sum + size!, 0) : undefined;
  const slots = sources.flatMap(({ nodeId }) => Array.from({ length: plan.nodes.get(nodeId)!.parallelism }, (_, subtask) => stats.nodeSlot(nodeId, subtask)));
  let last = { at: performance.now(), read: 0 };
  let rate: number | undefined;
  const timer = setInterval(() => {
    const now = { at: performance.now(), read: slots.reduce((sum, slot) => sum + stats.recordsOut(slot), 0) };
    const instant = ((now.read - last.read) * 1000) / Math.max(1, now.at - last.at);
    rate = rate === undefined ? instant : rate + SMOOTHING * (instant - rate);
    last = now;
    write(`${CLEAR_LINE}${progressText({ read: now.read, total, rate })}`);
  }, REDRAW_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    write(CLEAR_LINE);
  };
}
