import type { Partitioning } from '../api/graph.ts';
import type { OutputChannel } from './channels/channel.ts';
import type { StreamEvent } from './messages.ts';
import type { RecordTime } from '../operators/operator.ts';
import { keyGroupFor, subtaskForKeyGroup } from '../state/key-groups.ts';

/** Routes one subtask's output on one edge to the channels of the downstream subtasks. */
export class RecordWriter {
  /** Picks the channel(s) for a record; specialised per partitioning so the hot path has no switch. */
  readonly emit: (record: unknown) => void;

  /**
   * @param channels indexed by downstream subtask; for forward, the single channel to the same index.
   * @param time the subtask's current record timestamp, sent along with each record.
   * @param failKey wraps a key selector failure so that it names the keyed operator.
   */
  constructor(
    private readonly channels: readonly OutputChannel[],
    partitioning: Partitioning,
    maxParallelism: number,
    upstreamSubtask: number,
    time: RecordTime,
    failKey: (cause: unknown, record: unknown) => Error,
  ) {
    const count = channels.length;
    switch (partitioning.kind) {
      case 'forward': {
        const only = channels[0]!;
        this.emit = (record) => only.push(record, time.timestamp);
        break;
      }
      case 'rebalance': {
        let next = upstreamSubtask % count;
        this.emit = (record) => {
          channels[next]!.push(record, time.timestamp);
          next = next + 1 === count ? 0 : next + 1;
        };
        break;
      }
      case 'broadcast':
        this.emit = (record) => {
          for (let i = 0; i < count; i++) channels[i]!.push(record, time.timestamp);
        };
        break;
      case 'hash': {
        const selectKey = partitioning.keySelector;
        this.emit = (record) => {
          let target: number;
          try {
            const key = selectKey(record);
            if (key === undefined || key === null) throw new TypeError(`the key selector returned ${String(key)}: every record needs a key`);
            target = subtaskForKeyGroup(keyGroupFor(key, maxParallelism), maxParallelism, count);
          } catch (error) {
            throw failKey(error, record);
          }
          channels[target]!.push(record, time.timestamp);
        };
        break;
      }
    }
  }

  isAvailable(): boolean {
    for (const channel of this.channels) if (!channel.isAvailable()) return false;
    return true;
  }

  hasOpenBatch(): boolean {
    for (const channel of this.channels) if (channel.hasOpenBatch()) return true;
    return false;
  }

  isDrained(): boolean {
    for (const channel of this.channels) if (!channel.isDrained()) return false;
    return true;
  }

  flush(): void {
    for (const channel of this.channels) channel.flush();
  }

  broadcastEvent(event: StreamEvent): void {
    for (const channel of this.channels) channel.sendEvent(event);
  }
}
