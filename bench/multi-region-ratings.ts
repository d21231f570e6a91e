import type { Message } from 'kafkajs';
import { MAX_OUT_OF_ORDERNESS_MS, MODEL_VERSIONS, type Rating, type WindowScore } from '../examples/feedback-scores-kafka.ts';

/**
 * The `multi-region` bench's input and its check: ratings as the example's demo makes them (20 ms of event time apart,
 * up to 3 s late, so none is late for the example's 5 s of out-of-orderness), from a fixed formula (every run reads
 * the same data), and the one right set of window scores for them.
 */

const START = Date.UTC(2026, 0, 1);
const SPACING_MS = 20;
/** Below the example's MAX_OUT_OF_ORDERNESS_MS: no rating is late. */
const JITTER_MS = Math.min(3_000, MAX_OUT_OF_ORDERNESS_MS - 1);
const MINUTE = 60_000;

/** A 32-bit mix of (index, salt): the rating's fields without a sequential random state (any subset can be made alone). */
function mix(index: number, salt: number): number {
  let x = Math.imul(index ^ Math.imul(salt, 0x9e3779b9), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function benchRating(answerId: number): Rating {
  const version = mix(answerId, 1) % MODEL_VERSIONS.length;
  return { answerId, modelVersion: MODEL_VERSIONS[version]!, stars: 1 + (mix(answerId, 2) % 5), ts: START + answerId * SPACING_MS + (mix(answerId, 3) % JITTER_MS) };
}

/** The rating as the example reads it: JSON, keyed by answer. */
export function ratingMessage(answerId: number): Message {
  return { key: String(answerId), value: JSON.stringify(benchRating(answerId)) };
}

type Totals = Map<string, { count: number; sum: number }>;

/** `<model> <window start>` -> count and sum of stars of ratings 0 .. records - 1. */
export function expectedTotals(records: number): Totals {
  const totals: Totals = new Map();
  for (let id = 0; id < records; id++) {
    const { modelVersion, stars, ts } = benchRating(id);
    const window = `${modelVersion} ${new Date(Math.floor(ts / MINUTE) * MINUTE).toISOString()}`;
    const before = totals.get(window) ?? { count: 0, sum: 0 };
    totals.set(window, { count: before.count + 1, sum: before.sum + stars });
  }
  return totals;
}

/**
 * What is wrong with the published scores, or undefined: every window at most once, none with more ratings than it
 * has, and every rating either in a score or counted by the job as dropped late (`lateRecords`): nothing lost
 * silently, nothing doubled. With `lateRecords` 0 that is exactly the one right result (counts and means checked).
 */
export function scoresProblem(expected: Totals, scores: readonly WindowScore[], lateRecords = 0): string | undefined {
  const seen = new Set<string>();
  let rated = 0;
  for (const score of scores) {
    const window = `${score.modelVersion} ${score.windowStart}`;
    if (seen.has(window)) return `window ${window} published twice`;
    seen.add(window);
    rated += score.ratings;
    const want = expected.get(window);
    if (want === undefined) return `window ${window} has no ratings`;
    const mean = Number((want.sum / want.count).toFixed(4));
    if (score.ratings > want.count || (lateRecords === 0 && (score.ratings !== want.count || score.meanStars !== mean))) {
      return `window ${window}: ${score.ratings} ratings, mean ${score.meanStars}; expected ${want.count}, ${mean}`;
    }
  }
  const total = [...expected.values()].reduce((sum, { count }) => sum + count, 0);
  if (lateRecords === 0 && seen.size !== expected.size) return `${expected.size - seen.size} of ${expected.size} windows missing`;
  if (rated + lateRecords !== total) return `${rated} ratings in scores and ${lateRecords} dropped late, of ${total}`;
  return undefined;
}
