import { WeirError } from '../../core/errors.ts';
import { MIGRATION_PHASES, type ClusterMetadata, type ClusterSpec, type MigrationState, type StreamPlacement } from './cluster-metadata.ts';

/** Cluster ids key offsets and name transactional ids and record ids: no separators of those (`/`, `|`, `@`, `:`). */
const CLUSTER_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Checks metadata read from a file, an endpoint or code, and returns it in its plain form. Every fault names where it
 * is (`streams.ratings[1].cluster`) and what was expected, so a wrong cluster id or a typo is found before it matters.
 */
export function parseClusterMetadata(value: unknown, from: string): ClusterMetadata {
  const fail = (path: string, problem: string): never => {
    throw new WeirError(`cluster metadata from ${from}: ${path} ${problem}`);
  };
  if (!isObject(value)) return fail('(the whole)', `must be an object with "clusters" and "streams", not ${kind(value)}`);
  if (!isObject(value['clusters'])) return fail('clusters', `must be an object of cluster id -> { "brokers": [...] }, not ${kind(value['clusters'])}`);
  if (!isObject(value['streams'])) return fail('streams', `must be an object of stream name -> [{ "cluster", "topics" }], not ${kind(value['streams'])}`);

  const clusters: Record<string, ClusterSpec> = {};
  for (const [id, spec] of Object.entries(value['clusters'])) {
    const path = `clusters.${id}`;
    if (!CLUSTER_ID.test(id)) fail(path, 'is not a valid cluster id (letters, digits, ".", "_" and "-", at most 64)');
    if (!isObject(spec)) return fail(path, `must be an object with "brokers", not ${kind(spec)}`);
    const brokers = brokerList(spec['brokers']);
    if (brokers === undefined) return fail(`${path}.brokers`, 'must be a non-empty list of "host:port" (or one comma-separated string)');
    const clientId = spec['clientId'];
    if (clientId !== undefined && typeof clientId !== 'string') fail(`${path}.clientId`, 'must be a string');
    clusters[id] = { brokers, ...(typeof clientId === 'string' ? { clientId } : {}) };
  }
  const known = Object.keys(clusters);
  if (known.length === 0) fail('clusters', 'names no cluster');
  const checkCluster = (path: string, id: unknown): string => {
    if (typeof id !== 'string' || clusters[id] === undefined) return fail(path, `${JSON.stringify(id)} is not a cluster id (known: ${known.join(', ')})`);
    return id;
  };

  const streams: Record<string, StreamPlacement[]> = {};
  for (const [name, placements] of Object.entries(value['streams'])) {
    const path = `streams.${name}`;
    if (!Array.isArray(placements)) return fail(path, `must be a list of { "cluster", "topics" }, not ${kind(placements)}`);
    const seen = new Set<string>();
    streams[name] = placements.map((placement: unknown, index) => {
      const at = `${path}[${index}]`;
      if (!isObject(placement)) return fail(at, `must be an object with "cluster" and "topics", not ${kind(placement)}`);
      const cluster = checkCluster(`${at}.cluster`, placement['cluster']);
      if (seen.has(cluster)) fail(`${at}.cluster`, `names ${cluster} a second time in this stream`);
      seen.add(cluster);
      const topics = typeof placement['topics'] === 'string' ? [placement['topics']] : placement['topics'];
      if (!Array.isArray(topics) || topics.length === 0 || !topics.every((topic) => typeof topic === 'string' && topic !== '')) {
        return fail(`${at}.topics`, 'must be a non-empty list of topic names');
      }
      return { cluster, topics: [...(topics as string[])] };
    });
  }

  const migration = value['migration'] === undefined ? undefined : parseMigration(value['migration'], fail, checkCluster);
  return { clusters, streams, ...(migration === undefined ? {} : { migration }) };
}

/** The placements of a stream, or an error that names the streams there are. */
export function placementsOf(metadata: ClusterMetadata, stream: string, from: string): readonly StreamPlacement[] {
  const placements = metadata.streams[stream];
  if (placements === undefined) {
    throw new WeirError(`cluster metadata from ${from} has no stream '${stream}' (streams: ${Object.keys(metadata.streams).join(', ') || 'none'})`);
  }
  return placements;
}

function parseMigration(value: unknown, fail: (path: string, problem: string) => never, checkCluster: (path: string, id: unknown) => string): MigrationState {
  if (!isObject(value)) return fail('migration', `must be an object with "from", "to" and "phase", not ${kind(value)}`);
  const from = checkCluster('migration.from', value['from']);
  const to = checkCluster('migration.to', value['to']);
  if (from === to) fail('migration', `moves from ${from} to itself`);
  const phase = value['phase'];
  if (!(MIGRATION_PHASES as readonly unknown[]).includes(phase)) fail('migration.phase', `must be one of ${MIGRATION_PHASES.join(', ')}, not ${JSON.stringify(phase)}`);
  return { from, to, phase: phase as MigrationState['phase'] };
}

function brokerList(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (list === undefined || !list.every((broker) => typeof broker === 'string')) return undefined;
  const brokers = (list as string[]).map((broker) => broker.trim()).filter((broker) => broker !== '');
  return brokers.length === 0 ? undefined : brokers;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
