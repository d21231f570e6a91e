package weir.bench.nexmark;

import org.apache.flink.streaming.api.datastream.DataStream;

/** q1, currency conversion: each bid with its price in euros, floor(price * 89 / 100). */
public final class Q1 {
  private Q1() {}

  /** A Flink POJO, like every record type here, so that nothing falls back to Kryo. */
  public static class Result {
    public long auction;
    public long bidder;
    public long price;
    public long dateTime;

    public Result() {}

    public Result(long auction, long bidder, long price, long dateTime) {
      this.auction = auction;
      this.bidder = bidder;
      this.price = price;
      this.dateTime = dateTime;
    }
  }

  public static DataStream<?> build(DataStream<Event> events) {
    return events
        .filter(e -> e.bid != null).name("bids")
        .map(e -> new Result(e.bid.auction, e.bid.bidder, e.bid.price * 89 / 100, e.bid.dateTime)).name("q1-euros");
  }
}
