package weir.bench.nexmark;

/**
 * Port of bench/nexmark/generator.ts, draw for draw: event n depends only on (seed, n), and the same RecordRandom
 * draws happen in the same order, so both engines see the same events (bench/README.md, "The Nexmark generator").
 * Integers are longs throughout (the TypeScript numbers are all integers far below 2^53); Math.floor of a quotient is
 * Math.floorDiv, which differs from Java's `/` only below zero (lastBase0AuctionId(0) is -1).
 */
public final class NexmarkGenerator {
  static final long PERSON_PROPORTION = 1;
  static final long AUCTION_PROPORTION = 3;
  static final long BID_PROPORTION = 46;
  static final long PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
  static final long FIRST_PERSON_ID = 1_000;
  static final long FIRST_AUCTION_ID = 1_000;
  static final long FIRST_CATEGORY_ID = 10;
  private static final long NUM_CATEGORIES = 5;
  private static final long PERSON_ID_LEAD = 10;
  private static final long AUCTION_ID_LEAD = 10;
  private static final long HOT_BATCH = 100;
  private static final long HOT_AUCTION_RATIO = 2;
  private static final long HOT_SELLERS_RATIO = 4;
  private static final long HOT_BIDDERS_RATIO = 4;
  private static final long NUM_IN_FLIGHT_AUCTIONS = 100;
  private static final long NUM_ACTIVE_PEOPLE = 1_000;
  private static final long AVG_PERSON_BYTES = 200;
  private static final long AVG_AUCTION_BYTES = 500;
  private static final long AVG_BID_BYTES = 100;
  public static final long DEFAULT_EVENTS_PER_SECOND = 10_000;

