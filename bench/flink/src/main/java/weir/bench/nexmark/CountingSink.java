package weir.bench.nexmark;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

/**
 * Counts and drops its input; when its input ends (finish()), it leaves its end mark and count in Marks. The legacy
 * SinkFunction (deprecated, still in 1.20) is the plainest sink: one call per record, no writer or committer.
 */
@SuppressWarnings("deprecation")
public class CountingSink<T> extends RichSinkFunction<T> {
  private static final long serialVersionUID = 1L;

  private long count;

  /** Attaches a counting sink to a query's output, whatever its type. */
  static <T> void attach(DataStream<T> results) {
    results.addSink(new CountingSink<T>()).name("count");
  }

  @Override
  public void invoke(T value, Context context) {
    count++;
  }

  @Override
  public void finish() {
    Marks.sinkEnded(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), count);
  }
}
