import type { ClusterMetadata, ClusterMetadataProvider } from './cluster-metadata.ts';

/**
 * One source or sink subtask's view of its cluster metadata: the metadata in force, and the newest change waiting for
 * the next checkpoint barrier (a change applies between epochs, never within one). Changes that arrive before a
 * barrier collapse into the newest.
 */
export class MetadataSubscription {
  private pending: ClusterMetadata | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly provider: ClusterMetadataProvider) {}

  /** Loads the metadata in force at start and begins to watch for changes. */
  async start(): Promise<ClusterMetadata> {
    const first = await this.provider.load();
    this.unsubscribe = this.provider.watch((metadata) => (this.pending = metadata));
    return first;
  }

  /** At a barrier: the newest change since the last barrier, or undefined; it is in force from now on. */
  takeAtBarrier(): ClusterMetadata | undefined {
    const change = this.pending;
    this.pending = undefined;
    return change;
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
