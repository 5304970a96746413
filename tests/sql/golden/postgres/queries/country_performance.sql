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
    CAST(SUM(total_sessions) AS bigint) AS sessions,
    (CAST(SUM(converted_sessions) AS double precision) / NULLIF(CAST(SUM(total_sessions) AS double precision), 0)) AS conversion_rate,
    SUM(lifetime_revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(SUM(lifetime_revenue) AS double precision) / NULLIF(CAST(SUM(SUM(lifetime_revenue)) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(lifetime_revenue) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS revenue_per_user,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(lifetime_revenue) AS double precision) / NULLIF(CAST(SUM(total_purchases) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov
FROM "public"."dim_users"
GROUP BY country
ORDER BY revenue DESC, users DESC, country ASC NULLS LAST
