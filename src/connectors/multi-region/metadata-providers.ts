import { readFile } from 'node:fs/promises';
import { describeError, WeirError } from '../../core/errors.ts';
import { createLogger } from '../../observe/logger.ts';
import type { ClusterMetadata, ClusterMetadataProvider } from './cluster-metadata.ts';
import { sameMetadata } from './metadata-changes.ts';
import { parseClusterMetadata } from './metadata-validation.ts';

const log = createLogger(undefined, { component: 'cluster-metadata' });

const DEFAULT_FILE_POLL_MS = 1_000;
const DEFAULT_HTTP_POLL_MS = 5_000;
const DEFAULT_HTTP_TIMEOUT_MS = 5_000;

export interface PollOptions {
  /** How often the file is read again or the endpoint asked again, in ms. */
  readonly pollMs?: number;
}

export interface HttpPollOptions extends PollOptions {
  /** How long one request may take before it counts as failed (the last good metadata stays), in ms. */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where a job's cluster metadata comes from (docs/multi-region.md, "Cluster metadata"). */
export const clusterMetadata = {
  /** Fixed metadata, checked now: a job whose clusters never change while it runs. */
  static(metadata: ClusterMetadata): ClusterMetadataProvider {
    const checked = parseClusterMetadata(metadata, 'code');
    return { description: 'static metadata', load: async () => checked, watch: () => () => {} };
  },

  /**
   * A JSON file, read again every `pollMs` (default 1 s): an edit (or a replacing rename) takes effect at each
   * subtask's next checkpoint barrier. An unreadable or invalid version is logged and skipped.
   */
  file(path: string, options: PollOptions = {}): ClusterMetadataProvider {
    const from = `the file ${path}`;
    const read = async (): Promise<ClusterMetadata> => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new WeirError(`cannot read cluster metadata from ${from}: ${describeError(error)}`, { cause: error });
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new WeirError(`cluster metadata from ${from} is not JSON: ${describeError(error)}`, { cause: error });
      }
      return parseClusterMetadata(value, from);
    };
    return polled(from, read, options.pollMs ?? DEFAULT_FILE_POLL_MS);
  },

  /** An HTTP endpoint answering GET with the metadata as JSON, asked every `pollMs` (default 5 s). */
  http(url: string, options: HttpPollOptions = {}): ClusterMetadataProvider {
    const from = `the endpoint ${url}`;
    const read = async (): Promise<ClusterMetadata> => {
      let response: Response;
      try {
        response = await fetch(url, { headers: { accept: 'application/json', ...options.headers }, signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS) });
      } catch (error) {
        throw new WeirError(`cannot fetch cluster metadata from ${from}: ${describeError(error)}`, { cause: error });
      }
      if (!response.ok) throw new WeirError(`cluster metadata from ${from}: HTTP ${response.status} ${response.statusText}`);
      let value: unknown;
      try {
        value = await response.json();
      } catch (error) {
        throw new WeirError(`cluster metadata from ${from} is not JSON: ${describeError(error)}`, { cause: error });
      }
      return parseClusterMetadata(value, from);
    };
    return polled(from, read, options.pollMs ?? DEFAULT_HTTP_POLL_MS);
  },
};

/** A provider that reads again every `pollMs` and delivers what differs from the last good metadata. */
function polled(description: string, read: () => Promise<ClusterMetadata>, pollMs: number): ClusterMetadataProvider {
  if (!(pollMs > 0)) throw new WeirError(`cluster metadata from ${description}: pollMs must be above 0 (got ${pollMs})`);
  return {
    description,
    load: read,
    watch(onChange, current) {
      let last = current;
      let lastProblem: string | undefined;
      let reading = false;
      let stopped = false;
      const timer = setInterval(() => {
        if (reading) return;
        reading = true;
        read()
          .then((metadata) => {
            lastProblem = undefined;
            if (stopped || sameMetadata(last, metadata)) return;
            last = metadata;
            onChange(metadata);
          })
          .catch((error: unknown) => {
            // Logged once per distinct problem, not at every poll: the last good metadata stays in force meanwhile.
            const problem = describeError(error);
            if (problem !== lastProblem) log.warn({ source: description, err: problem }, 'cluster metadata update skipped; the last good metadata stays in force');
            lastProblem = problem;
          })
          .finally(() => (reading = false));
      }, pollMs);
      timer.unref();
      return () => {
        stopped = true;
        clearInterval(timer);
      };
    },
  };
}
