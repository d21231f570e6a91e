package weir.bench.nexmark;

import org.apache.flink.streaming.api.datastream.DataStream;

/** q2, selection: the bids of auctions whose id is a multiple of 123, as {auction, price}. */
public final class Q2 {
  private Q2() {}

  public static class Result {
    public long auction;
    public long price;

    public Result() {}

    public Result(long auction, long price) {
      this.auction = auction;
      this.price = price;
    }
  }

  public static DataStream<?> build(DataStream<Event> events) {
    return events
        .filter(e -> e.bid != null && e.bid.auction % 123 == 0).name("q2-filter")
        .map(e -> new Result(e.bid.auction, e.bid.price)).name("q2-project");
  }
}
