package weir.bench.nexmark;

import java.math.BigInteger;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

/**
 * Counts and drops its input; when its input ends (finish()), it leaves its end mark and count in Marks. In a
 * verification run it also hashes each result's canonical text (ResultDigest): never in a measured run, whose sink
 * must cost nothing. The legacy SinkFunction (deprecated, still in 1.20) is the plainest sink: one call per record.
 */
@SuppressWarnings("deprecation")
public class CountingSink<T> extends RichSinkFunction<T> {
  private static final long serialVersionUID = 1L;

  private final String query;
  private final boolean hash;
  private long count;
  private transient ResultDigest digest;

  CountingSink(String query, boolean hash) {
    this.query = query;
    this.hash = hash;
  }

  /** Attaches a counting sink to a query's output, whatever its type. */
  static <T> void attach(DataStream<T> results, String query, boolean hash) {
    results.addSink(new CountingSink<T>(query, hash)).name("count");
  }

  @Override
  public void invoke(T value, Context context) {
    count++;
    if (hash) {
      if (digest == null) digest = new ResultDigest();
      digest.add(Canonical.text(query, value));
    }
  }

  @Override
  public void finish() {
    Marks.sinkEnded(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), count, hash ? (digest == null ? BigInteger.ZERO : digest.sum()) : null);
  }
}
