-- name: country_performance
-- question: How many users does each country have, how many of them are active and buy, and how much revenue does each country bring?
-- grain: one row per country of the user (NULL: unknown country)
-- tables: dim_users
-- Active = at least one session; buyer = at least one converted session; revenue = LTV summed.
SELECT
    country,
    COUNT(*) AS users,
    COUNT(CASE WHEN total_sessions > 0 THEN 1 END) AS active_users,
    COUNT(CASE WHEN converted_sessions > 0 THEN 1 END) AS buyers,
    CAST(SUM(total_sessions) AS BIGINT) AS sessions,
    (CAST(SUM(converted_sessions) AS DOUBLE) / NULLIF(CAST(SUM(total_sessions) AS DOUBLE), 0)) AS conversion_rate,
    SUM(lifetime_revenue) AS revenue,
    ROUND(CAST(100 * (CAST(SUM(lifetime_revenue) AS DOUBLE) / NULLIF(CAST(SUM(SUM(lifetime_revenue)) OVER () AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_revenue,
    ROUND(CAST((CAST(SUM(lifetime_revenue) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_per_user,
    ROUND(CAST((CAST(SUM(lifetime_revenue) AS DOUBLE) / NULLIF(CAST(SUM(total_purchases) AS DOUBLE), 0)) AS DOUBLE), 2) AS aov
FROM `dim_users`
GROUP BY country
ORDER BY revenue DESC, users DESC, country ASC NULLS LAST
