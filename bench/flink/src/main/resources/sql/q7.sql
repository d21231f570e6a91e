-- q7, highest bid: the bids of each 10 s tumbling window at that window's highest price (ties: all), with the window
-- end. The official nexmark q7 (queries/q7.sql) joins every bid with the windows' maxima by a regular join on
-- price = maxprice AND dateTime BETWEEN window_end - 10 s AND window_end. Here the bids are windowed too and the join
-- is a window join on the window bounds: the same bids, except that the official bounds, inclusive at both ends, also
-- take a bid made at the next window's first millisecond at the same price; and the regular join keeps every bid in
-- state for ever, where the window join drops a window's bids when it closes. The official SQL also selects price and
-- bidder in swapped order; these columns are named.
SELECT B.auction, B.bidder, B.price, B.`dateTime`, B.extra, B.window_end AS windowEnd
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
) AS B
JOIN (
  SELECT MAX(price) AS maxprice, window_start, window_end
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
) AS B1
ON B.window_start = B1.window_start AND B.window_end = B1.window_end AND B.price = B1.maxprice
