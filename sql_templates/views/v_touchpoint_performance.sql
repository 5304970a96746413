-- name: v_touchpoint_performance
-- kind: view
-- question: How do sessions perform by device, browser and referrer: traffic, conversion, revenue, AOV, cart abandonment and time on site?
-- grain: one row per device, browser and referrer (a missing value is its own NULL group)
-- tables: fact_sessions
-- The touchpoint of a session is the device, browser and referrer of its first event.
SELECT
    device,
    browser,
    referrer,
    COUNT(*) AS sessions,
    COUNT(DISTINCT user_id) AS users,
    {{ count_if('converted') }} AS converted_sessions,
    {{ safe_div(count_if('converted'), 'COUNT(*)') }} AS conversion_rate,
    {{ count_if('cart_adds > 0') }} AS cart_sessions,
    {{ count_if('abandoned_cart') }} AS abandoned_sessions,
    {{ safe_div(count_if('abandoned_cart'), count_if('cart_adds > 0')) }} AS cart_abandonment_rate,
    {{ to_bigint('SUM(purchases)') }} AS purchases,
    SUM(revenue) AS revenue,
    {{ round_half_up(safe_div('SUM(revenue)', 'SUM(purchases)'), 2) }} AS aov,
    {{ round_half_up(safe_div('SUM(revenue)', 'COUNT(*)'), 2) }} AS revenue_per_session,
    {{ safe_div('SUM(num_events)', 'COUNT(*)') }} AS events_per_session,
    AVG(duration_seconds) AS avg_session_seconds
FROM {{ rel('fact_sessions') }}
GROUP BY device, browser, referrer
