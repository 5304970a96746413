-- name: v_daily_trends
-- kind: view
-- question: How do traffic, revenue and conversion move day by day, and how does each day compare with the same weekday one week earlier?
-- grain: one row per event_date
-- tables: fact_daily_metrics, dim_date
-- Week-over-week columns compare with the row of event_date - 7 days: NULL when that day has no
-- row or its value is 0 (a change from zero has no percentage).
SELECT
    m.event_date,
    d.day_of_week,
    d.day_name,
    d.week_of_year,
    d.is_weekend,
    m.users,
    m.sessions,
    m.events,
    m.page_views,
    m.purchases,
    m.revenue,
    m.conversion_rate,
    m.aov,
    m.cart_abandonment_rate,
    m.avg_session_seconds,
    p.event_date AS prev_week_date,
    p.sessions AS prev_week_sessions,
    ROUND(CAST(100 * (CAST(m.sessions - p.sessions AS DOUBLE) / NULLIF(CAST(p.sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS sessions_wow_pct,
    p.users AS prev_week_users,
    ROUND(CAST(100 * (CAST(m.users - p.users AS DOUBLE) / NULLIF(CAST(p.users AS DOUBLE), 0)) AS DOUBLE), 2) AS users_wow_pct,
    p.revenue AS prev_week_revenue,
    ROUND(CAST(100 * (CAST(m.revenue - p.revenue AS DOUBLE) / NULLIF(CAST(p.revenue AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_wow_pct,
    p.conversion_rate AS prev_week_conversion_rate,
    m.conversion_rate - p.conversion_rate AS conversion_rate_wow_change
FROM `fact_daily_metrics` m
LEFT JOIN `dim_date` d ON d.date = m.event_date
LEFT JOIN `fact_daily_metrics` p ON p.event_date = DATE_ADD(CAST(m.event_date AS DATE), CAST(-7 AS INT))
