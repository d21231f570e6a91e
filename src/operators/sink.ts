import type { Sink, SinkWriter } from '../connectors/sink.ts';
import type { OperatorContext, OperatorFactory, StreamOperator } from './operator.ts';

/** Hands records to a connector's writer; flushes after each batch so a slow sink slows its inputs. */
class SinkOperator<T> implements StreamOperator<T, never> {
  private op!: OperatorContext;
  private writer!: SinkWriter<T>;

  constructor(private readonly sink: Sink<T>) {}

  async open(ctx: OperatorContext): Promise<void> {
    this.op = ctx;
    this.writer = this.sink.createWriter(ctx);
    await this.writer.open?.();
  }

  process(record: T): void {
    try {
      this.writer.write(record);
    } catch (error) {
      throw this.op.fail(error, record);
    }
  }

  endOfBatch(): void | Promise<void> {
    return this.writer.flush?.();
  }

  async finish(): Promise<void> {
    await this.writer.flush?.();
    await this.writer.finish?.();
  }

  async close(): Promise<void> {
    await this.writer.close?.();
  }
}

export const sinkOperator = <T>(sink: Sink<T>): OperatorFactory => () => new SinkOperator(sink) as StreamOperator;
