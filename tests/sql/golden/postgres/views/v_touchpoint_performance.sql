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
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    (CAST(COUNT(CASE WHEN converted THEN 1 END) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS conversion_rate,
    COUNT(CASE WHEN cart_adds > 0 THEN 1 END) AS cart_sessions,
    COUNT(CASE WHEN abandoned_cart THEN 1 END) AS abandoned_sessions,
    (CAST(COUNT(CASE WHEN abandoned_cart THEN 1 END) AS double precision) / NULLIF(CAST(COUNT(CASE WHEN cart_adds > 0 THEN 1 END) AS double precision), 0)) AS cart_abandonment_rate,
    CAST(SUM(purchases) AS bigint) AS purchases,
    SUM(revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(SUM(purchases) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS revenue_per_session,
    (CAST(SUM(num_events) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS events_per_session,
    AVG(duration_seconds) AS avg_session_seconds
FROM "public"."fact_sessions"
GROUP BY device, browser, referrer
