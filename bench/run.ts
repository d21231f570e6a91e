import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runJob } from '../src/runtime/coordinator.ts';

/**
 * `npm run bench -- <name>[,<name>...] [--events N] [--parallelism 1,2] [--repeat R]` runs benchmarks and prints one
 * JSON line per result (DESIGN contracts); with --repeat, rounds interleave them and a median line per benchmark
 * ends. Each measurement runs in a child process, so peak RSS and CPU belong to that run alone.
 */
interface Benchmark {
  readonly job: string;
  readonly defaultEvents: number;
  readonly params?: Record<string, unknown>;
  /** Parallelisms run when the command names none (default 1 and 2). */
  readonly defaultParallelism?: string;
}

const BENCHMARKS: Record<string, Benchmark> = {
  'stateless-chain': { job: 'jobs/stateless-chain.ts', defaultEvents: 100_000_000 },
  'keyed-count': { job: 'jobs/keyed-count.ts', defaultEvents: 20_000_000 },
  'window-count': { job: 'jobs/window-count.ts', defaultEvents: 20_000_000, params: { keys: 10_000 } },
  'window-count-1m-keys': { job: 'jobs/window-count.ts', defaultEvents: 20_000_000, params: { keys: 1_000_000 } },
  // One distinct key per event: 10M keys through one subtask's 100,000-entry cache (issue 3: peak RSS under 1 GiB).
  // At parallelism 2 each subtask has its own cache and LMDB environment; see bench/RESULTS.md for its RSS.
  'state-size': { job: 'jobs/state-size.ts', defaultEvents: 10_000_000, params: { cacheEntries: 100_000 }, defaultParallelism: '1' },
};

const USAGE = 'npm run bench -- <name>[,<name>...] [--events N] [--parallelism 1,2] [--repeat R]';

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
}

async function measureOnce(name: string, parallelism: number, events: number): Promise<void> {
  const bench = BENCHMARKS[name]!;
  const cpuBefore = process.cpuUsage();
  const result = await runJob({
    jobModule: fileURLToPath(new URL(bench.job, import.meta.url)),
    params: { events, ...bench.params },
    parallelism,
    logLevel: 'warn',
  });
  const cpu = process.cpuUsage(cpuBefore);
  const line = {
    bench: name,
    engine: 'weir',
    parallelism,
    events,
    eventsPerSec: Math.round(events / (result.runningMs / 1000)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    runningSeconds: Number((result.runningMs / 1000).toFixed(3)),
    ...bench.params,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(args: string[]): Promise<number> {
  if (args[0] === '--child') {
    await measureOnce(args[1]!, Number(args[2]), Number(args[3]));
    return 0;
  }
  const names = (args[0] ?? '').split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => BENCHMARKS[name] === undefined);
  if (names.length === 0 || unknown.length > 0) {
    process.stdout.write(`benchmarks: ${Object.keys(BENCHMARKS).join(', ')}\nusage: ${USAGE}\n`);
    return names.length === 0 ? 0 : 2;
  }
  const repeat = Number(flag(args, 'repeat') ?? 1);
  const rates = new Map<string, number[]>();
  // Rounds interleave the benchmarks, so that a slow spell of a shared machine does not fall on one of them only.
  for (let round = 0; round < repeat; round++) {
    for (const name of names) {
      const events = Number(flag(args, 'events') ?? BENCHMARKS[name]!.defaultEvents);
      const parallelisms = (flag(args, 'parallelism') ?? BENCHMARKS[name]!.defaultParallelism ?? '1,2').split(',').map(Number);
      for (const parallelism of parallelisms) {
        const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', name, String(parallelism), String(events)], {
          stdio: ['ignore', 'pipe', 'inherit'],
          encoding: 'utf8',
        });
        process.stdout.write(child.stdout);
        if (child.status !== 0) return child.status ?? 1;
        const line = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { eventsPerSec: number };
        const key = `${name} p${parallelism}`;
        rates.set(key, [...(rates.get(key) ?? []), line.eventsPerSec]);
      }
    }
  }
  if (repeat > 1) {
    for (const [key, values] of rates) {
      const sorted = [...values].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      process.stdout.write(`${JSON.stringify({ summary: key, runs: values.length, medianEventsPerSec: median, minEventsPerSec: sorted[0], maxEventsPerSec: sorted.at(-1) })}\n`);
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
