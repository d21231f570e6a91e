import { availableParallelism } from 'node:os';
import type { ChildRunner, Line } from './child-runner.ts';
import { buildFlink, flinkEvents, flinkQueries, runFlink, type FlinkApi } from './nexmark/flink.ts';
import { nexmarkEvents } from './nexmark/generator.ts';
import { QUERY_NAMES, isQueryName, type QueryName } from './nexmark/queries.ts';
import { nexmarkTable, type Cell } from './nexmark/table.ts';

/**
 * The `nexmark` suite (issues 6 and 14): each query at each parallelism on weir (a child process, bench/jobs/nexmark.ts),
 * on Flink's DataStream API and, where bench/flink has one, its SQL variant (JVMs, bench/flink), all pinned to the
 * same cores and measured the same way (bench/README.md); then a table of medians with min-max, wall-clock and per
 * CPU-second. First, a verification run per engine and cell hashes every result: the command fails when the hashes
 * (or any run's result counts) differ, since then the engines did not do the same work.
 */
export const NEXMARK = 'nexmark';
export const NEXMARK_DEFAULT_REPEAT = 5;
const DEFAULT_SEED = 42;
/** Events whose JSON the two generators must agree on before anything is measured. */
const GENERATOR_CHECK_EVENTS = 2_000;
/** Events of a verification run, at most (hashing every result is slow: q0 has one per event). */
const DEFAULT_VERIFY_EVENTS = 10_000_000;

/**
 * Events and warm-up per query: sized so that the measured span lasts at least 10 s on the fastest engine at p2 on
 * the 2-core machine of bench/RESULTS.md (its rates with a fifth more), and the warm-up covers JIT compilation.
 */
export const NEXMARK_SIZES: Record<QueryName, { readonly events: number; readonly warmup: number }> = {
  q0: { events: 180_000_000, warmup: 20_000_000 },
  q1: { events: 180_000_000, warmup: 20_000_000 },
  q2: { events: 180_000_000, warmup: 20_000_000 },
  q3: { events: 70_000_000, warmup: 8_000_000 },
  q5: { events: 24_000_000, warmup: 3_000_000 },
  'q5-unsliced': { events: 24_000_000, warmup: 3_000_000 },
  q7: { events: 28_000_000, warmup: 3_000_000 },
  q8: { events: 60_000_000, warmup: 6_000_000 },
  count: { events: 40_000_000, warmup: 4_000_000 },
};

export interface NexmarkBenchOptions {
  readonly queries: readonly string[];
  readonly parallelisms: readonly number[];
  /** Events and warm-up of every query; each query's NEXMARK_SIZES when absent. */
  readonly events?: number;
  readonly warmup?: number;
  readonly verifyEvents?: number;
  readonly seed?: number;
  /** Runs per engine and cell; the table shows medians with min-max. */
  readonly repeat: number;
  /** Pins each run to cores 0 to p - 1 with taskset (default); false runs unpinned. */
  readonly pin?: boolean;
}

/** Flink's DataStream side has one q5: its WindowOperator does not slice, so it is the unsliced one. */
const flinkQuery = (query: QueryName): string => (query === 'q5-unsliced' ? 'q5' : query);

/** Cores 0 to p - 1: at p1 every thread of either engine shares core 0 (weir's worker, Flink's source and operator threads). */
function coresFor(parallelism: number): string {
  if (parallelism > availableParallelism()) throw new Error(`cannot pin parallelism ${parallelism} to ${availableParallelism()} cores`);
  return parallelism === 1 ? '0' : `0-${parallelism - 1}`;
}

/** Both generators make the same first events, byte for byte (their JSON), or the comparison means nothing. */
function checkGenerators(classpath: string, seed: number): void {
  const java = flinkEvents(classpath, GENERATOR_CHECK_EVENTS, seed);
  const typescript = nexmarkEvents(GENERATOR_CHECK_EVENTS, seed).map((event) => JSON.stringify(event));
  const differs = typescript.findIndex((line, n) => java[n] !== line);
  if (differs !== -1 || java.length !== typescript.length) {
    const n = differs === -1 ? Math.min(java.length, typescript.length) : differs;
    throw new Error(`the Java and TypeScript Nexmark generators differ at event ${n}:\n  java: ${java[n]}\n  ts:   ${typescript[n]}`);
  }
}

