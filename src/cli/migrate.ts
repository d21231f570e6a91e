import { readFile } from 'node:fs/promises';
import { describeError, WeirError } from '../core/errors.ts';
import { replaceDurably } from '../core/durable-fs.ts';
import { sleep } from '../core/signal.ts';
import type { ClusterMetadata } from '../connectors/multi-region/cluster-metadata.ts';
import { parseClusterMetadata } from '../connectors/multi-region/metadata-validation.ts';
import { checkMigration, DEFAULT_DRAIN_QUIET_MS, nextMigrationStep } from '../connectors/multi-region/migration-machine.ts';
import type { MigrationRequest } from '../connectors/multi-region/migration-metadata.ts';
import type { ClustersView } from '../connectors/multi-region/cluster-view.ts';
import { fetchClusters } from './job-client.ts';

export interface MigrateOptions {
  /** The metadata file the job watches (clusterMetadata.file). */
  readonly metadataPath: string;
  readonly request: MigrationRequest;
  readonly url: URL;
  /** How often the job is asked again while waiting. */
  readonly pollMs: number;
  /** Progress lines. */
  readonly say: (line: string) => void;
}

/**
 * `weir migrate`: drives the metadata file through the migration phases (docs/multi-region-runbook.md), one phase per
 * write, each written only once the job reports the one before applied (and the drain proven). The file records the
 * phase, so an interrupted run resumes from it.
 */
export async function migrate(options: MigrateOptions): Promise<void> {
  const { metadataPath, request, say } = options;
  let drainAfterCheckpoint: number | undefined;
  let lastWait = '';
  let unreachable = '';
  // A wrong cluster or stream fails now, not once the job answers.
  const recorded = checkMigration((await readMetadata(metadataPath)).metadata, request);
  if (recorded !== undefined) say(`resuming at phase ${recorded.phase}, as ${metadataPath} records it`);
  say(`migrating ${[request.sinkStream, ...request.sourceStreams].filter((s) => s !== undefined).join(', ')} from ${request.from} to ${request.to} in ${metadataPath}, watching the job at ${options.url.href}`);
  for (;;) {
    const { raw, metadata } = await readMetadata(metadataPath);
    let view: ClustersView;
    try {
      view = await fetchClusters(options.url);
      unreachable = '';
    } catch (error) {
      const reason = describeError(error);
      if (reason !== unreachable) say(`waiting for the job: ${reason}`);
      unreachable = reason;
      await sleep(options.pollMs);
      continue;
    }
    const step = nextMigrationStep(metadata, request, { view, drainAfterCheckpoint });
    if (step.kind === 'done') {
      say(`migration from ${request.from} to ${request.to} is done: the job no longer reads or writes ${request.from} for these streams`);
      return;
    }
    if (step.kind === 'write') {
      const recorded = metadata.migration;
      if (recorded !== undefined && recorded.from === request.from && recorded.to === request.to) {
        const drained = `, ${request.from} drained (its end offsets still across two checkpoints after ${drainAfterCheckpoint} and ${request.drainQuietMs ?? DEFAULT_DRAIN_QUIET_MS} ms, every partition read to its end)`;
        say(`phase ${recorded.phase}: applied by every subtask${recorded.phase === 'drain' ? drained : ''}`);
      }
      // Only the streams and the migration change: the clusters and anything else in the file stay as written.
      await replaceDurably(metadataPath, `${JSON.stringify({ ...raw, streams: step.metadata.streams, migration: step.metadata.migration }, null, 2)}\n`);
      say(`phase ${step.phase}: written to ${metadataPath}${step.changes.length === 0 ? '' : ` (${step.changes.join('; ')})`}; waiting for the job to apply it at a checkpoint`);
      lastWait = '';
      continue;
    }
    if (step.drainAfterCheckpoint !== undefined) drainAfterCheckpoint = step.drainAfterCheckpoint;
    const waiting = step.waitingFor.join('\n');
    if (waiting !== lastWait) say(`phase ${step.phase}: waiting for\n${step.waitingFor.map((line) => `  - ${line}`).join('\n')}`);
    lastWait = waiting;
    await sleep(options.pollMs);
  }
}

async function readMetadata(path: string): Promise<{ raw: Record<string, unknown>; metadata: ClusterMetadata }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new WeirError(`cannot read the cluster metadata in ${path}: ${describeError(error)}`, { cause: error });
  }
  const metadata = parseClusterMetadata(raw, `the file ${path}`);
  return { raw: raw as Record<string, unknown>, metadata };
}
