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
    FROM {{ rel('fact_daily_metrics') }} m
    JOIN {{ rel('fact_daily_metrics') }} w
      ON w.event_date BETWEEN {{ add_days('m.event_date', -6) }} AND m.event_date
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
    {{ pct('m.users - p.users', 'p.users') }} AS users_wow_pct,
    p.sessions AS prev_week_sessions,
    {{ pct('m.sessions - p.sessions', 'p.sessions') }} AS sessions_wow_pct,
    p.revenue AS prev_week_revenue,
    {{ pct('m.revenue - p.revenue', 'p.revenue') }} AS revenue_wow_pct,
    m.conversion_rate - p.conversion_rate AS conversion_rate_wow_change,
    t.days_7d,
    t.revenue_7d,
    {{ safe_div('t.converted_sessions_7d', 't.sessions_7d') }} AS conversion_rate_7d
FROM {{ rel('fact_daily_metrics') }} m
JOIN last_7_days t ON t.event_date = m.event_date
LEFT JOIN {{ rel('fact_daily_metrics') }} p ON p.event_date = {{ add_days('m.event_date', -7) }}
ORDER BY m.event_date
