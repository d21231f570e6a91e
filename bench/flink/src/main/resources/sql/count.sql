-- count, weir's keyed tumbling-window count (not an official nexmark query): bids per auction per 10 s window.
SELECT auction, window_end AS windowEnd, COUNT(*) AS `count`
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end
