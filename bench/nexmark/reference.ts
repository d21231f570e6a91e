import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';
import {
  Q2_AUCTION_SKIP,
  Q3_CATEGORY,
  Q3_STATES,
  Q5_SIZE_MS,
  Q5_SLIDE_MS,
  WINDOW_MS,
  toEuros,
  type AuctionCount,
  type AuctionPrice,
  type CurrencyBid,
  type NewSeller,
  type QueryName,
  type SellerAuction,
  type TopBid,
  type WindowCount,
} from './queries.ts';

/**
 * Each Nexmark query computed directly over all the events at once, with no streaming, windows or state: what the
 * streaming queries must produce for a bounded input (every window fires at its end).
 */
const bidsOf = (events: readonly NexmarkEvent[]): Bid[] => events.filter((event): event is Bid => event.kind === 'bid');
const personsOf = (events: readonly NexmarkEvent[]): Person[] => events.filter((event): event is Person => event.kind === 'person');
const auctionsOf = (events: readonly NexmarkEvent[]): Auction[] => events.filter((event): event is Auction => event.kind === 'auction');
const tumblingEnd = (timestamp: number, size: number): number => Math.floor(timestamp / size) * size + size;

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/** The items with the highest value (ties: all). */
function topBy<T>(items: readonly T[], valueOf: (item: T) => number): T[] {
  const best = items.reduce((max, item) => Math.max(max, valueOf(item)), Number.NEGATIVE_INFINITY);
  return items.filter((item) => valueOf(item) === best);
}

export const REFERENCE: Record<QueryName, (events: readonly NexmarkEvent[]) => unknown[]> = {
  q0: (events) => [...events],
  q1: (events) => bidsOf(events).map((bid): CurrencyBid => ({ auction: bid.auction, bidder: bid.bidder, price: toEuros(bid.price), dateTime: bid.dateTime })),
  q2: (events) =>
    bidsOf(events)
      .filter((bid) => bid.auction % Q2_AUCTION_SKIP === 0)
      .map((bid): AuctionPrice => ({ auction: bid.auction, price: bid.price })),
  q3: (events) => {
    const sellers = new Map(personsOf(events).filter((person) => Q3_STATES.has(person.state)).map((person) => [person.id, person]));
    return auctionsOf(events)
      .filter((auction) => auction.category === Q3_CATEGORY && sellers.has(auction.seller))
      .map((auction): SellerAuction => {
        const { name, city, state } = sellers.get(auction.seller)!;
        return { name, city, state, auction: auction.id };
      });
  },
  q5: (events) => {
    const counts = new Map<string, AuctionCount>();
    for (const bid of bidsOf(events)) {
      // Every sliding window [end - size, end) that holds the bid.
      for (let end = tumblingEnd(bid.dateTime, Q5_SLIDE_MS); end - Q5_SIZE_MS <= bid.dateTime; end += Q5_SLIDE_MS) {
        const key = `${bid.auction}@${end}`;
        const counted = counts.get(key);
        counts.set(key, { auction: bid.auction, count: (counted?.count ?? 0) + 1, windowEnd: end });
      }
    }
    return [...groupBy([...counts.values()], (counted) => counted.windowEnd).values()].flatMap((window) => topBy(window, (counted) => counted.count));
  },
  'q5-unsliced': (events) => REFERENCE.q5(events),
  q7: (events) =>
    [...groupBy(bidsOf(events), (bid) => tumblingEnd(bid.dateTime, WINDOW_MS))].flatMap(([windowEnd, bids]) =>
      topBy(bids, (bid) => bid.price).map((bid): TopBid => ({ ...bid, windowEnd })),
    ),
  q8: (events) => {
    const auctionsBySellerWindow = groupBy(auctionsOf(events), (auction) => `${auction.seller}@${tumblingEnd(auction.dateTime, WINDOW_MS)}`);
    return personsOf(events).flatMap((person) =>
      (auctionsBySellerWindow.get(`${person.id}@${tumblingEnd(person.dateTime, WINDOW_MS)}`) ?? []).map(
        (auction): NewSeller => ({ id: person.id, name: person.name, reserve: auction.reserve }),
      ),
    );
  },
  count: (events) =>
    [...groupBy(bidsOf(events), (bid) => `${bid.auction}@${tumblingEnd(bid.dateTime, WINDOW_MS)}`).values()].map(
      (bids): WindowCount => ({ auction: bids[0]!.auction, windowEnd: tumblingEnd(bids[0]!.dateTime, WINDOW_MS), count: bids.length }),
    ),
};
