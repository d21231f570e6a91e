import { GeneratorSource, RecordRandom } from 'weir';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';

/**
 * The Nexmark event generator, after the Beam reference generator's defaults, specified here so that the Java port
 * (bench/flink: NexmarkGenerator.java) makes the same events. See bench/README.md, "The Nexmark generator".
 *
 * Event n (from 0) is a person, an auction or a bid by n % 50 (1:3:46), with event time n * 1000 / eventsPerSecond
 * ms (floored). Its random draws come from RecordRandom reseeded with (seed, n), in the order the functions below
 * make them, so an event depends on its number alone, whatever subtask makes it.
 */
export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
export const FIRST_PERSON_ID = 1_000;
export const FIRST_AUCTION_ID = 1_000;
export const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
/** Ids not created yet that a random choice may still name (people who sign up, auctions that open, soon). */
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
/** Hot sellers, bidders and auctions are the first of each batch of this many (the reference's HOT_*_RATIO). */
const HOT_BATCH = 100;
/** The reference's defaults: 1 in hot*Ratio choices is not hot. */
const HOT_AUCTION_RATIO = 2;
const HOT_SELLERS_RATIO = 4;
const HOT_BIDDERS_RATIO = 4;
const NUM_IN_FLIGHT_AUCTIONS = 100;
const NUM_ACTIVE_PEOPLE = 1_000;
const AVG_PERSON_BYTES = 200;
const AVG_AUCTION_BYTES = 500;
const AVG_BID_BYTES = 100;
export const DEFAULT_EVENTS_PER_SECOND = 10_000;

const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];

/**
 * Strings are windows onto one fixed text of POOL_LENGTH characters (RecordRandom(POOL_SEED, 0): per character,
 * int(13) === 0 gives a space, else 'a' + int(26)), so a string costs two draws rather than one per character as in
 * the reference; lengths follow the reference.
 */
const POOL_LENGTH = 1_024;
const POOL_SEED = 0x6e65786d;
const POOL = ((): string => {
  const random = new RecordRandom();
  random.reseed(POOL_SEED, 0);
  let text = '';
  for (let i = 0; i < POOL_LENGTH; i++) text += random.int(13) === 0 ? ' ' : String.fromCharCode(97 + random.int(26));
  return text;
})();

export interface NexmarkConfig {
  readonly eventsPerSecond: number;
}

export const DEFAULT_CONFIG: NexmarkConfig = { eventsPerSecond: DEFAULT_EVENTS_PER_SECOND };

export function eventTimestamp(n: number, config: NexmarkConfig): number {
  return Math.floor((n * 1_000) / config.eventsPerSecond);
}

/** The id (base 0) of the newest person at event n: the one event n makes, if it makes a person. */
export function lastBase0PersonId(n: number): number {
  const epoch = Math.floor(n / PROPORTION_DENOMINATOR);
  const offset = n % PROPORTION_DENOMINATOR;
  return epoch * PERSON_PROPORTION + Math.min(offset, PERSON_PROPORTION - 1);
}

