/** Event time is milliseconds since the epoch; a record without one carries NO_TIMESTAMP. */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;
/** The watermark before any: every timestamp is ahead of it. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;
/** The watermark at the end of bounded input: every event-time timer fires. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;

/** Marks a failure outside any record (open, flush, finish). */
export const NO_RECORD = Symbol('no record');
