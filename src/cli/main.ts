import { parseCommand, USAGE, UsageError } from './args.ts';
import { runJob } from '../runtime/coordinator.ts';
import { JobFailedError } from '../core/errors.ts';
import { errorReport } from './error-report.ts';
import { fetchClusters, fetchJob, jobServerUrl, postSavepoint } from './job-client.ts';
import { jobStatusLines } from './job-status-lines.ts';
import { weirVersion } from './version.ts';
import { clustersTable } from './clusters-table.ts';
import { migrate } from './migrate.ts';
import { newProject } from './scaffold/new-project.ts';

/** `weir <command>`: returns the exit code; a failure is printed whole on stderr, with one summary line last. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command.command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (command.command === 'version') {
      process.stdout.write(`${weirVersion()}\n`);
      return 0;
    }
    if (command.command === 'status') {
      const job = await fetchJob(jobServerUrl(command.url));
      process.stdout.write(command.json ? `${JSON.stringify(job, null, 2)}\n` : `${jobStatusLines(job).join('\n')}\n`);
      return 0;
    }
    if (command.command === 'savepoint' || command.command === 'stop') {
      const { savepoint } = await postSavepoint(jobServerUrl(command.url), command.command);
      process.stdout.write(`${savepoint}\n`);
      return 0;
    }
    if (command.command === 'clusters') {
      process.stdout.write(`${clustersTable(await fetchClusters(jobServerUrl(command.url))).join('\n')}\n`);
      return 0;
    }
    if (command.command === 'new') {
      const { dir, files } = newProject(command.name, command.dir);
      process.stdout.write(`wrote ${files.length} files into ${dir}\nnext: cd ${dir} && npm install && npm test\n`);
      return 0;
    }
    if (command.command === 'migrate') {
      const { metadata, sinkStream, sourceStreams, from, to, pollMs, quietMs } = command;
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      await migrate({ metadataPath: metadata, request: { from, to, sinkStream, sourceStreams, drainQuietMs: quietMs }, url: jobServerUrl(command.url), pollMs, say });
      return 0;
    }
    // SIGTERM stops the job with a savepoint (docs/architecture.md, decision 9), and so does Ctrl-C (SIGINT) in a terminal; a second
    // signal is left to the default (exit).
    const stop = new AbortController();
    const onTerm = (): void => stop.abort();
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onTerm);
    try {
      const result = await runJob({
        jobModule: command.job,
        params: command.params,
        allowNonRestoredState: command.allowNonRestoredState,
        allowFreshStart: command.allowFreshStart,
        stopWithSavepoint: stop.signal,
        progress: true,
        onStatus: (line) => process.stderr.write(`weir: ${line}\n`),
        ...(command.parallelism === undefined ? {} : { parallelism: command.parallelism }),
        ...(command.httpPort === undefined ? {} : { httpPort: command.httpPort }),
        ...(command.httpHost === undefined ? {} : { httpHost: command.httpHost }),
        ...(command.jobId === undefined ? {} : { jobId: command.jobId }),
        ...(command.checkpointDir === undefined ? {} : { checkpointDir: command.checkpointDir }),
        ...(command.fromSavepoint === undefined ? {} : { fromSavepoint: command.fromSavepoint }),
      });
      if (result.stopped === undefined) return 0;
      if (result.stopped.savepoint === undefined) throw new JobFailedError(`stopped without a savepoint: ${result.stopped.reason ?? 'unknown'}`);
      process.stderr.write(`weir: stopped with savepoint ${result.stopped.savepoint}\n`);
      return 0;
    } finally {
      process.removeListener('SIGTERM', onTerm);
      process.removeListener('SIGINT', onTerm);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`weir: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`${errorReport(error).join('\n')}\n`);
    return 1;
  }
}
