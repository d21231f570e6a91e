/** How far back the per-second rates of the job's routes look. */
export const RATE_WINDOW_MS = 10_000;

/**
 * Per-second rates of cumulative counters over a recent window: samples (a time and one value per counter) are
 * added as they are taken, and a rate is the change from the oldest sample in the window to the newest, per second.
 * A counter that went down (a restarted subtask counts from 0 again) counts from 0 at the sample where it did.
 */
export class RateWindow {
  private readonly samples: { readonly at: number; readonly values: readonly number[] }[] = [];

  constructor(private readonly windowMs: number = RATE_WINDOW_MS) {}

  add(at: number, values: readonly number[]): void {
    const last = this.samples.at(-1);
    if (last !== undefined && at <= last.at) return;
    this.samples.push({ at, values: [...values] });
    // Keep the newest sample at or before the window's start, so the window is always covered in full.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  /** Each counter's change per second over the window; zeros until two samples are in. */
  perSecond(counters: number): number[] {
    const rates = new Array<number>(counters).fill(0);
    if (this.samples.length < 2) return rates;
    const oldest = this.samples[0]!;
    const newest = this.samples.at(-1)!;
    const seconds = (newest.at - oldest.at) / 1000;
    for (let i = 0; i < counters; i++) {
      let change = 0;
      for (let s = 1; s < this.samples.length; s++) {
        const before = this.samples[s - 1]!.values[i] ?? 0;
        const after = this.samples[s]!.values[i] ?? 0;
        change += after >= before ? after - before : after;
      }
      rates[i] = change / seconds;
    }
    return rates;
  }
}
