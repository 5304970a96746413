-- name: aov_by_device
-- question: What is the average order value, and how much revenue and how many purchases, per device?
-- grain: one row per device of the session (NULL: unknown device)
-- tables: fact_sessions
-- AOV = revenue / purchase events, rounded half up to cents; NULL without purchases.
SELECT
    device,
    COUNT(*) AS sessions,
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    CAST(SUM(purchases) AS bigint) AS purchases,
    SUM(revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(SUM(purchases) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(COUNT(CASE WHEN converted THEN 1 END) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS revenue_per_converted_session,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(SUM(revenue) AS double precision) / NULLIF(CAST(SUM(SUM(revenue)) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_revenue
FROM "public"."fact_sessions"
GROUP BY device
ORDER BY aov DESC NULLS LAST, device ASC NULLS LAST
