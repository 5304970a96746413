-- name: aov_by_device
-- question: What is the average order value, and how much revenue and how many purchases, per device?
-- grain: one row per device of the session (NULL: unknown device)
-- tables: fact_sessions
-- AOV = revenue / purchase events, rounded half up to cents; NULL without purchases.
SELECT
    device,
    COUNT(*) AS sessions,
    {{ count_if('converted') }} AS converted_sessions,
    {{ to_bigint('SUM(purchases)') }} AS purchases,
    SUM(revenue) AS revenue,
    {{ round_half_up(safe_div('SUM(revenue)', 'SUM(purchases)'), 2) }} AS aov,
    {{ round_half_up(safe_div('SUM(revenue)', count_if('converted')), 2) }} AS revenue_per_converted_session,
    {{ pct('SUM(revenue)', 'SUM(SUM(revenue)) OVER ()') }} AS pct_of_revenue
FROM {{ rel('fact_sessions') }}
GROUP BY device
ORDER BY {{ order_nulls_last('aov', desc=True) }}, {{ order_nulls_last('device') }}
