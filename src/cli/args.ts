import { parseArgs } from 'node:util';
import { DEFAULT_DRAIN_QUIET_MS } from '../connectors/multi-region/migration-machine.ts';

export interface RunCommand {
  readonly command: 'run';
  readonly job: string;
  readonly parallelism: number | undefined;
  readonly jobId: string | undefined;
  readonly checkpointDir: string | undefined;
  readonly fromSavepoint: string | undefined;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string | undefined;
  readonly allowNonRestoredState: boolean;
  readonly allowFreshStart: boolean;
  readonly params: unknown;
}

/** `weir clusters`: the multi-cluster table of a running job. */
export interface ClustersCommand {
  readonly command: 'clusters';
  readonly url: string;
}

/** `weir migrate`: drives a metadata file through the migration phases, watching the job. */
export interface MigrateCommand {
  readonly command: 'migrate';
  readonly metadata: string;
  readonly sinkStream: string | undefined;
  readonly sourceStreams: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly url: string;
  readonly pollMs: number;
  /** How long the old cluster's end offsets must stay still before its producers count as moved. */
  readonly quietMs: number;
}

/** `weir new`: writes a ready project (src/cli/scaffold/). */
export interface NewCommand {
  readonly command: 'new';
  readonly name: string;
  readonly dir: string | undefined;
}

export type Command = RunCommand | ClustersCommand | MigrateCommand | NewCommand | { readonly command: 'help' };

export const USAGE = `usage: weir run <job.ts|job.js> [--parallelism N] [--job-id ID] [--checkpoint-dir DIR]
                [--from-savepoint DIR] [--allow-non-restored-state] [--allow-fresh-start] [--metrics-port P]
                [--metrics-host H] [--params JSON]
       weir clusters --url http://HOST:PORT
       weir migrate --metadata FILE --stream SINK_STREAM[,SOURCE_STREAM...] --from CLUSTER --to CLUSTER
                --url http://HOST:PORT [--poll-ms MS] [--quiet-ms MS]
       weir new <name> [--dir DIR]`;

/** A command line the CLI refuses; the message is printed as one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function integerFlag(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} needs an integer from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'clusters') return parseClusters(rest);
  if (command === 'migrate') return parseMigrate(rest);
  if (command === 'new') return parseNew(rest);
  if (command !== 'run') throw new UsageError(`unknown command '${command}'; ${USAGE}`);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: {
        parallelism: { type: 'string', short: 'p' },
        'job-id': { type: 'string' },
        'checkpoint-dir': { type: 'string' },
        'from-savepoint': { type: 'string' },
        'allow-non-restored-state': { type: 'boolean' },
        'allow-fresh-start': { type: 'boolean' },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string' },
        params: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`weir run needs exactly one job file; ${USAGE}`);
  let params: unknown;
  if (values.params !== undefined) {
    try {
      params = JSON.parse(values.params);
    } catch {
      throw new UsageError(`--params needs JSON, got '${values.params}'`);
    }
  }
  // Said rather than ignored: a host alone serves nothing.
  if (values['metrics-host'] !== undefined && values['metrics-port'] === undefined) {
    throw new UsageError('--metrics-host needs --metrics-port (0 for any free port)');
  }
  return {
    command: 'run',
    job: positionals[0]!,
    parallelism: integerFlag('parallelism', values.parallelism, 1, 32_768),
    jobId: values['job-id'],
    checkpointDir: values['checkpoint-dir'],
    fromSavepoint: values['from-savepoint'],
    metricsPort: integerFlag('metrics-port', values['metrics-port'], 0, 65_535),
    metricsHost: values['metrics-host'],
    allowNonRestoredState: values['allow-non-restored-state'] === true,
    allowFreshStart: values['allow-fresh-start'] === true,
    params,
  };
}

function parseFlags(args: readonly string[], options: Record<string, { readonly type: 'string' }>): Record<string, string | undefined> {
  try {
    return parseArgs({ args: [...args], strict: true, allowPositionals: false, options }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function required(values: Record<string, string | undefined>, flag: string, command: string): string {
  const value = values[flag];
  if (value === undefined || value === '') throw new UsageError(`weir ${command} needs --${flag}; ${USAGE}`);
  return value;
}

function parseClusters(args: readonly string[]): ClustersCommand {
  const values = parseFlags(args, { url: { type: 'string' } });
  return { command: 'clusters', url: required(values, 'url', 'clusters') };
}

function parseMigrate(args: readonly string[]): MigrateCommand {
  const values = parseFlags(args, {
    metadata: { type: 'string' },
    stream: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    url: { type: 'string' },
    'poll-ms': { type: 'string' },
    'quiet-ms': { type: 'string' },
  });
  // The sink's stream first, then the sources' (an empty first name: the job has no multi-cluster sink to move).
  const [sink, ...sources] = required(values, 'stream', 'migrate').split(',').map((name) => name.trim());
  if (sources.some((name) => name === '')) throw new UsageError(`--stream needs names separated by commas, got '${values['stream']}'`);
  const from = required(values, 'from', 'migrate');
  const to = required(values, 'to', 'migrate');
  if (from === to) throw new UsageError(`--from and --to name the same cluster (${from})`);
  return {
    command: 'migrate',
    metadata: required(values, 'metadata', 'migrate'),
    sinkStream: sink === '' ? undefined : sink,
    sourceStreams: sources,
    from,
    to,
    url: required(values, 'url', 'migrate'),
    pollMs: integerFlag('poll-ms', values['poll-ms'], 10, 600_000) ?? 1_000,
    quietMs: integerFlag('quiet-ms', values['quiet-ms'], 0, 86_400_000) ?? DEFAULT_DRAIN_QUIET_MS,
  };
}

function parseNew(args: readonly string[]): NewCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], strict: true, allowPositionals: true, options: { dir: { type: 'string' } } });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`weir new needs exactly one project name; ${USAGE}`);
  return { command: 'new', name: parsed.positionals[0]!, dir: parsed.values.dir };
}
