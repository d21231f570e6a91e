import {
  type DataStream,
  ListStateDescriptor,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  type AggregateFunction,
  type Collector,
  type KeyedCoProcessFunction,
  type KeyedProcessContext,
  type Sink,
} from 'weir';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';

/**
 * The Nexmark queries in weir; bench/README.md says what each computes, reference.ts computes the same directly.
 * `q5` slices its sliding windows (its count has a merge); `q5-unsliced` is the same query with a count that has no
 * merge, so that every bid goes into each of its five windows, as in Flink's DataStream WindowOperator.
 */
export const QUERY_NAMES = ['q0', 'q1', 'q2', 'q3', 'q5', 'q5-unsliced', 'q7', 'q8', 'count'] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

export interface CurrencyBid {
  readonly auction: number;
  readonly bidder: number;
  readonly price: number;
  readonly dateTime: number;
}
export interface AuctionPrice {
  readonly auction: number;
  readonly price: number;
}
export interface SellerAuction {
  readonly name: string;
  readonly city: string;
  readonly state: string;
  readonly auction: number;
}
export interface AuctionCount {
  readonly auction: number;
  readonly count: number;
  readonly windowEnd: number;
}
export interface TopBid extends Bid {
  readonly windowEnd: number;
}
export interface NewSeller {
  readonly id: number;
  readonly name: string;
  readonly reserve: number;
}
export interface WindowCount {
  readonly auction: number;
  readonly windowEnd: number;
  readonly count: number;
}

/** Q1's exchange rate, in integer arithmetic as the reference's `price * 89 / 100`. */
export const toEuros = (price: number): number => Math.floor((price * 89) / 100);
export const Q2_AUCTION_SKIP = 123;
export const Q3_STATES: ReadonlySet<string> = new Set(['OR', 'ID', 'CA']);
export const Q3_CATEGORY = 10;
export const Q5_SIZE_MS = 10_000;
export const Q5_SLIDE_MS = 2_000;
export const WINDOW_MS = 10_000;

const bids = (events: DataStream<NexmarkEvent>): DataStream<Bid> =>
  events.flatMap<Bid>((event, out) => {
    if (event.kind === 'bid') out.collect(event);
  });
const persons = (events: DataStream<NexmarkEvent>): DataStream<Person> =>
  events.flatMap<Person>((event, out) => {
    if (event.kind === 'person') out.collect(event);
  });
const auctions = (events: DataStream<NexmarkEvent>): DataStream<Auction> =>
  events.flatMap<Auction>((event, out) => {
    if (event.kind === 'auction') out.collect(event);
  });

const countingUnmerged: AggregateFunction<unknown, number, number> = {
  createAccumulator: () => 0,
  add: (_value, count) => count + 1,
  getResult: (count) => count,
};
const counting: AggregateFunction<unknown, number, number> = {
  ...countingUnmerged,
  // Flink's AggregateFunction must have it too; with it, weir cuts q5's sliding windows into slices.
  merge: (a, b) => a + b,
};

/** The records with the highest `value` seen (ties: all of them); the two stages of q5 and q7 fold with it. */
interface Highest<T> {
  value: number;
  items: T[];
}
function highest<T>(valueOf: (item: T) => number): AggregateFunction<T, Highest<T>, Highest<T>> {
  return {
    createAccumulator: () => ({ value: Number.NEGATIVE_INFINITY, items: [] }),
    add(item, acc) {
      const value = valueOf(item);
      if (value > acc.value) {
        acc.value = value;
        acc.items = [item];
      } else if (value === acc.value) {
        acc.items.push(item);
      }
      return acc;
    },
    getResult: (acc) => acc,
  };
}
function emitAll<T>(_key: unknown, _context: unknown, [result]: Highest<T>[], out: Collector<T>): void {
  for (const item of result!.items) out.collect(item);
}

/** q3: a person waits for nothing; an auction waits in keyed state until its seller has arrived. */
class SellerJoin implements KeyedCoProcessFunction<number, Person, Auction, SellerAuction> {
  private readonly person = new ValueStateDescriptor<Person>('person');
  private readonly waiting = new ListStateDescriptor<Auction>('waiting-auctions');

  processElement1(person: Person, ctx: KeyedProcessContext<number>, out: Collector<SellerAuction>): void {
    ctx.getState(this.person).update(person);
    const waiting = ctx.getState(this.waiting);
    for (const auction of waiting.get()) out.collect(joined(person, auction));
    waiting.clear();
  }

