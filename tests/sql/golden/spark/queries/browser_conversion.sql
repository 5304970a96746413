-- name: browser_conversion
-- question: Which browsers bring sessions that convert, and how much revenue per session do they bring?
-- grain: one row per browser of the session (NULL: unknown browser)
-- tables: fact_sessions
-- conversion_rate = sessions with a purchase / sessions; cart_abandonment_rate = sessions with an
-- add_to_cart and no purchase / sessions with an add_to_cart; AOV = revenue / purchase events.
SELECT
    browser,
    COUNT(*) AS sessions,
    COUNT(DISTINCT user_id) AS users,
    ROUND(CAST(100 * (CAST(COUNT(*) AS DOUBLE) / NULLIF(CAST(SUM(COUNT(*)) OVER () AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_sessions,
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    (CAST(COUNT(CASE WHEN converted THEN 1 END) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS conversion_rate,
    (CAST(COUNT(CASE WHEN abandoned_cart THEN 1 END) AS DOUBLE) / NULLIF(CAST(COUNT(CASE WHEN cart_adds > 0 THEN 1 END) AS DOUBLE), 0)) AS cart_abandonment_rate,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    SUM(revenue) AS revenue,
    ROUND(CAST((CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(SUM(purchases) AS DOUBLE), 0)) AS DOUBLE), 2) AS aov,
    ROUND(CAST((CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_per_session
FROM `fact_sessions`
GROUP BY browser
ORDER BY conversion_rate DESC NULLS LAST, sessions DESC, browser ASC NULLS LAST
