import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_JOB_URL, parseCommand, UsageError, type RunCommand } from '../../src/cli/args.ts';
import { main } from '../../src/cli/main.ts';
import { DEFAULT_DRAIN_QUIET_MS } from '../../src/connectors/multi-region/migration-machine.ts';

function run(...argv: string[]): RunCommand {
  const command = parseCommand(['run', ...argv]);
  if (command.command !== 'run') throw new Error(`expected a run command, got ${command.command}`);
  return command;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`parseCommand accepted ${JSON.stringify(argv)}`);
}

describe('parseCommand: help', () => {
  it.each([[[]], [['help']], [['--help']], [['-h']]])('returns help for %j', (argv) => {
    expect(parseCommand(argv)).toEqual({ command: 'help' });
  });
});

describe('parseCommand: good run command lines', () => {
  it('parses a bare job with every option left undefined', () => {
    expect(run('jobs/count.ts')).toEqual({
      command: 'run',
      job: 'jobs/count.ts',
      parallelism: undefined,
      jobId: undefined,
      checkpointDir: undefined,
      fromSavepoint: undefined,
      httpPort: undefined,
      httpHost: undefined,
      allowNonRestoredState: false,
      allowFreshStart: false,
      params: undefined,
    });
  });

  it('parses every flag, before or after the job', () => {
    expect(
      run(
        '--parallelism', '4',
        '--job-id', 'feedback',
        'job.js',
        '--checkpoint-dir', '/tmp/ckpt',
        '--from-savepoint', '/tmp/sp-1',
        '--metrics-port', '9464',
        '--metrics-host', '0.0.0.0',
        '--allow-non-restored-state',
        '--allow-fresh-start',
        '--params', '{"topic":"in","limits":[1,2],"dry":false}',
      ),
    ).toEqual({
      command: 'run',
      job: 'job.js',
      parallelism: 4,
      jobId: 'feedback',
      checkpointDir: '/tmp/ckpt',
      fromSavepoint: '/tmp/sp-1',
      httpPort: 9464,
      httpHost: '0.0.0.0',
      allowNonRestoredState: true,
      allowFreshStart: true,
      params: { topic: 'in', limits: [1, 2], dry: false },
    });
  });

  it('accepts -p and --flag=value forms', () => {
    expect(run('job.ts', '-p', '3').parallelism).toBe(3);
    expect(run('job.ts', '--parallelism=2').parallelism).toBe(2);
    expect(run('job.ts', '--params=[1,"x"]').params).toEqual([1, 'x']);
  });

  it('accepts JSON scalars as params and metrics port 0 (any free port)', () => {
    expect(run('job.ts', '--params', '7').params).toBe(7);
    expect(run('job.ts', '--params', 'null').params).toBeNull();
    expect(run('job.ts', '--metrics-port', '0').httpPort).toBe(0);
    expect(run('job.ts', '--http-port', '0').httpPort).toBe(0);
  });

  it('takes --http-port/--http-host and their earlier names --metrics-port/--metrics-host, both when they agree', () => {
    expect(run('job.ts', '--http-port', '8081', '--http-host', '0.0.0.0')).toMatchObject({ httpPort: 8081, httpHost: '0.0.0.0' });
    expect(run('job.ts', '--http-port', '8081', '--metrics-port', '8081')).toMatchObject({ httpPort: 8081 });
    expect(run('job.ts', '--metrics-port', '8081', '--http-host', '::1')).toMatchObject({ httpPort: 8081, httpHost: '::1' });
  });
});

