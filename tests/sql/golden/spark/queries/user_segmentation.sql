-- name: user_segmentation
-- question: How big is each user segment, what does it spend (total, average and median LTV), and how active is it?
-- grain: one row per segment
-- tables: dim_users
-- Segments as dim_users.segment defines them (README "Metric definitions"). Median LTV is the exact
-- continuous percentile; avg_session_seconds is the mean over the segment's sessions.
WITH totals AS (
    SELECT COUNT(*) AS all_users, SUM(lifetime_revenue) AS all_revenue
    FROM `dim_users`
)
SELECT
    u.segment,
    COUNT(*) AS users,
    ROUND(CAST(100 * (CAST(COUNT(*) AS DOUBLE) / NULLIF(CAST(t.all_users AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_users,
    SUM(u.lifetime_revenue) AS revenue,
    ROUND(CAST(100 * (CAST(SUM(u.lifetime_revenue) AS DOUBLE) / NULLIF(CAST(t.all_revenue AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_revenue,
    ROUND(CAST((CAST(SUM(u.lifetime_revenue) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS DOUBLE), 2) AS avg_ltv,
    ROUND(CAST(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CAST(u.lifetime_revenue AS DOUBLE)) AS DOUBLE), 2) AS median_ltv,
    MAX(u.lifetime_revenue) AS max_ltv,
    (CAST(SUM(u.total_sessions) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS sessions_per_user,
    (CAST(SUM(u.total_purchases) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS purchases_per_user,
    (CAST(SUM(u.converted_sessions) AS DOUBLE) / NULLIF(CAST(SUM(u.total_sessions) AS DOUBLE), 0)) AS conversion_rate,
    (CAST(SUM(u.avg_session_seconds * u.total_sessions) AS DOUBLE) / NULLIF(CAST(SUM(CASE WHEN u.avg_session_seconds IS NOT NULL THEN u.total_sessions END) AS DOUBLE), 0)) AS avg_session_seconds
FROM `dim_users` u
CROSS JOIN totals t
GROUP BY u.segment, t.all_users, t.all_revenue
ORDER BY
    CASE u.segment
        WHEN 'High Value' THEN 1 WHEN 'Converted' THEN 2 WHEN 'Engaged' THEN 3
        WHEN 'New/Inactive' THEN 4 ELSE 5
    END,
    u.segment