/** The driver; returns the exit code. */
export function runNexmarkBench(options: NexmarkBenchOptions, child: ChildRunner): number {
  const unknown = options.queries.filter((query) => !isQueryName(query));
  if (unknown.length > 0) {
    process.stderr.write(`unknown Nexmark queries: ${unknown.join(', ')} (known: ${QUERY_NAMES.join(', ')})\n`);
    return 2;
  }
  const queries = options.queries as QueryName[];
  const sizeOf = (query: QueryName): { events: number; warmup: number } => ({
    events: options.events ?? NEXMARK_SIZES[query].events,
    warmup: options.warmup ?? (options.events === undefined ? NEXMARK_SIZES[query].warmup : Math.floor(options.events / 10)),
  });
  for (const query of queries) {
    const { events, warmup } = sizeOf(query);
    if (!(warmup >= 0 && warmup < events)) {
      process.stderr.write(`--warmup must be at least 0 and below --events (got ${warmup} of ${events} for ${query})\n`);
      return 2;
    }
  }
  const seed = options.seed ?? DEFAULT_SEED;
  const classpath = buildFlink();
  checkGenerators(classpath, seed);
  const sqlQueries = new Set(flinkQueries(classpath, 'sql'));
  const apisOf = (query: QueryName): FlinkApi[] => (query !== 'q5-unsliced' && sqlQueries.has(query) ? ['datastream', 'sql'] : ['datastream']);
  const engineOf = (api: FlinkApi): string => (api === 'sql' ? 'flink-sql' : 'flink');
  const cells: Cell[] = [];
  const failures: string[] = [];

  const weirRun = (query: QueryName, parallelism: number, cores: string | undefined, events: number, warmup: number, hash: boolean): Line => {
    const line = child([NEXMARK, query, String(parallelism), String(events), String(warmup), String(seed), hash ? 'hash' : 'measure'], cores);
    if (line === undefined) throw new Error(`weir's Nexmark ${query} at p${parallelism} failed`);
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return line;
  };
  // q5 and q5-unsliced share Flink's one q5: a run serves both cells of its round (or of the verification).
  let flinkRuns = new Map<string, Line>();
  const flinkRun = (query: QueryName, parallelism: number, cores: string | undefined, api: FlinkApi, events: number, warmup: number, hash: boolean): Line => {
    const key = JSON.stringify([flinkQuery(query), parallelism, api, events, warmup, hash]);
    const done = flinkRuns.get(key);
    if (done !== undefined) return done;
    const line = runFlink(classpath, { query: flinkQuery(query), parallelism, events, warmup, seed, api, hash, cores });
    process.stdout.write(`${JSON.stringify(line)}\n`);
    flinkRuns.set(key, line);
    return line;
  };

  // Verification: one run per engine and cell whose sinks hash every result; not timed.
  for (const query of queries) {
    for (const parallelism of options.parallelisms) {
      const cores = options.pin === false ? undefined : coresFor(parallelism);
      const events = Math.min(sizeOf(query).events, options.verifyEvents ?? DEFAULT_VERIFY_EVENTS);
      const hashes = new Map<string, string>();
      const ownResults = new Set<string>();
      hashes.set('weir', weirRun(query, parallelism, cores, events, 0, true).resultHash as string);
      for (const api of apisOf(query)) {
        const line = flinkRun(query, parallelism, cores, api, events, 0, true);
        hashes.set(engineOf(api), line.resultHash as string);
        // A SQL variant that computes other results than weir's query (the official SQL's q0 is bids only) has its own hash.
        if (api === 'sql' && line.sameResultsAsDataStream !== true) ownResults.add(engineOf(api));
      }
      const compared = [...hashes].filter(([engine]) => !ownResults.has(engine));
      if (new Set(compared.map(([, hash]) => hash)).size !== 1) failures.push(`${query} p${parallelism} over ${events} events: result hashes ${JSON.stringify(Object.fromEntries(hashes))}`);
      const runs = new Map<string, Line[]>([...hashes.keys()].map((engine) => [engine, []]));
      cells.push({ query, parallelism, cores: cores ?? 'any', runs, hashes, ownResults });
    }
  }

  if (failures.length > 0) {
    process.stderr.write(`the engines' results differ, so they did not do the same work (nothing measured):\n  ${failures.join('\n  ')}\n`);
    return 1;
  }

  // Rounds go over every cell before the next begins, so that a slow spell of the machine falls on all of them.
  for (let round = 0; round < options.repeat; round++) {
    flinkRuns = new Map();
    for (const cell of cells) {
      const query = cell.query as QueryName;
      const { events, warmup } = sizeOf(query);
      const cores = options.pin === false ? undefined : cell.cores;
      cell.runs.get('weir')!.push(weirRun(query, cell.parallelism, cores, events, warmup, false));
      for (const api of apisOf(query)) cell.runs.get(engineOf(api))!.push(flinkRun(query, cell.parallelism, cores, api, events, warmup, false));
      const counts = new Map([...cell.runs].map(([engine, runs]) => [engine, runs.at(-1)!.results]));
      const comparable = [...counts].filter(([engine]) => !cell.ownResults.has(engine));
      if (new Set(comparable.map(([, count]) => count)).size !== 1) failures.push(`${query} p${cell.parallelism} round ${round + 1}: result counts ${JSON.stringify(Object.fromEntries(counts))}`);
    }
  }
  const title = options.repeat > 1 ? `Medians (min-max) of ${options.repeat} runs per engine and cell:\n` : '';
  process.stdout.write(`\n${title}${nexmarkTable(cells)}\n`);
  if (failures.length > 0) {
    process.stderr.write(`the engines' results differ, so they did not do the same work:\n  ${failures.join('\n  ')}\n`);
    return 1;
  }
  return 0;
}
