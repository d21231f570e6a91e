package weir.bench.nexmark;

/** A Nexmark auction (bench/nexmark/model.ts). A Flink POJO: public no-arg constructor and public fields. */
public class Auction {
  public long id;
  public String itemName;
  public String description;
  public long initialBid;
  public long reserve;
  public long dateTime;
  public long expires;
  public long seller;
  public long category;
  public String extra;

  public Auction() {}

  public Auction(long id, String itemName, String description, long initialBid, long reserve, long dateTime, long expires,
      long seller, long category, String extra) {
    this.id = id;
    this.itemName = itemName;
    this.description = description;
    this.initialBid = initialBid;
    this.reserve = reserve;
    this.dateTime = dateTime;
    this.expires = expires;
    this.seller = seller;
    this.category = category;
    this.extra = extra;
  }

  /** JSON.stringify's output for the TypeScript object (same key order; strings need no escaping). */
  public String toJson() {
    return "{\"kind\":\"auction\",\"id\":" + id + ",\"itemName\":\"" + itemName + "\",\"description\":\"" + description
        + "\",\"initialBid\":" + initialBid + ",\"reserve\":" + reserve + ",\"dateTime\":" + dateTime
        + ",\"expires\":" + expires + ",\"seller\":" + seller + ",\"category\":" + category
        + ",\"extra\":\"" + extra + "\"}";
  }
}
