// How the page writes numbers: counts with thousands separators (the test reads them back), rates, times, bytes.

/** The watermark of an input that ended (the routes' END_OF_EVENT_TIME). */
export const END_OF_EVENT_TIME = Number.MAX_SAFE_INTEGER;

/** Event times from this on are read as dates; smaller ones are shown as the numbers they are (test data, counters). */
const EARLIEST_DATE_MS = 1e11;

/** @param {number} value */
export function count(value) {
  return Math.round(value).toLocaleString('en-US');
}

/** @param {number} value records (or anything) per second */
export function perSecond(value) {
  return `${value >= 100 ? count(value) : value.toFixed(1)}/s`;
}

/** @param {number} msPerSecond a share of time as ms per second (Flink's busyTimeMsPerSecond and its kin) */
export function share(msPerSecond) {
  return `${Math.round(msPerSecond / 10)}%`;
}

/** @param {number | null | undefined} ms */
export function duration(ms) {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** @param {number | null | undefined} value */
export function bytes(value) {
  if (value === null || value === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${unit === 0 ? scaled : scaled.toFixed(1)} ${units[unit]}`;
}

/** @param {number | null} value a watermark: null before the first, END_OF_EVENT_TIME once the input ended */
export function watermark(value) {
  if (value === null) return 'none yet';
  if (value >= END_OF_EVENT_TIME) return 'end of input';
  return value >= EARLIEST_DATE_MS ? new Date(value).toISOString() : count(value);
}

/**
 * A name per item for chart legends: its own name, or with its id beside it where two items share a name (two
 * sources both called `generator`), so that their lines stay apart.
 * @template {string | number} I
 * @param {readonly { id: I, name: string }[]} items
 * @returns {Map<I, string>}
 */
export function seriesLabels(items) {
  /** @type {Map<string, number>} */
  const uses = new Map();
  for (const { name } of items) uses.set(name, (uses.get(name) ?? 0) + 1);
  return new Map(items.map(({ id, name }) => [id, (uses.get(name) ?? 0) > 1 ? `${name} #${id}` : name]));
}

/** @param {number} value an event time, on a chart's axis: the time of day (UTC) when it is a date, else the number */
export function watermarkTick(value) {
  return value >= EARLIEST_DATE_MS ? new Date(value).toISOString().slice(11, 19) : count(value);
}

/** @param {number} epochMs */
export function clock(epochMs) {
  return new Date(epochMs).toLocaleTimeString('en-GB');
}
