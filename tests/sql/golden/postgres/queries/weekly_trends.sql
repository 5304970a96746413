-- name: weekly_trends
-- question: Week by week (ISO weeks, Monday start), how many sessions, purchases and how much revenue, and how does each week compare with the week before?
-- grain: one row per ISO week with data
-- tables: fact_daily_metrics
-- A week with fewer than 7 days of data (the first and last) says so in days_with_data.
-- Week-over-week % is NULL when the previous week has no row or a 0.
WITH weeks AS (
    SELECT
        CAST(DATE_TRUNC('week', event_date) AS date) AS week_start,
        COUNT(*) AS days_with_data,
        CAST(SUM(sessions) AS bigint) AS sessions,
        CAST(SUM(converted_sessions) AS bigint) AS converted_sessions,
        CAST(SUM(purchases) AS bigint) AS purchases,
        SUM(revenue) AS revenue
    FROM "public"."fact_daily_metrics"
    GROUP BY CAST(DATE_TRUNC('week', event_date) AS date)
)
SELECT
    CAST(EXTRACT(ISOYEAR FROM w.week_start) AS integer) AS iso_year,
    CAST(EXTRACT(WEEK FROM w.week_start) AS integer) AS iso_week,
    w.week_start,
    (CAST(w.week_start AS date) + CAST(6 AS integer)) AS week_end,
    w.days_with_data,
    w.sessions,
    w.converted_sessions,
    (CAST(w.converted_sessions AS double precision) / NULLIF(CAST(w.sessions AS double precision), 0)) AS conversion_rate,
    w.purchases,
    w.revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(w.revenue AS double precision) / NULLIF(CAST(w.purchases AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov,
    p.sessions AS prev_week_sessions,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(w.sessions - p.sessions AS double precision) / NULLIF(CAST(p.sessions AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS sessions_wow_pct,
    p.revenue AS prev_week_revenue,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(w.revenue - p.revenue AS double precision) / NULLIF(CAST(p.revenue AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS revenue_wow_pct
FROM weeks w
LEFT JOIN weeks p ON p.week_start = (CAST(w.week_start AS date) + CAST(-7 AS integer))
ORDER BY w.week_start
