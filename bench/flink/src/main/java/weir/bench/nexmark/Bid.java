package weir.bench.nexmark;

/** A Nexmark bid (bench/nexmark/model.ts). A Flink POJO: public no-arg constructor and public fields. */
public class Bid {
  public long auction;
  public long bidder;
  public long price;
  public long dateTime;
  public String extra;

  public Bid() {}

  public Bid(long auction, long bidder, long price, long dateTime, String extra) {
    this.auction = auction;
    this.bidder = bidder;
    this.price = price;
    this.dateTime = dateTime;
    this.extra = extra;
  }

  /** JSON.stringify's output for the TypeScript object (same key order; strings need no escaping). */
  public String toJson() {
    return "{\"kind\":\"bid\",\"auction\":" + auction + ",\"bidder\":" + bidder + ",\"price\":" + price
        + ",\"dateTime\":" + dateTime + ",\"extra\":\"" + extra + "\"}";
  }
}
