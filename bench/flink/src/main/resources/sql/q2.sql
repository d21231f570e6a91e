-- q2, selection: the official nexmark q2 (queries/q2.sql), unchanged.
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
