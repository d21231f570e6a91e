package weir.bench.nexmark;

import java.time.Duration;
import org.apache.flink.api.common.functions.JoinFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;

/** q8, new users: persons joined with the auctions they sell in the same 10 s tumbling window (a window join). */
public final class Q8 {
  private Q8() {}

  public static class Result {
    public long id;
    public String name;
    public long reserve;

    public Result() {}

    public Result(long id, String name, long reserve) {
      this.id = id;
      this.name = name;
      this.reserve = reserve;
    }
  }

  public static DataStream<?> build(DataStream<Event> events) {
    return Streams.persons(events)
        .join(Streams.auctions(events))
        .where(p -> p.id)
        .equalTo(a -> a.seller)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
        .apply(new Pair());
  }

  static class Pair implements JoinFunction<Person, Auction, Result> {
    private static final long serialVersionUID = 1L;

    @Override
    public Result join(Person p, Auction a) {
      return new Result(p.id, p.name, a.reserve);
    }
  }
}
