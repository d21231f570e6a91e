import type { InputChannel } from './channels/channel.ts';
import type { ChannelItem } from './messages.ts';

/**
 * Merges the input channels of a subtask, round-robin so no channel starves. A channel blocked for barrier alignment
 * is skipped until alignment ends; its records wait in the channel (and its sender runs out of credit).
 */
export class InputGate {
  /** The channel the last polled item came from. */
  current: InputChannel | undefined;
  /** Index of `current` in `channels`. */
  currentIndex = -1;
  private cursor = 0;
  private readonly ended = new Set<InputChannel>();
  private readonly blocked: boolean[];
  private anyBlocked = false;

  constructor(readonly channels: readonly InputChannel[]) {
    this.blocked = channels.map(() => false);
  }

  block(index: number): void {
    this.blocked[index] = true;
    this.anyBlocked = true;
  }

  unblockAll(): void {
    this.blocked.fill(false);
    this.anyBlocked = false;
  }

  poll(): ChannelItem | undefined {
    const count = this.channels.length;
    for (let tried = 0; tried < count; tried++) {
      const index = this.cursor;
      const channel = this.channels[index]!;
      this.cursor = this.cursor + 1 === count ? 0 : this.cursor + 1;
      if (this.anyBlocked && this.blocked[index] === true) continue;
      const item = channel.poll();
      if (item !== undefined) {
        this.current = channel;
        this.currentIndex = index;
        return item;
      }
    }
    return undefined;
  }

  markEnded(channel: InputChannel): void {
    this.ended.add(channel);
  }

  get finished(): boolean {
    return this.ended.size === this.channels.length;
  }
}
