-- name: user_segmentation
-- question: How big is each user segment, what does it spend (total, average and median LTV), and how active is it?
-- grain: one row per segment
-- tables: dim_users
-- Segments as dim_users.segment defines them (README "Metric definitions"). Median LTV is the exact
-- continuous percentile; avg_session_seconds is the mean over the segment's sessions.
WITH totals AS (
    SELECT COUNT(*) AS all_users, SUM(lifetime_revenue) AS all_revenue
    FROM "public"."dim_users"
)
SELECT
    u.segment,
    COUNT(*) AS users,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(COUNT(*) AS double precision) / NULLIF(CAST(t.all_users AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_users,
    SUM(u.lifetime_revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(SUM(u.lifetime_revenue) AS double precision) / NULLIF(CAST(t.all_revenue AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(u.lifetime_revenue) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS avg_ltv,
    CAST(ROUND(CAST(CAST(CAST(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CAST(u.lifetime_revenue AS double precision)) AS double precision) AS text) AS numeric), 2) AS double precision) AS median_ltv,
    MAX(u.lifetime_revenue) AS max_ltv,
    (CAST(SUM(u.total_sessions) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS sessions_per_user,
    (CAST(SUM(u.total_purchases) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS purchases_per_user,
    (CAST(SUM(u.converted_sessions) AS double precision) / NULLIF(CAST(SUM(u.total_sessions) AS double precision), 0)) AS conversion_rate,
    (CAST(SUM(u.avg_session_seconds * u.total_sessions) AS double precision) / NULLIF(CAST(SUM(CASE WHEN u.avg_session_seconds IS NOT NULL THEN u.total_sessions END) AS double precision), 0)) AS avg_session_seconds
FROM "public"."dim_users" u
CROSS JOIN totals t
GROUP BY u.segment, t.all_users, t.all_revenue
ORDER BY
    CASE u.segment
        WHEN 'High Value' THEN 1 WHEN 'Converted' THEN 2 WHEN 'Engaged' THEN 3
        WHEN 'New/Inactive' THEN 4 ELSE 5
    END,
    u.segment
