-- q3, local item suggestion: the official nexmark q3 (queries/q3.sql), a regular (unwindowed) inner join; the
-- auction id is named `auction` as in weir's result.
SELECT P.name, P.city, P.state, A.id AS auction
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')
