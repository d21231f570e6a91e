package weir.bench.nexmark;

import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * q5, hot items: bids per auction in sliding windows of 10 s every 2 s; then, keyed by window end, the auctions with
 * the most bids (ties: all). A window's result carries the timestamp end - 1, so the 2 s tumbling window of the second
 * stage holds exactly the counts of one window end. Both stages aggregate as elements come (aggregate()), as weir's
 * do: the window keeps an accumulator, not its elements.
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
        .aggregate(new Hottest(), new EmitAll()).name("q5-hottest");
  }

  /** The count aggregated so far, with its auction and window end (an aggregate alone does not see the window). */
  static class WithWindowEnd extends ProcessWindowFunction<Long, Result, Long, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<Result> out) {
      out.collect(new Result(auction, counts.iterator().next(), ctx.window().getEnd()));
    }
  }

  /** The counts at the highest count so far (ties: all), folded as they come, as weir's second stage does. */
  public static class Top {
    public long count = Long.MIN_VALUE;
    public Result[] items = new Result[0];

    public Top() {}
  }

  /** The counts of one window end at the highest count. */
  static class Hottest implements AggregateFunction<Result, Top, Top> {
    private static final long serialVersionUID = 1L;

    @Override
    public Top createAccumulator() {
      return new Top();
    }

    @Override
    public Top add(Result r, Top top) {
      if (r.count > top.count) {
        top.count = r.count;
        top.items = new Result[] {r};
      } else if (r.count == top.count) {
        top.items = Arrays.copyOf(top.items, top.items.length + 1);
        top.items[top.items.length - 1] = r;
      }
      return top;
    }

    @Override
    public Top getResult(Top top) {
      return top;
    }

    @Override
    public Top merge(Top a, Top b) {
      for (Result r : b.items) add(r, a);
      return a;
    }
  }

  static class EmitAll extends ProcessWindowFunction<Top, Result, Long, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Long windowEnd, Context ctx, Iterable<Top> tops, Collector<Result> out) {
      for (Result r : tops.iterator().next().items) out.collect(r);
    }
  }
}
