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
    FROM "public"."fact_daily_metrics" m
    JOIN "public"."fact_daily_metrics" w
      ON w.event_date BETWEEN (CAST(m.event_date AS date) + CAST(-6 AS integer)) AND m.event_date
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
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(m.users - p.users AS double precision) / NULLIF(CAST(p.users AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS users_wow_pct,
    p.sessions AS prev_week_sessions,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(m.sessions - p.sessions AS double precision) / NULLIF(CAST(p.sessions AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS sessions_wow_pct,
    p.revenue AS prev_week_revenue,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(m.revenue - p.revenue AS double precision) / NULLIF(CAST(p.revenue AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS revenue_wow_pct,
    m.conversion_rate - p.conversion_rate AS conversion_rate_wow_change,
    t.days_7d,
    t.revenue_7d,
    (CAST(t.converted_sessions_7d AS double precision) / NULLIF(CAST(t.sessions_7d AS double precision), 0)) AS conversion_rate_7d
FROM "public"."fact_daily_metrics" m
JOIN last_7_days t ON t.event_date = m.event_date
LEFT JOIN "public"."fact_daily_metrics" p ON p.event_date = (CAST(m.event_date AS date) + CAST(-7 AS integer))
ORDER BY m.event_date
