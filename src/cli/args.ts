import { parseArgs } from 'node:util';
import { DEFAULT_DRAIN_QUIET_MS } from '../connectors/multi-region/migration-machine.ts';
import { closestName } from './did-you-mean.ts';

/** Where `weir status|savepoint|stop` look for the job without `--url`: `WEIR_URL`, else this (Flink's REST port). */
export const DEFAULT_JOB_URL = 'http://127.0.0.1:8081';

export interface RunCommand {
  readonly command: 'run';
  readonly job: string;
  readonly parallelism: number | undefined;
  readonly jobId: string | undefined;
  readonly checkpointDir: string | undefined;
  readonly fromSavepoint: string | undefined;
  /** `--http-port`, or its earlier name `--metrics-port`. */
  readonly httpPort: number | undefined;
  /** `--http-host`, or its earlier name `--metrics-host`. */
  readonly httpHost: string | undefined;
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

/** `weir status|savepoint|stop`: asks the job's HTTP server at `url`. */
export type JobVerbCommand = { readonly [C in 'status' | 'savepoint' | 'stop']: JobVerb<C> }['status' | 'savepoint' | 'stop'];

/** One of the {@link JobVerbCommand}s. */
export interface JobVerb<C extends string> {
  readonly command: C;
  readonly url: string;
  /** `weir status --json`: the server's answer as it is. */
  readonly json: boolean;
}

/** `weir new`: writes a ready project (src/cli/scaffold/). */
export interface NewCommand {
  readonly command: 'new';
  readonly name: string;
  readonly dir: string | undefined;
}

export type Command = RunCommand | ClustersCommand | MigrateCommand | JobVerbCommand | NewCommand | { readonly command: 'help' } | { readonly command: 'version' };

const COMMANDS = ['run', 'status', 'savepoint', 'stop', 'clusters', 'migrate', 'new', 'help', 'version'];

export const USAGE = `usage: weir run <job.ts|job.js> [--parallelism N] [--job-id ID] [--checkpoint-dir DIR]
                [--from-savepoint DIR] [--allow-non-restored-state] [--allow-fresh-start] [--http-port P]
                [--http-host H] [--params JSON]      (--metrics-port/--metrics-host: the same as --http-*)
       weir status [--url URL] [--json]      the running job's state, uptime, attempt, restarts, last checkpoint
       weir savepoint [--url URL]            takes a savepoint, the job going on; prints its directory
       weir stop [--url URL]                 stops the job with a savepoint; prints its directory
                (--url: the job's --http-port address; default $WEIR_URL, else ${DEFAULT_JOB_URL})
       weir --version
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

type Options = Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>;

/** A flag that is not one of `options`: refused, naming the one meant when one is close ("did you mean"). */
function checkFlagNames(args: readonly string[], options: Options, command: string): void {
  for (const arg of args) {
    if (arg === '--') return;
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0]!;
    if (name in options) continue;
    const meant = closestName(name, Object.keys(options));
    throw new UsageError(`unknown option '--${name}' for weir ${command}${meant === undefined ? `; ${USAGE}` : `: did you mean --${meant}?`}`);
  }
}

function parseWith(args: readonly string[], options: Options, command: string, allowPositionals: boolean): ReturnType<typeof parseArgs<{ options: Options; allowPositionals: boolean; strict: true }>> {
  checkFlagNames(args, options, command);
  try {
    return parseArgs({ args: [...args], allowPositionals, strict: true, options });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** One option under its two names (`--http-port`, `--metrics-port`): either, or both when they agree. */
function eitherName(values: Record<string, unknown>, name: string, alias: string): { flag: string; value: string | undefined } {
  const value = values[name] as string | undefined;
  const aliased = values[alias] as string | undefined;
  if (value !== undefined && aliased !== undefined && value !== aliased) {
    throw new UsageError(`--${name} ${value} and --${alias} ${aliased} are one option under two names and disagree: give one`);
  }
  return value !== undefined ? { flag: name, value } : { flag: alias, value: aliased };
}

export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'version' || command === '--version' || command === '-v') return { command: 'version' };
  if (command === 'clusters') return parseClusters(rest);
  if (command === 'migrate') return parseMigrate(rest);
  if (command === 'new') return parseNew(rest);
  if (command === 'status' || command === 'savepoint' || command === 'stop') return parseJobVerb(command, rest);
  if (command !== 'run') {
    const meant = closestName(command.replace(/^-+/, ''), COMMANDS);
    throw new UsageError(`unknown command '${command}'${meant === undefined ? `; ${USAGE}` : `: did you mean 'weir ${meant}'?`}`);
  }
  const { values, positionals } = parseWith(
    rest,
    {
      parallelism: { type: 'string', short: 'p' },
      'job-id': { type: 'string' },
      'checkpoint-dir': { type: 'string' },
      'from-savepoint': { type: 'string' },
      'allow-non-restored-state': { type: 'boolean' },
      'allow-fresh-start': { type: 'boolean' },
      'http-port': { type: 'string' },
      'http-host': { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      params: { type: 'string' },
    },
    'run',
    true,
  );
  if (positionals.length !== 1) throw new UsageError(`weir run needs exactly one job file; ${USAGE}`);
  let params: unknown;
  if (typeof values['params'] === 'string') {
    try {
      params = JSON.parse(values['params']);
    } catch {
      throw new UsageError(`--params needs JSON, got '${values['params']}'`);
    }
  }
  const port = eitherName(values, 'http-port', 'metrics-port');
  const host = eitherName(values, 'http-host', 'metrics-host');
  // Said rather than ignored: a host alone serves nothing.
  if (host.value !== undefined && port.value === undefined) throw new UsageError(`--${host.flag} needs --${host.flag.replace('host', 'port')} (0 for any free port)`);
  return {
    command: 'run',
    job: positionals[0]!,
    parallelism: integerFlag('parallelism', values['parallelism'] as string | undefined, 1, 32_768),
    jobId: values['job-id'] as string | undefined,
    checkpointDir: values['checkpoint-dir'] as string | undefined,
    fromSavepoint: values['from-savepoint'] as string | undefined,
    httpPort: integerFlag(port.flag, port.value, 0, 65_535),
    httpHost: host.value,
    allowNonRestoredState: values['allow-non-restored-state'] === true,
    allowFreshStart: values['allow-fresh-start'] === true,
    params,
  };
}

function parseFlags(args: readonly string[], options: Options, command: string): Record<string, string | undefined> {
  return parseWith(args, options, command, false).values as Record<string, string | undefined>;
}

function parseJobVerb<C extends JobVerbCommand['command']>(command: C, args: readonly string[]): JobVerb<C> {
  const options: Options = command === 'status' ? { url: { type: 'string' }, json: { type: 'boolean' } } : { url: { type: 'string' } };
  const values = parseWith(args, options, command, false).values;
  const url = (values['url'] as string | undefined) ?? process.env['WEIR_URL'] ?? DEFAULT_JOB_URL;
  if (url === '') throw new UsageError(`weir ${command} needs a --url`);
  return { command, url, json: values['json'] === true };
}

function required(values: Record<string, string | undefined>, flag: string, command: string): string {
  const value = values[flag];
  if (value === undefined || value === '') throw new UsageError(`weir ${command} needs --${flag}; ${USAGE}`);
  return value;
}

function parseClusters(args: readonly string[]): ClustersCommand {
  const values = parseFlags(args, { url: { type: 'string' } }, 'clusters');
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
  }, 'migrate');
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
  const { values, positionals } = parseWith(args, { dir: { type: 'string' } }, 'new', true);
  if (positionals.length !== 1) throw new UsageError(`weir new needs exactly one project name; ${USAGE}`);
  return { command: 'new', name: positionals[0]!, dir: values['dir'] as string | undefined };
}
