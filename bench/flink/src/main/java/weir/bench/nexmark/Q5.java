package weir.bench.nexmark;

import java.time.Duration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * q5, hot items: bids per auction in sliding windows of 10 s every 2 s; then, keyed by window end, the auctions with
 * the most bids (ties: all). A window's result carries the timestamp end - 1, so the 2 s tumbling window of the second
 * stage holds exactly the counts of one window end.
 */
public final class Q5 {
  private Q5() {}

  public static class Result {
    public long auction;
    public long count;
    public long windowEnd;

    public Result() {}

    public Result(long auction, long count, long windowEnd) {
      this.auction = auction;
      this.count = count;
      this.windowEnd = windowEnd;
    }
  }

  public static DataStream<?> build(DataStream<Event> events) {
    return Streams.bids(events)
        .keyBy(b -> b.auction)
        .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(2)))
        .aggregate(new CountAggregate<Bid>(), new WithWindowEnd()).name("q5-count")
        .keyBy(r -> r.windowEnd)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(2)))
        .process(new Hottest()).name("q5-hottest");
  }

  /** The count aggregated so far, with its auction and window end (an aggregate alone does not see the window). */
  static class WithWindowEnd extends ProcessWindowFunction<Long, Result, Long, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<Result> out) {
      out.collect(new Result(auction, counts.iterator().next(), ctx.window().getEnd()));
    }
  }

  /** The counts of one window end at the highest count. */
  static class Hottest extends ProcessWindowFunction<Result, Result, Long, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Long windowEnd, Context ctx, Iterable<Result> counts, Collector<Result> out) {
      long max = Long.MIN_VALUE;
      for (Result r : counts) max = Math.max(max, r.count);
      for (Result r : counts) if (r.count == max) out.collect(r);
    }
  }
}
