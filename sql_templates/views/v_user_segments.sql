-- name: v_user_segments
-- kind: view
-- question: How are users distributed over the segments (High Value, Converted, Engaged, New/Inactive), and how much revenue and activity does each bring?
-- grain: one row per segment
-- tables: dim_users
-- Segments are dim_users.segment (README "Metric definitions"); segment_order sorts them as listed.
WITH totals AS (
    SELECT COUNT(*) AS all_users, SUM(lifetime_revenue) AS all_revenue
    FROM {{ rel('dim_users') }}
)
SELECT
    u.segment,
    CASE u.segment
        WHEN 'High Value' THEN 1 WHEN 'Converted' THEN 2 WHEN 'Engaged' THEN 3
        WHEN 'New/Inactive' THEN 4 ELSE 5
    END AS segment_order,
    COUNT(*) AS users,
    {{ pct('COUNT(*)', 't.all_users') }} AS pct_of_users,
    SUM(u.lifetime_revenue) AS revenue,
    {{ pct('SUM(u.lifetime_revenue)', 't.all_revenue') }} AS pct_of_revenue,
    {{ round_half_up(safe_div('SUM(u.lifetime_revenue)', 'COUNT(*)'), 2) }} AS avg_ltv,
    {{ to_bigint('SUM(u.total_sessions)') }} AS sessions,
    {{ safe_div('SUM(u.total_sessions)', 'COUNT(*)') }} AS sessions_per_user,
    {{ to_bigint('SUM(u.total_purchases)') }} AS purchases,
    {{ to_bigint('SUM(u.converted_sessions)') }} AS converted_sessions,
    {{ safe_div('SUM(u.converted_sessions)', 'SUM(u.total_sessions)') }} AS conversion_rate,
    {{ round_half_up(safe_div('SUM(u.lifetime_revenue)', 'SUM(u.total_purchases)'), 2) }} AS aov
FROM {{ rel('dim_users') }} u
CROSS JOIN totals t
GROUP BY u.segment, t.all_users, t.all_revenue
