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
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(COUNT(*) AS double precision) / NULLIF(CAST(SUM(COUNT(*)) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_sessions,
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    (CAST(COUNT(CASE WHEN converted THEN 1 END) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS conversion_rate,
    (CAST(COUNT(CASE WHEN abandoned_cart THEN 1 END) AS double precision) / NULLIF(CAST(COUNT(CASE WHEN cart_adds > 0 THEN 1 END) AS double precision), 0)) AS cart_abandonment_rate,
    CAST(SUM(purchases) AS bigint) AS purchases,
    SUM(revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(SUM(purchases) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS revenue_per_session
FROM "public"."fact_sessions"
GROUP BY referrer
ORDER BY conversion_rate DESC NULLS LAST, sessions DESC, referrer ASC NULLS LAST
