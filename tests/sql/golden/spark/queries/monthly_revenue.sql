-- name: monthly_revenue
-- question: Month by month, how much revenue, how many purchases and sessions, what AOV and conversion, and how does each month compare with the one before?
-- grain: one row per calendar month with data
-- tables: fact_daily_metrics, dim_date
-- Month-over-month compares with the calendar month before (by year * 12 + month from dim_date);
-- NULL when that month has no row or a 0.
WITH months AS (
    SELECT
        d.year * 12 + d.month AS month_index,
        CAST(DATE_TRUNC('month', m.event_date) AS DATE) AS month_start,
        COUNT(*) AS days_with_data,
        CAST(SUM(m.sessions) AS BIGINT) AS sessions,
        CAST(SUM(m.converted_sessions) AS BIGINT) AS converted_sessions,
        CAST(SUM(m.purchases) AS BIGINT) AS purchases,
        SUM(m.revenue) AS revenue
    FROM `fact_daily_metrics` m
    JOIN `dim_date` d ON d.date = m.event_date
    GROUP BY d.year * 12 + d.month, CAST(DATE_TRUNC('month', m.event_date) AS DATE)
)
SELECT
    c.month_start,
    c.days_with_data,
    c.sessions,
    (CAST(c.converted_sessions AS DOUBLE) / NULLIF(CAST(c.sessions AS DOUBLE), 0)) AS conversion_rate,
    c.purchases,
    c.revenue,
    ROUND(CAST((CAST(c.revenue AS DOUBLE) / NULLIF(CAST(c.purchases AS DOUBLE), 0)) AS DOUBLE), 2) AS aov,
    ROUND(CAST((CAST(c.revenue AS DOUBLE) / NULLIF(CAST(c.days_with_data AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_per_day,
    p.revenue AS prev_month_revenue,
    ROUND(CAST(100 * (CAST(c.revenue - p.revenue AS DOUBLE) / NULLIF(CAST(p.revenue AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_mom_pct
FROM months c
LEFT JOIN months p ON p.month_index = c.month_index - 1
ORDER BY c.month_start
