import { WeirError } from '../../core/errors.ts';
import { createLogger } from '../../observe/logger.ts';
import type { ClusterMetadata, ClusterMetadataProvider } from './cluster-metadata.ts';
import { describeMetadataChange } from './metadata-changes.ts';
import { METADATA_STATUS, metadataStatusOf, type MetadataStatus } from './metadata-status.ts';

const log = createLogger(undefined, { component: 'cluster-metadata' });

/**
 * One source or sink subtask's view of its cluster metadata: the metadata in force, and the newest change waiting for
 * the next checkpoint barrier (a change applies between epochs, never within one). Changes that arrive before a
 * barrier collapse into the newest; each applied change is logged with what it changed.
 */
export class MetadataSubscription {
  private inForce: ClusterMetadata | undefined;
  private pending: ClusterMetadata | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly provider: ClusterMetadataProvider,
    /** Who applies the changes, for the log: e.g. `{ operator: 'kafka:ratings', subtask: 0 }`. */
    private readonly owner: Readonly<Record<string, unknown>>,
    /**
     * The stream and role of the subtask, and its `ctx.reportStatus`: the metadata in force is then reported
     * (MetadataStatus) at start and at each barrier that applies a change, which `weir migrate` waits for.
     */
    private readonly status?: { readonly stream: string; readonly role: MetadataStatus['role']; readonly report: ((kind: string, status: unknown) => void) | undefined },
  ) {}

  /** Loads the metadata in force at start and begins to watch for changes. */
  async start(): Promise<ClusterMetadata> {
    const first = await this.provider.load();
    this.inForce = first;
    this.unsubscribe = this.provider.watch((metadata) => (this.pending = metadata), first);
    this.reportInForce(undefined);
    return first;
  }

  /** The metadata in force: the one loaded at start or applied at the last barrier that had a change. */
  get current(): ClusterMetadata {
    if (this.inForce === undefined) throw new WeirError(`cluster metadata from ${this.provider.description} was read before start()`);
    return this.inForce;
  }

  /** At a barrier: the newest change since the last barrier, or undefined; it is in force from now on. */
  takeAtBarrier(checkpointId: number): ClusterMetadata | undefined {
    const change = this.pending;
    if (change === undefined) return undefined;
    this.pending = undefined;
    log.info({ ...this.owner, checkpointId, source: this.provider.description, changes: describeMetadataChange(this.current, change) }, 'cluster metadata change applied at a checkpoint barrier');
    this.inForce = change;
    this.reportInForce(checkpointId);
    return change;
  }

  private reportInForce(appliedAtCheckpoint: number | undefined): void {
    if (this.status?.report === undefined) return;
    this.status.report(METADATA_STATUS, metadataStatusOf(this.status.stream, this.status.role, this.current, appliedAtCheckpoint));
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
