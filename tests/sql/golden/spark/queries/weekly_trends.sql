-- name: weekly_trends
-- question: Week by week (ISO weeks, Monday start), how many sessions, purchases and how much revenue, and how does each week compare with the week before?
-- grain: one row per ISO week with data
-- tables: fact_daily_metrics
-- A week with fewer than 7 days of data (the first and last) says so in days_with_data.
-- Week-over-week % is NULL when the previous week has no row or a 0.
WITH weeks AS (
    SELECT
        CAST(DATE_TRUNC('week', event_date) AS DATE) AS week_start,
        COUNT(*) AS days_with_data,
        CAST(SUM(sessions) AS BIGINT) AS sessions,
        CAST(SUM(converted_sessions) AS BIGINT) AS converted_sessions,
        CAST(SUM(purchases) AS BIGINT) AS purchases,
        SUM(revenue) AS revenue
    FROM `fact_daily_metrics`
    GROUP BY CAST(DATE_TRUNC('week', event_date) AS DATE)
)
SELECT
    CAST(EXTRACT(YEAROFWEEK FROM w.week_start) AS INT) AS iso_year,
    CAST(EXTRACT(WEEK FROM w.week_start) AS INT) AS iso_week,
    w.week_start,
    DATE_ADD(CAST(w.week_start AS DATE), CAST(6 AS INT)) AS week_end,
    w.days_with_data,
    w.sessions,
    w.converted_sessions,
    (CAST(w.converted_sessions AS DOUBLE) / NULLIF(CAST(w.sessions AS DOUBLE), 0)) AS conversion_rate,
    w.purchases,
    w.revenue,
    ROUND(CAST((CAST(w.revenue AS DOUBLE) / NULLIF(CAST(w.purchases AS DOUBLE), 0)) AS DOUBLE), 2) AS aov,
    p.sessions AS prev_week_sessions,
    ROUND(CAST(100 * (CAST(w.sessions - p.sessions AS DOUBLE) / NULLIF(CAST(p.sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS sessions_wow_pct,
    p.revenue AS prev_week_revenue,
    ROUND(CAST(100 * (CAST(w.revenue - p.revenue AS DOUBLE) / NULLIF(CAST(p.revenue AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_wow_pct
FROM weeks w
LEFT JOIN weeks p ON p.week_start = DATE_ADD(CAST(w.week_start AS DATE), CAST(-7 AS INT))
ORDER BY w.week_start
