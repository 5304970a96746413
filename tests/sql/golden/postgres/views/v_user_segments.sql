-- name: v_user_segments
-- kind: view
-- question: How are users distributed over the segments (High Value, Converted, Engaged, New/Inactive), and how much revenue and activity does each bring?
-- grain: one row per segment
-- tables: dim_users
-- Segments are dim_users.segment (README "Metric definitions"); segment_order sorts them as listed.
WITH totals AS (
    SELECT COUNT(*) AS all_users, SUM(lifetime_revenue) AS all_revenue
    FROM "public"."dim_users"
)
SELECT
    u.segment,
    CASE u.segment
        WHEN 'High Value' THEN 1 WHEN 'Converted' THEN 2 WHEN 'Engaged' THEN 3
        WHEN 'New/Inactive' THEN 4 ELSE 5
    END AS segment_order,
    COUNT(*) AS users,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(COUNT(*) AS double precision) / NULLIF(CAST(t.all_users AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_users,
    SUM(u.lifetime_revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(SUM(u.lifetime_revenue) AS double precision) / NULLIF(CAST(t.all_revenue AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(u.lifetime_revenue) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS avg_ltv,
    CAST(SUM(u.total_sessions) AS bigint) AS sessions,
    (CAST(SUM(u.total_sessions) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS sessions_per_user,
    CAST(SUM(u.total_purchases) AS bigint) AS purchases,
    CAST(SUM(u.converted_sessions) AS bigint) AS converted_sessions,
    (CAST(SUM(u.converted_sessions) AS double precision) / NULLIF(CAST(SUM(u.total_sessions) AS double precision), 0)) AS conversion_rate,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(u.lifetime_revenue) AS double precision) / NULLIF(CAST(SUM(u.total_purchases) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov
FROM "public"."dim_users" u
CROSS JOIN totals t
GROUP BY u.segment, t.all_users, t.all_revenue
