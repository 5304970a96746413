-- name: country_performance
-- question: How many users does each country have, how many of them are active and buy, and how much revenue does each country bring?
-- grain: one row per country of the user (NULL: unknown country)
-- tables: dim_users
-- Active = at least one session; buyer = at least one converted session; revenue = LTV summed.
SELECT
    country,
    COUNT(*) AS users,
    {{ count_if('total_sessions > 0') }} AS active_users,
    {{ count_if('converted_sessions > 0') }} AS buyers,
    {{ to_bigint('SUM(total_sessions)') }} AS sessions,
    {{ safe_div('SUM(converted_sessions)', 'SUM(total_sessions)') }} AS conversion_rate,
    SUM(lifetime_revenue) AS revenue,
    {{ pct('SUM(lifetime_revenue)', 'SUM(SUM(lifetime_revenue)) OVER ()') }} AS pct_of_revenue,
    {{ round_half_up(safe_div('SUM(lifetime_revenue)', 'COUNT(*)'), 2) }} AS revenue_per_user,
    {{ round_half_up(safe_div('SUM(lifetime_revenue)', 'SUM(total_purchases)'), 2) }} AS aov
FROM {{ rel('dim_users') }}
GROUP BY country
ORDER BY revenue DESC, users DESC, {{ order_nulls_last('country') }}