describe('parseCommand: bad command lines', () => {
  it('rejects an unknown command', () => {
    expect(usageError(['start', 'job.ts']).message).toMatch(/unknown command 'start'/);
  });

  it('rejects run without a job', () => {
    expect(usageError(['run']).message).toMatch(/exactly one job file/);
    expect(usageError(['run', '--parallelism', '2']).message).toMatch(/exactly one job file/);
  });

  it('rejects two jobs', () => {
    expect(usageError(['run', 'a.ts', 'b.ts']).message).toMatch(/exactly one job file/);
  });

  it.each(['0', '-2', 'x', '1.5', ''])('rejects --parallelism %j', (value) => {
    const error = usageError(['run', 'job.ts', `--parallelism=${value}`]);
    expect(error.message).toMatch(/--parallelism/);
  });

  it.each(['-1', 'http', '80.5'])('rejects --metrics-port %j', (value) => {
    expect(usageError(['run', 'job.ts', `--metrics-port=${value}`]).message).toMatch(/--metrics-port/);
  });

  // A TCP port is at most 65535; a larger one is accepted here and only fails later, when the metrics server
  // listens, as an unexpected error instead of a usage error.
  it('rejects a --metrics-port above 65535', () => {
    expect(usageError(['run', 'job.ts', '--metrics-port', '70000']).message).toMatch(/--metrics-port/);
  });

  it('rejects --metrics-host without --metrics-port, which it would not serve', () => {
    expect(usageError(['run', 'job.ts', '--metrics-host', '0.0.0.0']).message).toBe('--metrics-host needs --metrics-port (0 for any free port)');
  });

  it('rejects both spellings of the port or the host when they disagree', () => {
    expect(usageError(['run', 'job.ts', '--http-port', '8081', '--metrics-port', '9464']).message).toBe(
      '--http-port 8081 and --metrics-port 9464 are one option under two names and disagree: give one',
    );
    expect(usageError(['run', 'job.ts', '--http-port', '0', '--http-host', '0.0.0.0', '--metrics-host', '127.0.0.1']).message).toMatch(/--http-host 0\.0\.0\.0 and --metrics-host 127\.0\.0\.1/);
    expect(usageError(['run', 'job.ts', '--http-host', '0.0.0.0']).message).toBe('--http-host needs --http-port (0 for any free port)');
  });

  it('rejects an unknown flag, naming the one meant when it is close', () => {
    expect(usageError(['run', 'job.ts', '--paralelism', '2']).message).toBe("unknown option '--paralelism' for weir run: did you mean --parallelism?");
    expect(usageError(['run', 'job.ts', '--checkpointdir=/tmp']).message).toMatch(/did you mean --checkpoint-dir\?$/);
    expect(usageError(['run', 'job.ts', '--http-prot', '0']).message).toMatch(/did you mean --http-port\?$/);
    expect(usageError(['status', '--ulr', 'http://x']).message).toBe("unknown option '--ulr' for weir status: did you mean --url?");
    // Nothing close: no guess, the usage instead.
    const far = usageError(['run', 'job.ts', '--colour', 'red']).message;
    expect(far).not.toMatch(/did you mean/);
    expect(far).toMatch(/^unknown option '--colour' for weir run; usage: /);
    expect(usageError(['run', 'job.ts', '-x']).message).toMatch(/-x/);
  });

  it('names the command meant for a mistyped one', () => {
    expect(usageError(['staus']).message).toBe("unknown command 'staus': did you mean 'weir status'?");
    expect(usageError(['savepiont']).message).toBe("unknown command 'savepiont': did you mean 'weir savepoint'?");
    expect(usageError(['--verison']).message).toBe("unknown command '--verison': did you mean 'weir version'?");
  });

  it('rejects a flag that needs a value but has none', () => {
    usageError(['run', 'job.ts', '--job-id']);
  });

  it.each(['{topic: "in"}', "{'a':1}", '[1,2', 'undefined'])('rejects --params %s that is not JSON', (value) => {
    const error = usageError(['run', 'job.ts', '--params', value]);
    expect(error.message).toContain('--params needs JSON');
    expect(error.message).toContain(value);
  });

  it('reports a bad flag value in a one-line message', () => {
    expect(usageError(['run', 'job.ts', '--parallelism', 'x']).message).not.toContain('\n');
  });
});

describe('parseCommand: status, savepoint, stop, --version', () => {
  it('takes --url, else WEIR_URL, else the documented default', () => {
    const saved = process.env['WEIR_URL'];
    try {
      delete process.env['WEIR_URL'];
      expect(parseCommand(['status'])).toEqual({ command: 'status', url: DEFAULT_JOB_URL, json: false });
      expect(DEFAULT_JOB_URL).toBe('http://127.0.0.1:8081');
      process.env['WEIR_URL'] = 'http://10.0.0.5:9000';
      expect(parseCommand(['savepoint'])).toEqual({ command: 'savepoint', url: 'http://10.0.0.5:9000', json: false });
      expect(parseCommand(['stop', '--url', 'http://h:1'])).toEqual({ command: 'stop', url: 'http://h:1', json: false });
      expect(parseCommand(['status', '--json'])).toMatchObject({ command: 'status', json: true });
    } finally {
      if (saved === undefined) delete process.env['WEIR_URL'];
      else process.env['WEIR_URL'] = saved;
    }
  });

  it('refuses --json on savepoint and stop, which print a path', () => {
    expect(usageError(['stop', '--json']).message).toMatch(/unknown option '--json' for weir stop/);
  });

  it.each([['--version'], ['-v'], ['version']])('%s prints the version in package.json', async (flag) => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    let printed = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
    try {
      expect(await main([flag])).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(printed).toBe(`${version}\n`);
  });

  it('exits 2 with the usage error for a mistyped flag', async () => {
    let printed = '';
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
    try {
      expect(await main(['run', 'job.ts', '--paralelism', '2'])).toBe(2);
    } finally {
      write.mockRestore();
    }
    expect(printed).toBe("weir: unknown option '--paralelism' for weir run: did you mean --parallelism?\n");
  });
});

describe('parseCommand: migrate', () => {
  const base = ['migrate', '--metadata', 'clusters.json', '--stream', 'scores,ratings', '--from', 'a', '--to', 'b', '--url', 'http://127.0.0.1:9464'];

  it('parses the streams, the clusters and the defaults of the poll and of the quiet the drain waits for', () => {
    expect(parseCommand(base)).toEqual({
      command: 'migrate',
      metadata: 'clusters.json',
      sinkStream: 'scores',
      sourceStreams: ['ratings'],
      from: 'a',
      to: 'b',
      url: 'http://127.0.0.1:9464',
      pollMs: 1_000,
      quietMs: DEFAULT_DRAIN_QUIET_MS,
    });
    expect(parseCommand([...base, '--quiet-ms', '0', '--poll-ms', '200'])).toMatchObject({ quietMs: 0, pollMs: 200 });
  });

  it('refuses a quiet time that is not a whole number of ms', () => {
    expect(usageError([...base, '--quiet-ms', 'soon']).message).toMatch(/--quiet-ms/);
    expect(usageError([...base, '--quiet-ms', '-1']).message).toMatch(/--quiet-ms/);
  });
});
