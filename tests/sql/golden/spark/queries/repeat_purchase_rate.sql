-- name: repeat_purchase_rate
-- question: Of the users who bought, how many bought again in another session, by age group?
-- grain: one row per age group (NULL: unknown age group)
-- tables: dim_users
-- A buyer has at least one converted session; a repeat buyer at least two.
-- repeat_purchase_rate = repeat buyers / buyers (NULL without buyers).
SELECT
    age_group,
    COUNT(*) AS users,
    COUNT(CASE WHEN converted_sessions >= 1 THEN 1 END) AS buyers,
    COUNT(CASE WHEN converted_sessions >= 2 THEN 1 END) AS repeat_buyers,
    (CAST(COUNT(CASE WHEN converted_sessions >= 1 THEN 1 END) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS buyer_rate,
    (CAST(COUNT(CASE WHEN converted_sessions >= 2 THEN 1 END) AS DOUBLE) / NULLIF(CAST(COUNT(CASE WHEN converted_sessions >= 1 THEN 1 END) AS DOUBLE), 0)) AS repeat_purchase_rate,
    (CAST(SUM(CASE WHEN converted_sessions >= 1 THEN converted_sessions END) AS DOUBLE) / NULLIF(CAST(COUNT(CASE WHEN converted_sessions >= 1 THEN 1 END) AS DOUBLE), 0)) AS orders_per_buyer,
    SUM(lifetime_revenue) AS revenue
FROM `dim_users`
GROUP BY age_group
ORDER BY age_group ASC NULLS LAST
