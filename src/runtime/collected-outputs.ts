/** Records one CollectSink subtask sent at once, with the checkpoint whose epoch they belong after. */
interface Chunk {
  readonly afterCheckpoint: number;
  readonly records: unknown[];
}

/**
 * What CollectSinks received, kept as exactly-once output is: a record counts once the checkpoint after it could
 * replay it no more. A restart from checkpoint n drops every record received after barrier n (the restarted attempt
 * sends them again), and a restart without a checkpoint drops everything, so a job that failed and restarted shows
 * what its successful chain of attempts published, with nothing twice.
 */
export class CollectedOutputs {
  private readonly bySink = new Map<string, Chunk[]>();

  /** `afterCheckpoint`: the last barrier the sink passed before these records (the restored checkpoint, or 0, before any). */
  append(sink: string, afterCheckpoint: number, records: unknown[]): void {
    const chunks = this.bySink.get(sink);
    if (chunks === undefined) this.bySink.set(sink, [{ afterCheckpoint, records }]);
    else chunks.push({ afterCheckpoint, records });
  }

  /** The next attempt restores `checkpointId` (0: none): what arrived after that barrier is sent again, so it goes. */
  rollBackTo(checkpointId: number): void {
    for (const [sink, chunks] of this.bySink) {
      this.bySink.set(
        sink,
        chunks.filter((chunk) => chunk.afterCheckpoint < checkpointId),
      );
    }
  }

  /** Every sink's records in arrival order. */
  toMap(): Map<string, unknown[]> {
    return new Map([...this.bySink].map(([sink, chunks]) => [sink, chunks.flatMap((chunk) => chunk.records)]));
  }
}