  processElement2(auction: Auction, ctx: KeyedProcessContext<number>, out: Collector<SellerAuction>): void {
    const person = ctx.getState(this.person).value();
    if (person === undefined) ctx.getState(this.waiting).add(auction);
    else out.collect(joined(person, auction));
  }
}
/** Spelled out: an object spread costs several times a literal on V8's hot path. */
const topBid = (bid: Bid, windowEnd: number): TopBid => ({
  kind: 'bid',
  auction: bid.auction,
  bidder: bid.bidder,
  price: bid.price,
  dateTime: bid.dateTime,
  extra: bid.extra,
  windowEnd,
});
const joined = (person: Person, auction: Auction): SellerAuction => ({ name: person.name, city: person.city, state: person.state, auction: auction.id });

/** Each query builds its operators from the events into `sink` (every result, of whatever shape, goes there). */
export type Query = (events: DataStream<NexmarkEvent>, sink: Sink<unknown>) => void;

/** q5 with the given count: with a merge, weir slices the sliding windows; without, each bid goes into five windows. */
function hotItems(events: DataStream<NexmarkEvent>, sink: Sink<unknown>, count: AggregateFunction<unknown, number, number>): void {
  bids(events)
    .keyBy((bid) => bid.auction)
    .window(SlidingEventTimeWindows.of(Q5_SIZE_MS, Q5_SLIDE_MS))
    .aggregate(count, (auction, context, [counted], out: Collector<AuctionCount>) =>
      out.collect({ auction, count: counted!, windowEnd: context.window.end }),
    )
    .keyBy((counted) => counted.windowEnd)
    .window(TumblingEventTimeWindows.of(Q5_SLIDE_MS))
    .aggregate(
      highest<AuctionCount>((counted) => counted.count),
      emitAll<AuctionCount>,
    )
    .sinkTo(sink);
}

export const QUERIES: Record<QueryName, Query> = {
  q0: (events, sink) => events.map((event) => event).sinkTo(sink),
  q1: (events, sink) =>
    bids(events)
      .map((bid): CurrencyBid => ({ auction: bid.auction, bidder: bid.bidder, price: toEuros(bid.price), dateTime: bid.dateTime }))
      .sinkTo(sink),
  q2: (events, sink) =>
    bids(events)
      .flatMap<AuctionPrice>((bid, out) => {
        if (bid.auction % Q2_AUCTION_SKIP === 0) out.collect({ auction: bid.auction, price: bid.price });
      })
      .sinkTo(sink),
  q3: (events, sink) =>
    persons(events)
      .filter((person) => Q3_STATES.has(person.state))
      .connect(auctions(events).filter((auction) => auction.category === Q3_CATEGORY))
      .keyBy(
        (person) => person.id,
        (auction) => auction.seller,
      )
      .process(new SellerJoin())
      .sinkTo(sink),
  q5: (events, sink) => hotItems(events, sink, counting),
  'q5-unsliced': (events, sink) => hotItems(events, sink, countingUnmerged),
  q7: (events, sink) =>
    bids(events)
      .keyBy((bid) => bid.auction)
      .window(TumblingEventTimeWindows.of(WINDOW_MS))
      .aggregate(
        highest<Bid>((bid) => bid.price),
        (_auction, context, [top], out: Collector<TopBid>) => {
          for (const bid of top!.items) out.collect(topBid(bid, context.window.end));
        },
      )
      .keyBy((bid) => bid.windowEnd)
      .window(TumblingEventTimeWindows.of(WINDOW_MS))
      .aggregate(
        highest<TopBid>((bid) => bid.price),
        emitAll<TopBid>,
      )
      .sinkTo(sink),
  q8: (events, sink) =>
    persons(events)
      .join(auctions(events))
      .where((person) => person.id)
      .equalTo((auction) => auction.seller)
      .window(TumblingEventTimeWindows.of(WINDOW_MS))
      .apply<NewSeller>((person, auction, out) => out.collect({ id: person.id, name: person.name, reserve: auction.reserve }))
      .sinkTo(sink),
  count: (events, sink) =>
    bids(events)
      .keyBy((bid) => bid.auction)
      .window(TumblingEventTimeWindows.of(WINDOW_MS))
      .aggregate(counting, (auction, context, [count], out: Collector<WindowCount>) =>
        out.collect({ auction, windowEnd: context.window.end, count: count! }),
      )
      .sinkTo(sink),
};

export function isQueryName(name: string): name is QueryName {
  return (QUERY_NAMES as readonly string[]).includes(name);
}
