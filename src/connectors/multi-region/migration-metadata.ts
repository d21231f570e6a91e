import { WeirError } from '../../core/errors.ts';
import type { ClusterMetadata, MigrationPhase, StreamPlacement } from './cluster-metadata.ts';

/** A migration `weir migrate` drives: the job's streams move from cluster `from` to cluster `to`. */
export interface MigrationRequest {
  readonly from: string;
  readonly to: string;
  /** The stream the job's multi-cluster sink writes, if it moves too. */
  readonly sinkStream: string | undefined;
  /** The streams the job's multi-cluster sources read. */
  readonly sourceStreams: readonly string[];
  /** How long `from`'s end offsets must stay still before its producers count as moved (DEFAULT_DRAIN_QUIET_MS when absent). */
  readonly drainQuietMs?: number;
}

/**
 * Checks a request against the metadata before its first phase is written: both clusters exist, every stream exists,
 * and, for a migration `starting`, every source stream lives on `from`.
 */
export function checkMigrationRequest(metadata: ClusterMetadata, request: MigrationRequest, starting: boolean): void {
  const { from, to } = request;
  const known = Object.keys(metadata.clusters).join(', ');
  if (from === to) throw new WeirError(`a migration needs two clusters: --from and --to are both ${from}`);
  for (const cluster of [from, to]) {
    if (metadata.clusters[cluster] === undefined) throw new WeirError(`cluster ${cluster} is not in the metadata's clusters (${known})`);
  }
  if (request.sinkStream === undefined && request.sourceStreams.length === 0) throw new WeirError('a migration needs at least one stream');
  for (const stream of [...(request.sinkStream === undefined ? [] : [request.sinkStream]), ...request.sourceStreams]) {
    if (metadata.streams[stream] === undefined) throw new WeirError(`stream '${stream}' is not in the metadata (streams: ${Object.keys(metadata.streams).join(', ')})`);
  }
  if (starting) {
    for (const stream of request.sourceStreams) {
      if (!metadata.streams[stream]!.some((placement) => placement.cluster === from)) {
        throw new WeirError(`source stream '${stream}' has no placement on ${from}: there is nothing to move from there`);
      }
    }
  }
}

/**
 * The metadata of a phase, made from the metadata of the phase before (so that other edits of the file stay):
 * - dual-read: each source stream gains a placement on `to`, with the topics it has on `from`;
 * - sink-cutover: the sink stream's placement on `to` goes first (added with the topic it has first, if missing);
 *   `from` stays behind it as a failover target;
 * - drain: no placement changes; the job reads `from` until it is proven drained;
 * - remove-source: each source stream loses its placement on `from` (the source keeps its offsets there);
 * - done: the sink stream loses its placement on `from` too: the job no longer uses it.
 * Each records the phase in `migration`.
 */
export function metadataForPhase(metadata: ClusterMetadata, request: MigrationRequest, phase: MigrationPhase): ClusterMetadata {
  const { from, to } = request;
  const streams: Record<string, readonly StreamPlacement[]> = { ...metadata.streams };
  const change = (stream: string, update: (placements: readonly StreamPlacement[]) => readonly StreamPlacement[]): void => {
    streams[stream] = update(streams[stream] ?? []);
  };
  const sources = request.sourceStreams;
  const sink = request.sinkStream;
  switch (phase) {
    case 'dual-read':
      for (const stream of sources) change(stream, (placements) => withPlacementAfter(placements, from, to));
      break;
    case 'sink-cutover':
      if (sink !== undefined) change(sink, (placements) => withPlacementFirst(placements, from, to));
      break;
    case 'drain':
      break;
    case 'remove-source':
      for (const stream of sources) change(stream, (placements) => placements.filter((placement) => placement.cluster !== from));
      break;
    case 'done':
      if (sink !== undefined) {
        change(sink, (placements) => {
          const rest = placements.filter((placement) => placement.cluster !== from);
          return rest.length > 0 ? rest : placements;
        });
      }
      break;
  }
  return { ...metadata, streams, migration: { from, to, phase } };
}

/** `to` right after `from` (with `from`'s topics), unless the stream already has it. */
function withPlacementAfter(placements: readonly StreamPlacement[], from: string, to: string): readonly StreamPlacement[] {
  if (placements.some((placement) => placement.cluster === to)) return placements;
  const at = placements.findIndex((placement) => placement.cluster === from);
  if (at < 0) return placements;
  return [...placements.slice(0, at + 1), { cluster: to, topics: placements[at]!.topics }, ...placements.slice(at + 1)];
}

/** `to` first; its topics from `from`'s placement (or the first) when the stream does not have it yet. */
function withPlacementFirst(placements: readonly StreamPlacement[], from: string, to: string): readonly StreamPlacement[] {
  const existing = placements.find((placement) => placement.cluster === to);
  const model = placements.find((placement) => placement.cluster === from) ?? placements[0];
  const first = existing ?? (model === undefined ? undefined : { cluster: to, topics: model.topics });
  if (first === undefined) return placements;
  return [first, ...placements.filter((placement) => placement.cluster !== to)];
}
