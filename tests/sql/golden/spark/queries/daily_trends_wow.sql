-- name: daily_trends_wow
-- question: Day by day, how do users, sessions, revenue and conversion move, how does each day compare with the same weekday a week earlier, and what is the trailing 7-day revenue?
-- grain: one row per event_date
-- tables: fact_daily_metrics
-- Week-over-week % = 100 * (day - same weekday a week earlier) / that earlier day, NULL when the
-- earlier day has no row or is 0. Trailing 7 days = the day and the 6 days before it that have rows.
WITH last_7_days AS (
    SELECT
        m.event_date,
        SUM(w.revenue) AS revenue_7d,
        SUM(w.sessions) AS sessions_7d,
        SUM(w.converted_sessions) AS converted_sessions_7d,
        COUNT(*) AS days_7d
    FROM `fact_daily_metrics` m
    JOIN `fact_daily_metrics` w
      ON w.event_date BETWEEN DATE_ADD(CAST(m.event_date AS DATE), CAST(-6 AS INT)) AND m.event_date
    GROUP BY m.event_date
)
SELECT
    m.event_date,
    m.users,
    m.sessions,
    m.revenue,
    m.conversion_rate,
    m.aov,
    p.users AS prev_week_users,
    ROUND(CAST(100 * (CAST(m.users - p.users AS DOUBLE) / NULLIF(CAST(p.users AS DOUBLE), 0)) AS DOUBLE), 2) AS users_wow_pct,
    p.sessions AS prev_week_sessions,
    ROUND(CAST(100 * (CAST(m.sessions - p.sessions AS DOUBLE) / NULLIF(CAST(p.sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS sessions_wow_pct,
    p.revenue AS prev_week_revenue,
    ROUND(CAST(100 * (CAST(m.revenue - p.revenue AS DOUBLE) / NULLIF(CAST(p.revenue AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_wow_pct,
    m.conversion_rate - p.conversion_rate AS conversion_rate_wow_change,
    t.days_7d,
    t.revenue_7d,
    (CAST(t.converted_sessions_7d AS DOUBLE) / NULLIF(CAST(t.sessions_7d AS DOUBLE), 0)) AS conversion_rate_7d
FROM `fact_daily_metrics` m
JOIN last_7_days t ON t.event_date = m.event_date
LEFT JOIN `fact_daily_metrics` p ON p.event_date = DATE_ADD(CAST(m.event_date AS DATE), CAST(-7 AS INT))
ORDER BY m.event_date
