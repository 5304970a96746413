-- name: aov_by_device
-- question: What is the average order value, and how much revenue and how many purchases, per device?
-- grain: one row per device of the session (NULL: unknown device)
-- tables: fact_sessions
-- AOV = revenue / purchase events, rounded half up to cents; NULL without purchases.
SELECT
    device,
    COUNT(*) AS sessions,
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    SUM(revenue) AS revenue,
    ROUND(CAST((CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(SUM(purchases) AS DOUBLE), 0)) AS DOUBLE), 2) AS aov,
    ROUND(CAST((CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(COUNT(CASE WHEN converted THEN 1 END) AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_per_converted_session,
    ROUND(CAST(100 * (CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(SUM(SUM(revenue)) OVER () AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_revenue
FROM `fact_sessions`
GROUP BY device
ORDER BY aov DESC NULLS LAST, device ASC NULLS LAST
