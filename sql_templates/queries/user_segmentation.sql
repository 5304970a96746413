-- name: user_segmentation
-- question: How big is each user segment, what does it spend (total, average and median LTV), and how active is it?
-- grain: one row per segment
-- tables: dim_users
-- Segments as dim_users.segment defines them (README "Metric definitions"). Median LTV is the exact
-- continuous percentile; avg_session_seconds is the mean over the segment's sessions.
WITH totals AS (
    SELECT COUNT(*) AS all_users, SUM(lifetime_revenue) AS all_revenue
    FROM {{ rel('dim_users') }}
)
SELECT
    u.segment,
    COUNT(*) AS users,
    {{ pct('COUNT(*)', 't.all_users') }} AS pct_of_users,
    SUM(u.lifetime_revenue) AS revenue,
    {{ pct('SUM(u.lifetime_revenue)', 't.all_revenue') }} AS pct_of_revenue,
    {{ round_half_up(safe_div('SUM(u.lifetime_revenue)', 'COUNT(*)'), 2) }} AS avg_ltv,
    {{ round_half_up(percentile('u.lifetime_revenue', 0.5), 2) }} AS median_ltv,
    MAX(u.lifetime_revenue) AS max_ltv,
    {{ safe_div('SUM(u.total_sessions)', 'COUNT(*)') }} AS sessions_per_user,
    {{ safe_div('SUM(u.total_purchases)', 'COUNT(*)') }} AS purchases_per_user,
    {{ safe_div('SUM(u.converted_sessions)', 'SUM(u.total_sessions)') }} AS conversion_rate,
    {{ safe_div('SUM(u.avg_session_seconds * u.total_sessions)', 'SUM(CASE WHEN u.avg_session_seconds IS NOT NULL THEN u.total_sessions END)') }} AS avg_session_seconds
FROM {{ rel('dim_users') }} u
CROSS JOIN totals t
GROUP BY u.segment, t.all_users, t.all_revenue
ORDER BY
    CASE u.segment
        WHEN 'High Value' THEN 1 WHEN 'Converted' THEN 2 WHEN 'Engaged' THEN 3
        WHEN 'New/Inactive' THEN 4 ELSE 5
    END,
    u.segment
