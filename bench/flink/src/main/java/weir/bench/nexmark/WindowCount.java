package weir.bench.nexmark;

import java.time.Duration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** count: bids per auction per 10 s tumbling window (a keyed tumbling-window count), as {auction, windowEnd, count}. */
public final class WindowCount {
  private WindowCount() {}

  public static class Result {
    public long auction;
    public long windowEnd;
    public long count;

    public Result() {}

    public Result(long auction, long windowEnd, long count) {
      this.auction = auction;
      this.windowEnd = windowEnd;
      this.count = count;
    }
  }

  public static DataStream<?> build(DataStream<Event> events) {
    return Streams.bids(events)
        .keyBy(b -> b.auction)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
        .aggregate(new CountAggregate<Bid>(), new WithWindowEnd()).name("count");
  }

  static class WithWindowEnd extends ProcessWindowFunction<Long, Result, Long, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<Result> out) {
      out.collect(new Result(auction, ctx.window().getEnd(), counts.iterator().next()));
    }
  }
}
