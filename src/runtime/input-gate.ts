import type { InputChannel } from './channels/channel.ts';
import type { ChannelItem } from './messages.ts';

/**
 * Merges the input channels of a subtask, round-robin so no channel starves.
 * Barrier alignment hangs off this gate in a later stage.
 */
export class InputGate {
  /** The channel the last polled item came from. */
  current: InputChannel | undefined;
  /** Index of `current` in `channels`. */
  currentIndex = -1;
  private cursor = 0;
  private readonly ended = new Set<InputChannel>();

  constructor(readonly channels: readonly InputChannel[]) {}

  poll(): ChannelItem | undefined {
    const count = this.channels.length;
    for (let tried = 0; tried < count; tried++) {
      const index = this.cursor;
      const channel = this.channels[index]!;
      this.cursor = this.cursor + 1 === count ? 0 : this.cursor + 1;
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