/** The id (base 0) of the newest auction at event n: the one event n makes, if it makes an auction. */
export function lastBase0AuctionId(n: number): number {
  let epoch = Math.floor(n / PROPORTION_DENOMINATOR);
  let offset = n % PROPORTION_DENOMINATOR;
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

/** One of the active people (the newest NUM_ACTIVE_PEOPLE), or one about to sign up. */
function nextBase0PersonId(n: number, random: RecordRandom): number {
  const numPeople = lastBase0PersonId(n) + 1;
  const activePeople = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
  return numPeople - activePeople + random.int(activePeople + PERSON_ID_LEAD);
}

/** One of the auctions likely still open (the newest NUM_IN_FLIGHT_AUCTIONS), or one about to open. */
function nextBase0AuctionId(n: number, random: RecordRandom): number {
  const maxAuction = lastBase0AuctionId(n);
  const minAuction = Math.max(maxAuction - NUM_IN_FLIGHT_AUCTIONS, 0);
  return minAuction + random.int(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

/** A string of 3 to maxLength - 1 characters. */
function nextString(random: RecordRandom, maxLength: number): string {
  return poolSlice(random, 3 + random.int(maxLength - 3));
}

function poolSlice(random: RecordRandom, length: number): string {
  const at = random.int(POOL_LENGTH - length);
  return POOL.slice(at, at + length);
}

/** Padding that brings the event to its kind's average size, give or take 20%. */
function nextExtra(random: RecordRandom, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return '';
  const wanted = desiredAverageSize - currentSize;
  const delta = Math.round(wanted * 0.2);
  return poolSlice(random, wanted - delta + (delta === 0 ? 0 : random.int(2 * delta)));
}

/**
 * A price in cents, spread evenly over the decades from $1 to $1,000,000 (the reference draws 10^(6u) dollars; an
 * integer form keeps TypeScript and Java equal, where pow may differ in the last bit).
 */
function nextPrice(random: RecordRandom): number {
  const decade = DECADES[random.int(DECADES.length)]!;
  return decade * 100 + random.int(decade * 900);
}
/** 10^0 to 10^5 (a table: `10 ** n` with a variable n is a pow call, a fifth of the generator's time). */
const DECADES = [1, 10, 100, 1_000, 10_000, 100_000];

/** 0 to 9999 in four digits (padStart cost more than the rest of a person). */
function pad4(value: number): string {
  return value >= 1_000 ? `${value}` : value >= 100 ? `0${value}` : value >= 10 ? `00${value}` : `000${value}`;
}

function nextPerson(n: number, random: RecordRandom, timestamp: number): Person {
  const name = `${FIRST_NAMES[random.int(FIRST_NAMES.length)]!} ${LAST_NAMES[random.int(LAST_NAMES.length)]!}`;
  const emailAddress = `${nextString(random, 7)}@${nextString(random, 5)}.com`;
  const creditCard = `${pad4(random.int(10_000))} ${pad4(random.int(10_000))} ${pad4(random.int(10_000))} ${pad4(random.int(10_000))}`;
  const city = US_CITIES[random.int(US_CITIES.length)]!;
  const state = US_STATES[random.int(US_STATES.length)]!;
  const currentSize = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = nextExtra(random, currentSize, AVG_PERSON_BYTES);
  return { kind: 'person', id: FIRST_PERSON_ID + lastBase0PersonId(n), name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
}

function nextAuction(n: number, random: RecordRandom, timestamp: number, config: NexmarkConfig): Auction {
  const id = FIRST_AUCTION_ID + lastBase0AuctionId(n);
  const seller =
    FIRST_PERSON_ID +
    (random.int(HOT_SELLERS_RATIO) > 0 ? Math.floor(lastBase0PersonId(n) / HOT_BATCH) * HOT_BATCH : nextBase0PersonId(n, random));
  const category = FIRST_CATEGORY_ID + random.int(NUM_CATEGORIES);
  const initialBid = nextPrice(random);
  // Open on average until NUM_IN_FLIGHT_AUCTIONS more auctions have opened.
  const horizonMs = eventTimestamp(n + Math.floor((NUM_IN_FLIGHT_AUCTIONS * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION), config) - timestamp;
  const expires = timestamp + 1 + random.int(Math.max(horizonMs * 2, 1));
  const itemName = nextString(random, 20);
  const description = nextString(random, 100);
  const reserve = initialBid + nextPrice(random);
  const extra = nextExtra(random, 8 + itemName.length + description.length + 40, AVG_AUCTION_BYTES);
  return { kind: 'auction', id, itemName, description, initialBid, reserve, dateTime: timestamp, expires, seller, category, extra };
}

function nextBid(n: number, random: RecordRandom, timestamp: number): Bid {
  const auction =
    FIRST_AUCTION_ID +
    (random.int(HOT_AUCTION_RATIO) > 0 ? Math.floor(lastBase0AuctionId(n) / HOT_BATCH) * HOT_BATCH : nextBase0AuctionId(n, random));
  // Hot bidders are the second of their batch, so that they are not the hot sellers too.
  const bidder =
    FIRST_PERSON_ID +
    (random.int(HOT_BIDDERS_RATIO) > 0 ? Math.floor(lastBase0PersonId(n) / HOT_BATCH) * HOT_BATCH + 1 : nextBase0PersonId(n, random));
  const price = nextPrice(random);
  return { kind: 'bid', auction, bidder, price, dateTime: timestamp, extra: nextExtra(random, 32, AVG_BID_BYTES) };
}

/** Event n, from a RecordRandom already reseeded with (seed, n). */
export function nexmarkEvent(n: number, random: RecordRandom, config: NexmarkConfig = DEFAULT_CONFIG): NexmarkEvent {
  const timestamp = eventTimestamp(n, config);
  const offset = n % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) return nextPerson(n, random, timestamp);
  if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) return nextAuction(n, random, timestamp, config);
  return nextBid(n, random, timestamp);
}

/** Events first to first + count - 1, in order, in this thread (the reference computations and tests). */
export function nexmarkEvents(count: number, seed: number, config: NexmarkConfig = DEFAULT_CONFIG): NexmarkEvent[] {
  const random = new RecordRandom();
  return Array.from({ length: count }, (_, n) => {
    random.reseed(seed, n);
    return nexmarkEvent(n, random, config);
  });
}

export interface NexmarkSourceOptions {
  readonly events: number;
  readonly seed: number;
  readonly config?: NexmarkConfig;
  /** Called with each event number before its event is made (the benchmark's warm-up mark). */
  readonly onEvent?: (n: number) => void;
}

/** The generator as a weir source: event n on subtask n % parallelism (for parallelisms that divide 128), in order. */
export function nexmarkSource({ events, seed, config = DEFAULT_CONFIG, onEvent }: NexmarkSourceOptions): GeneratorSource<NexmarkEvent> {
  return GeneratorSource.of<NexmarkEvent>({
    name: 'nexmark',
    count: events,
    seed,
    generate:
      onEvent === undefined
        ? (n, random) => nexmarkEvent(n, random, config)
        : (n, random) => {
            onEvent(n);
            return nexmarkEvent(n, random, config);
          },
  });
}
