package weir.bench.nexmark;

import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * q7, highest bid: per auction and 10 s tumbling window the bids at its highest price (ties: all), tagged with the
 * window end; then, keyed by window end (a 10 s tumbling window again), the bids at the window's highest price. Both
 * stages aggregate as elements come (aggregate()), as weir's do.
 */
public final class Q7 {
  private Q7() {}

  /** A top bid with its window end. */
  public static class Result {
    public long auction;
    public long bidder;
    public long price;
    public long dateTime;
    public String extra;
    public long windowEnd;

    public Result() {}

    public Result(Bid bid, long windowEnd) {
      this.auction = bid.auction;
      this.bidder = bid.bidder;
      this.price = bid.price;
      this.dateTime = bid.dateTime;
      this.extra = bid.extra;
      this.windowEnd = windowEnd;
    }
  }

  public static DataStream<?> build(DataStream<Event> events) {
    return Streams.bids(events)
        .keyBy(b -> b.auction)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
        .aggregate(new TopBids(), new WithWindowEnd()).name("q7-auction-max")
        .keyBy(r -> r.windowEnd)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
        .aggregate(new Highest(), new EmitAll()).name("q7-window-max");
  }

  /**
   * The bids at the highest price so far, kept incrementally so the window holds its top bids rather than all its bids.
   * A POJO with an array of POJOs: Flink serializes it without Kryo. Holding the bids is safe with object reuse: records
   * read from the network after keyBy are fresh objects.
   */
  public static class Top {
    public long price = Long.MIN_VALUE;
    public Bid[] bids = new Bid[0];

    public Top() {}
  }

  static class TopBids implements AggregateFunction<Bid, Top, Top> {
    private static final long serialVersionUID = 1L;

    @Override
    public Top createAccumulator() {
      return new Top();
    }

    @Override
    public Top add(Bid bid, Top top) {
      if (bid.price > top.price) {
        top.price = bid.price;
        top.bids = new Bid[] {bid};
      } else if (bid.price == top.price) {
        top.bids = Arrays.copyOf(top.bids, top.bids.length + 1);
        top.bids[top.bids.length - 1] = bid;
      }
      return top;
    }

    @Override
    public Top getResult(Top top) {
      return top;
    }

    @Override
    public Top merge(Top a, Top b) {
      for (Bid bid : b.bids) add(bid, a);
      return a;
    }
  }

  static class WithWindowEnd extends ProcessWindowFunction<Top, Result, Long, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Long auction, Context ctx, Iterable<Top> tops, Collector<Result> out) {
      long windowEnd = ctx.window().getEnd();
      for (Bid bid : tops.iterator().next().bids) out.collect(new Result(bid, windowEnd));
    }
  }

  /** The top bids at the highest price so far (ties: all), folded as they come, as weir's second stage does. */
  public static class TopResults {
    public long price = Long.MIN_VALUE;
    public Result[] items = new Result[0];

    public TopResults() {}
  }

  /** The top bids of one window end at the highest price. */
  static class Highest implements AggregateFunction<Result, TopResults, TopResults> {
    private static final long serialVersionUID = 1L;

    @Override
    public TopResults createAccumulator() {
      return new TopResults();
    }

    @Override
    public TopResults add(Result r, TopResults top) {
      if (r.price > top.price) {
        top.price = r.price;
        top.items = new Result[] {r};
      } else if (r.price == top.price) {
        top.items = Arrays.copyOf(top.items, top.items.length + 1);
        top.items[top.items.length - 1] = r;
      }
      return top;
    }

    @Override
    public TopResults getResult(TopResults top) {
      return top;
    }

    @Override
    public TopResults merge(TopResults a, TopResults b) {
      for (Result r : b.items) add(r, a);
      return a;
    }
  }

  static class EmitAll extends ProcessWindowFunction<TopResults, Result, Long, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(Long windowEnd, Context ctx, Iterable<TopResults> tops, Collector<Result> out) {
      for (Result r : tops.iterator().next().items) out.collect(r);
    }
  }
}
