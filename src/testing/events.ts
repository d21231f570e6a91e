/**
 * fast-check arbitraries of event streams as a real source delivers them: keyed events whose timestamps arrive out of
 * order within a bound, late events beyond it, duplicates, poison records, bursts and idle gaps. A stream is plain
 * data (printable in a counterexample, replayed from fast-check's seed); stream-records.ts encodes it for files and Kafka.
 */
import type fc from 'fast-check';
import { arrivalOrder, type Draft } from './event-arrival.ts';
import { fastCheck } from './fast-check.ts';
import type { PoisonReason, StreamRecord } from './stream-records.ts';

/** What `events()` generates; every option has a default, so `events()` alone gives small mixed streams. */
export interface EventsOptions<V = number> {
  /** How many distinct keys (`key-0` ... `key-<n-1>`), or an arbitrary of keys; default 5. */
  readonly keys?: number | fc.Arbitrary<string>;
  /** An arbitrary of event values (plain JSON data); default integers 0 to 1000. */
  readonly values?: fc.Arbitrary<V>;
  /** How many records a stream has (events, duplicates and poison records together): a number or a range; default 0 to 40. */
  readonly count?: number | { readonly min: number; readonly max: number };
  /** How far behind the newest timestamp seen an on-time event may arrive, in ms; default 1000. */
  readonly maxOutOfOrderMs?: number;
  /** The share of events (0 to 1) delayed beyond the bound, to arrive late; default 0. */
  readonly lateShare?: number;
  /** The share of events (0 to 1) delivered a second time, within the bound; default 0. */
  readonly duplicateShare?: number;
  /** The share of records (0 to 1) that are poison: undecodable bytes or an event without its timestamp; default 0. */
  readonly poisonShare?: number;
  /** The timestamp of the first event (ms since the epoch); default 2024-01-01T00:00:00Z. */
  readonly startTime?: number;
  /** The largest event-time step between two consecutive events outside bursts and idle gaps, in ms; default 500. */
  readonly maxGapMs?: number;
  /** The share of steps (0 to 1) that are 0 ms (a burst of events with one timestamp); default 0.2. */
  readonly burstShare?: number;
  /** The share of steps (0 to 1) that are idle gaps; default 0.05. */
  readonly idleShare?: number;
  /** How long an idle gap is in event time, in ms (windows and sessions with no event in them); default 10 × maxOutOfOrderMs, at least 10 s. */
  readonly idleGapMs?: number;
}


const DEFAULT_START = Date.UTC(2024, 0, 1);
/** Shares are drawn as integers in [0, SCALE): they shrink towards 0, which is a plain on-time event. */
const SCALE = 10_000;

/**
 * An arbitrary of event streams (see {@link EventsOptions}): each stream is its events and poison records in the order
 * a source delivers them, ready to be a check's `input` (`filesIo` and `kafkaIo` write them with `encodeRecord`:
 * poison records as their raw bytes). Each stream honours its bound: an event that is not
 * marked `late` arrives at most `maxOutOfOrderMs` behind the largest timestamp delivered before it, so a job with
 * `WatermarkStrategy.boundedOutOfOrderness(maxOutOfOrderMs)` never treats it as late. An event marked `late` arrives
 * more than the bound behind: a watermark that has caught up with the records before it (one per record, or a periodic
 * one that fired meanwhile) has passed it. Duplicates repeat an earlier event's id, key, value and timestamp.
 */
export function events<V = number>(options: EventsOptions<V> = {}): fc.Arbitrary<StreamRecord<V>[]> {
  const settings = validate(options);
  // The user's own fast-check (a peer dependency), or a clear error when there is none.
  const fc = fastCheck();
  const keys = typeof options.keys === 'object' ? options.keys : fc.nat({ max: settings.keyCount - 1 }).map((index) => `key-${index}`);
  const values = options.values ?? (fc.integer({ min: 0, max: 1_000 }) as unknown as fc.Arbitrary<V>);
  const bound = settings.maxOutOfOrderMs;
  const draft = fc.record({
    key: keys,
    value: values,
    // Unbiased: fast-check favours small and extreme integers, which would skew the shares.
    role: fc.noBias(fc.integer({ min: 0, max: SCALE - 1 })),
    step: fc.noBias(fc.integer({ min: 0, max: SCALE - 1 })),
    gapMs: fc.integer({ min: 1, max: settings.maxGapMs }),
    delayMs: fc.integer({ min: 0, max: bound }),
    // Well past the bound, so that the records arriving before a late event usually carry it past the watermark.
    latenessMs: fc.noBias(fc.integer({ min: 1, max: 4 * bound + 4 * settings.maxGapMs })),
    pick: fc.nat(),
    poisonBytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  });
  const { min, max } = settings.count;
  // size 'max': the user's count range, not fast-check's default small size (about 10), bounds the length.
  return fc
    .array(draft, { minLength: min, maxLength: max, size: 'max' })
    .map((drafts) => arrivalOrder(drafts.map((d) => toDraft(d, settings)), { startTime: settings.startTime, maxOutOfOrderMs: bound }));
}

