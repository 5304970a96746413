-- name: referrer_conversion
-- question: Which referrers bring sessions that convert, and how much revenue per session do they bring?
-- grain: one row per referrer of the session (NULL: unknown referrer)
-- tables: fact_sessions
-- conversion_rate = sessions with a purchase / sessions; cart_abandonment_rate = sessions with an
-- add_to_cart and no purchase / sessions with an add_to_cart; AOV = revenue / purchase events.
SELECT
    referrer,
    COUNT(*) AS sessions,
    COUNT(DISTINCT user_id) AS users,
    {{ pct('COUNT(*)', 'SUM(COUNT(*)) OVER ()') }} AS pct_of_sessions,
    {{ count_if('converted') }} AS converted_sessions,
    {{ safe_div(count_if('converted'), 'COUNT(*)') }} AS conversion_rate,
    {{ safe_div(count_if('abandoned_cart'), count_if('cart_adds > 0')) }} AS cart_abandonment_rate,
    {{ to_bigint('SUM(purchases)') }} AS purchases,
    SUM(revenue) AS revenue,
    {{ round_half_up(safe_div('SUM(revenue)', 'SUM(purchases)'), 2) }} AS aov,
    {{ round_half_up(safe_div('SUM(revenue)', 'COUNT(*)'), 2) }} AS revenue_per_session
FROM {{ rel('fact_sessions') }}
GROUP BY referrer
ORDER BY {{ order_nulls_last('conversion_rate', desc=True) }}, sessions DESC, {{ order_nulls_last('referrer') }}
