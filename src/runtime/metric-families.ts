import { Counter, Gauge, type Registry } from 'prom-client';

/** One series of a family: its labels and its value now. */
export interface Sample<L extends string> {
  readonly labels: Record<L, string>;
  readonly value: number;
}

/**
 * A family whose series are all read at scrape time from `samples`: a counter is reset and set like a gauge (inc
 * from zero), since the totals live elsewhere (the stats board, the checkpoint history).
 */
export function scrapedFamily<L extends string>(
  registry: Registry,
  kind: 'counter' | 'gauge',
  name: string,
  help: string,
  labelNames: readonly L[],
  samples: () => Iterable<Sample<L>>,
): void {
  const options = { name, help, labelNames, registers: [registry] };
  if (kind === 'gauge') {
    new Gauge<L>({
      ...options,
      collect() {
        this.reset();
        for (const { labels, value } of samples()) this.set(labels, value);
      },
    });
  } else {
    new Counter<L>({
      ...options,
      collect() {
        this.reset();
        for (const { labels, value } of samples()) this.inc(labels, value);
      },
    });
  }
}
