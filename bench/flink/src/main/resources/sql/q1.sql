-- q1, currency conversion: the official nexmark q1 (queries/q1.sql) with weir's conversion, as in Beam's Nexmark
-- (price * 89 / 100 in integers, BIGINT; the official SQL multiplies by 0.908 into DECIMAL(23, 3)) and weir's
-- columns (no extra).
SELECT auction, bidder, price * 89 / 100 AS price, `dateTime` FROM bid