interface Settings {
  readonly keyCount: number;
  readonly count: { readonly min: number; readonly max: number };
  readonly maxOutOfOrderMs: number;
  readonly startTime: number;
  readonly maxGapMs: number;
  readonly idleGapMs: number;
  readonly shares: { readonly late: number; readonly duplicate: number; readonly poison: number; readonly burst: number; readonly idle: number };
}

function toDraft<V>(
  d: { key: string; value: V; role: number; step: number; gapMs: number; delayMs: number; latenessMs: number; pick: number; poisonBytes: Uint8Array },
  settings: Settings,
): Draft<V> {
  const { shares } = settings;
  const step = d.step < shares.idle * SCALE ? settings.idleGapMs : d.step < (shares.idle + shares.burst) * SCALE ? 0 : d.gapMs;
  // The role's draw shrinks towards the plain event; then poison, duplicate and late in turn take their shares from the top.
  const role = d.role;
  let kind: Draft<V>['kind'] = 'event';
  let edge = SCALE;
  for (const [name, share] of [['poison', shares.poison], ['duplicate', shares.duplicate], ['late', shares.late]] as const) {
    edge -= share * SCALE;
    if (role >= edge) {
      kind = name;
      break;
    }
  }
  // The two poison reasons split the poison draw in halves.
  const reason: PoisonReason = role % 2 === 0 ? 'undecodable' : 'missing-timestamp';
  return { kind, key: d.key, value: d.value, stepMs: step, delayMs: d.delayMs, latenessMs: d.latenessMs, pick: d.pick, reason, poisonBytes: d.poisonBytes };
}

function validate<V>(options: EventsOptions<V>): Settings {
  const fail = (message: string): never => {
    throw new RangeError(`events(): ${message}`);
  };
  const share = (name: string, value: number | undefined, fallback: number): number => {
    const chosen = value ?? fallback;
    if (!(chosen >= 0 && chosen <= 1)) fail(`${name} must be a share between 0 and 1, got ${String(value)}`);
    return chosen;
  };
  const keyCount = typeof options.keys === 'number' ? options.keys : 5;
  if (!Number.isInteger(keyCount) || keyCount < 1) fail(`keys must be a positive integer or an arbitrary of keys, got ${String(options.keys)}`);
  const count = typeof options.count === 'number' ? { min: options.count, max: options.count } : (options.count ?? { min: 0, max: 40 });
  if (!Number.isInteger(count.min) || !Number.isInteger(count.max) || count.min < 0 || count.max < count.min) {
    fail(`count must be a non-negative integer or { min, max } with min <= max, got ${JSON.stringify(options.count)}`);
  }
  const maxOutOfOrderMs = options.maxOutOfOrderMs ?? 1_000;
  if (!Number.isInteger(maxOutOfOrderMs) || maxOutOfOrderMs < 0) fail(`maxOutOfOrderMs must be a non-negative integer, got ${String(options.maxOutOfOrderMs)}`);
  const maxGapMs = options.maxGapMs ?? 500;
  if (!Number.isInteger(maxGapMs) || maxGapMs < 1) fail(`maxGapMs must be a positive integer, got ${String(options.maxGapMs)}`);
  const idleGapMs = options.idleGapMs ?? Math.max(10_000, 10 * maxOutOfOrderMs);
  if (!Number.isInteger(idleGapMs) || idleGapMs < 1) fail(`idleGapMs must be a positive integer, got ${String(options.idleGapMs)}`);
  const startTime = options.startTime ?? DEFAULT_START;
  if (!Number.isSafeInteger(startTime)) fail(`startTime must be an integer timestamp in ms, got ${String(options.startTime)}`);
  const shares = {
    late: share('lateShare', options.lateShare, 0),
    duplicate: share('duplicateShare', options.duplicateShare, 0),
    poison: share('poisonShare', options.poisonShare, 0),
    burst: share('burstShare', options.burstShare, 0.2),
    idle: share('idleShare', options.idleShare, 0.05),
  };
  if (shares.late + shares.duplicate + shares.poison > 1) fail('lateShare + duplicateShare + poisonShare must not exceed 1');
  if (shares.burst + shares.idle > 1) fail('burstShare + idleShare must not exceed 1');
  return { keyCount, count, maxOutOfOrderMs, startTime, maxGapMs, idleGapMs, shares };
}
