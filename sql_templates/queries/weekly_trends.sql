-- name: weekly_trends
-- question: Week by week (ISO weeks, Monday start), how many sessions, purchases and how much revenue, and how does each week compare with the week before?
-- grain: one row per ISO week with data
-- tables: fact_daily_metrics
-- A week with fewer than 7 days of data (the first and last) says so in days_with_data.
-- Week-over-week % is NULL when the previous week has no row or a 0.
WITH weeks AS (
    SELECT
        {{ date_trunc_to('week', 'event_date') }} AS week_start,
        COUNT(*) AS days_with_data,
        {{ to_bigint('SUM(sessions)') }} AS sessions,
        {{ to_bigint('SUM(converted_sessions)') }} AS converted_sessions,
        {{ to_bigint('SUM(purchases)') }} AS purchases,
        SUM(revenue) AS revenue
    FROM {{ rel('fact_daily_metrics') }}
    GROUP BY {{ date_trunc_to('week', 'event_date') }}
)
SELECT
    {{ iso_year('w.week_start') }} AS iso_year,
    {{ iso_week('w.week_start') }} AS iso_week,
    w.week_start,
    {{ add_days('w.week_start', 6) }} AS week_end,
    w.days_with_data,
    w.sessions,
    w.converted_sessions,
    {{ safe_div('w.converted_sessions', 'w.sessions') }} AS conversion_rate,
    w.purchases,
    w.revenue,
    {{ round_half_up(safe_div('w.revenue', 'w.purchases'), 2) }} AS aov,
    p.sessions AS prev_week_sessions,
    {{ pct('w.sessions - p.sessions', 'p.sessions') }} AS sessions_wow_pct,
    p.revenue AS prev_week_revenue,
    {{ pct('w.revenue - p.revenue', 'p.revenue') }} AS revenue_wow_pct
FROM weeks w
LEFT JOIN weeks p ON p.week_start = {{ add_days('w.week_start', -7) }}
ORDER BY w.week_start
