-- q8, new users: persons joined with the auctions they sell in the same 10 s tumbling window, one row per pair with
-- the auction's reserve (weir's result). The official nexmark q8 (queries/q8.sql) first groups each side by id (seller)
-- and window, so it makes one row per person and window with at least one auction, and returns the window start
-- instead of the reserve; the join itself (a window join on id = seller and the window bounds) is the same.
SELECT P.id, P.name, A.reserve
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
) AS P
JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
) AS A
ON P.id = A.seller AND P.window_start = A.window_start AND P.window_end = A.window_end
