package weir.bench.nexmark;

import org.apache.flink.streaming.api.datastream.DataStream;

/** The events of one kind, unwrapped from Event (chained to the source, so no copy and no serialization). */
final class Streams {
  private Streams() {}

  static DataStream<Person> persons(DataStream<Event> events) {
    return events.filter(e -> e.person != null).name("persons").map(e -> e.person).name("person");
  }

  static DataStream<Auction> auctions(DataStream<Event> events) {
    return events.filter(e -> e.auction != null).name("auctions").map(e -> e.auction).name("auction");
  }

  static DataStream<Bid> bids(DataStream<Event> events) {
    return events.filter(e -> e.bid != null).name("bids").map(e -> e.bid).name("bid");
  }
}
