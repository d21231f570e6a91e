-- The three event kinds as views over the `events` table (SqlQueries registers it from the DataStream source: columns
-- person, auction and bid, exactly one of them set per row, and `dateTime`, the event-time attribute with the source's
-- watermarks). Adapted from the official nexmark suite's ddl_views.sql (github.com/nexmark/nexmark,
-- nexmark-flink/src/main/resources/queries), which selects the same columns from one `datagen` table by event_type.
-- Differences from that schema: no event_type column (the set field tells the kind); bids have no channel or url
-- (weir's generator makes neither); auction.expires is BIGINT epoch milliseconds, not TIMESTAMP(3).
CREATE TEMPORARY VIEW person AS
SELECT person.id, person.name, person.emailAddress, person.creditCard, person.city, person.state, `dateTime`, person.extra
FROM events WHERE person IS NOT NULL;

CREATE TEMPORARY VIEW auction AS
SELECT auction.id, auction.itemName, auction.description, auction.initialBid, auction.reserve, `dateTime`,
       auction.expires, auction.seller, auction.category, auction.extra
FROM events WHERE auction IS NOT NULL;

CREATE TEMPORARY VIEW bid AS
SELECT bid.auction, bid.bidder, bid.price, `dateTime`, bid.extra
FROM events WHERE bid IS NOT NULL;
