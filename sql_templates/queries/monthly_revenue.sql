-- name: monthly_revenue
-- question: Month by month, how much revenue, how many purchases and sessions, what AOV and conversion, and how does each month compare with the one before?
-- grain: one row per calendar month with data
-- tables: fact_daily_metrics, dim_date
-- Month-over-month compares with the calendar month before (by year * 12 + month from dim_date);
-- NULL when that month has no row or a 0.
WITH months AS (
    SELECT
        d.year * 12 + d.month AS month_index,
        {{ date_trunc_to('month', 'm.event_date') }} AS month_start,
        COUNT(*) AS days_with_data,
        {{ to_bigint('SUM(m.sessions)') }} AS sessions,
        {{ to_bigint('SUM(m.converted_sessions)') }} AS converted_sessions,
        {{ to_bigint('SUM(m.purchases)') }} AS purchases,
        SUM(m.revenue) AS revenue
    FROM {{ rel('fact_daily_metrics') }} m
    JOIN {{ rel('dim_date') }} d ON d.date = m.event_date
    GROUP BY d.year * 12 + d.month, {{ date_trunc_to('month', 'm.event_date') }}
)
SELECT
    c.month_start,
    c.days_with_data,
    c.sessions,
    {{ safe_div('c.converted_sessions', 'c.sessions') }} AS conversion_rate,
    c.purchases,
    c.revenue,
    {{ round_half_up(safe_div('c.revenue', 'c.purchases'), 2) }} AS aov,
    {{ round_half_up(safe_div('c.revenue', 'c.days_with_data'), 2) }} AS revenue_per_day,
    p.revenue AS prev_month_revenue,
    {{ pct('c.revenue - p.revenue', 'p.revenue') }} AS revenue_mom_pct
FROM months c
LEFT JOIN months p ON p.month_index = c.month_index - 1
ORDER BY c.month_start
