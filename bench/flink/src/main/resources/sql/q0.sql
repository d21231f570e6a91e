-- q0, pass-through: the official nexmark q0 (queries/q0.sql), unchanged: every bid with all its columns.
-- Not weir's q0, which passes every event (persons and auctions too): the results are the DataStream q0's bids.
SELECT auction, bidder, price, `dateTime`, extra FROM bid
