package weir.bench.nexmark;

/**
 * One Nexmark event: exactly one of person, auction and bid is non-null. A Flink POJO (nullable POJO fields), so
 * Flink serializes it with its PojoSerializer rather than Kryo; the TypeScript side's `kind` tag is which field is set.
 */
public class Event {
  public Person person;
  public Auction auction;
  public Bid bid;

  public Event() {}

  public static Event of(Person person) {
    Event event = new Event();
    event.person = person;
    return event;
  }

  public static Event of(Auction auction) {
    Event event = new Event();
    event.auction = auction;
    return event;
  }

  public static Event of(Bid bid) {
    Event event = new Event();
    event.bid = bid;
    return event;
  }

  /** Event time in ms (not named getDateTime: it is not a POJO property). */
  public long eventTime() {
    return person != null ? person.dateTime : auction != null ? auction.dateTime : bid.dateTime;
  }

  public String toJson() {
    return person != null ? person.toJson() : auction != null ? auction.toJson() : bid.toJson();
  }
}