  private static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
  private static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  private static final String[] US_CITIES = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"};
  private static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};

  /** Strings are windows onto this fixed text: RecordRandom(POOL_SEED, 0), per character int(13) == 0 ? ' ' : 'a' + int(26). */
  private static final int POOL_LENGTH = 1_024;
  private static final long POOL_SEED = 0x6e65786dL;
  private static final String POOL = makePool();

  private final long eventsPerSecond;

  public NexmarkGenerator() {
    this(DEFAULT_EVENTS_PER_SECOND);
  }

  public NexmarkGenerator(long eventsPerSecond) {
    this.eventsPerSecond = eventsPerSecond;
  }

  private static String makePool() {
    RecordRandom random = new RecordRandom();
    random.reseed(POOL_SEED, 0);
    StringBuilder text = new StringBuilder(POOL_LENGTH);
    for (int i = 0; i < POOL_LENGTH; i++) text.append(random.nextInt(13) == 0 ? ' ' : (char) ('a' + random.nextInt(26)));
    return text.toString();
  }

  public long eventTimestamp(long n) {
    // Math.floor(n * 1000 / eventsPerSecond) in TS; equal to long division while n * 1000 < 2^53.
    return n * 1_000 / eventsPerSecond;
  }

  /** The id (base 0) of the newest person at event n. */
  static long lastBase0PersonId(long n) {
    long epoch = Math.floorDiv(n, PROPORTION_DENOMINATOR);
    long offset = n % PROPORTION_DENOMINATOR;
    return epoch * PERSON_PROPORTION + Math.min(offset, PERSON_PROPORTION - 1);
  }

  /** The id (base 0) of the newest auction at event n. */
  static long lastBase0AuctionId(long n) {
    long epoch = Math.floorDiv(n, PROPORTION_DENOMINATOR);
    long offset = n % PROPORTION_DENOMINATOR;
    if (offset < PERSON_PROPORTION) {
      epoch--;
      offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      offset = AUCTION_PROPORTION - 1;
    } else {
      offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
  }

  private static long nextBase0PersonId(long n, RecordRandom random) {
    long numPeople = lastBase0PersonId(n) + 1;
    long activePeople = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
    return numPeople - activePeople + random.nextInt(activePeople + PERSON_ID_LEAD);
  }

  private static long nextBase0AuctionId(long n, RecordRandom random) {
    long maxAuction = lastBase0AuctionId(n);
    long minAuction = Math.max(maxAuction - NUM_IN_FLIGHT_AUCTIONS, 0);
    return minAuction + random.nextInt(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  /** A string of 3 to maxLength - 1 characters. */
  private static String nextString(RecordRandom random, long maxLength) {
    return poolSlice(random, 3 + random.nextInt(maxLength - 3));
  }

  private static String poolSlice(RecordRandom random, long length) {
    int at = (int) random.nextInt(POOL_LENGTH - length);
    return POOL.substring(at, at + (int) length);
  }

  /** Padding to the kind's average size, give or take 20%. */
  private static String nextExtra(RecordRandom random, long currentSize, long desiredAverageSize) {
    if (currentSize > desiredAverageSize) return "";
    long wanted = desiredAverageSize - currentSize;
    // JS Math.round and Java Math.round both round half up, on the same double product.
    long delta = Math.round(wanted * 0.2);
    return poolSlice(random, wanted - delta + (delta == 0 ? 0 : random.nextInt(2 * delta)));
  }

  /** A price in cents, spread evenly over the decades from $1 to $1,000,000, in integers (no pow). */
  private static long nextPrice(RecordRandom random) {
    long decade = 1;
    for (long d = random.nextInt(6); d > 0; d--) decade *= 10;
    return decade * 100 + random.nextInt(decade * 900);
  }

  private static String pad4(long value) {
    String digits = Long.toString(value);
    return "0000".substring(Math.min(digits.length(), 4)) + digits;
  }

  private Person nextPerson(long n, RecordRandom random, long timestamp) {
    String first = FIRST_NAMES[(int) random.nextInt(FIRST_NAMES.length)];
    String name = first + " " + LAST_NAMES[(int) random.nextInt(LAST_NAMES.length)];
    String user = nextString(random, 7);
    String emailAddress = user + "@" + nextString(random, 5) + ".com";
    String c1 = pad4(random.nextInt(10_000));
    String c2 = pad4(random.nextInt(10_000));
    String c3 = pad4(random.nextInt(10_000));
    String creditCard = c1 + " " + c2 + " " + c3 + " " + pad4(random.nextInt(10_000));
    String city = US_CITIES[(int) random.nextInt(US_CITIES.length)];
    String state = US_STATES[(int) random.nextInt(US_STATES.length)];
    long currentSize = 8 + name.length() + emailAddress.length() + creditCard.length() + city.length() + state.length();
    String extra = nextExtra(random, currentSize, AVG_PERSON_BYTES);
    return new Person(FIRST_PERSON_ID + lastBase0PersonId(n), name, emailAddress, creditCard, city, state, timestamp, extra);
  }

  private Auction nextAuction(long n, RecordRandom random, long timestamp) {
    long id = FIRST_AUCTION_ID + lastBase0AuctionId(n);
    long seller = FIRST_PERSON_ID
        + (random.nextInt(HOT_SELLERS_RATIO) > 0 ? Math.floorDiv(lastBase0PersonId(n), HOT_BATCH) * HOT_BATCH : nextBase0PersonId(n, random));
    long category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
    long initialBid = nextPrice(random);
    // Open on average until NUM_IN_FLIGHT_AUCTIONS more auctions have opened.
    long horizonMs = eventTimestamp(n + NUM_IN_FLIGHT_AUCTIONS * PROPORTION_DENOMINATOR / AUCTION_PROPORTION) - timestamp;
    long expires = timestamp + 1 + random.nextInt(Math.max(horizonMs * 2, 1));
    String itemName = nextString(random, 20);
    String description = nextString(random, 100);
    long reserve = initialBid + nextPrice(random);
    String extra = nextExtra(random, 8 + itemName.length() + description.length() + 40, AVG_AUCTION_BYTES);
    return new Auction(id, itemName, description, initialBid, reserve, timestamp, expires, seller, category, extra);
  }

  private static Bid nextBid(long n, RecordRandom random, long timestamp) {
    long auction = FIRST_AUCTION_ID
        + (random.nextInt(HOT_AUCTION_RATIO) > 0 ? Math.floorDiv(lastBase0AuctionId(n), HOT_BATCH) * HOT_BATCH : nextBase0AuctionId(n, random));
    // Hot bidders are the second of their batch, so that they are not the hot sellers too.
    long bidder = FIRST_PERSON_ID
        + (random.nextInt(HOT_BIDDERS_RATIO) > 0 ? Math.floorDiv(lastBase0PersonId(n), HOT_BATCH) * HOT_BATCH + 1 : nextBase0PersonId(n, random));
    long price = nextPrice(random);
    return new Bid(auction, bidder, price, timestamp, nextExtra(random, 32, AVG_BID_BYTES));
  }

  /** Event n, from a RecordRandom already reseeded with (seed, n). */
  public Event event(long n, RecordRandom random) {
    long timestamp = eventTimestamp(n);
    long offset = n % PROPORTION_DENOMINATOR;
    if (offset < PERSON_PROPORTION) return Event.of(nextPerson(n, random, timestamp));
    if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) return Event.of(nextAuction(n, random, timestamp));
    return Event.of(nextBid(n, random, timestamp));
  }
}
