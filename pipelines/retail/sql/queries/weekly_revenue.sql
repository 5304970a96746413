-- name: weekly_revenue
-- question: Week by week (ISO weeks, Monday start), how many orders and customers, how much net revenue, and how does it compare with the week before?
-- grain: one row per ISO week with orders
-- tables: fact_orders
-- Week-over-week % is NULL for the first week (no week before it).
WITH weeks AS (
    SELECT
        {{ date_trunc_to('week', 'order_date') }} AS week_start,
        COUNT(*) AS orders,
        {{ count_if('is_revenue') }} AS revenue_orders,
        COUNT(DISTINCT CASE WHEN is_revenue THEN customer_id END) AS customers,
        SUM(CASE WHEN is_revenue THEN net_amount ELSE 0 END) AS net_revenue
    FROM {{ rel('fact_orders') }}
    GROUP BY {{ date_trunc_to('week', 'order_date') }}
)
SELECT
    {{ iso_year('w.week_start') }} AS iso_year,
    {{ iso_week('w.week_start') }} AS iso_week,
    w.week_start,
    w.orders,
    w.revenue_orders,
    w.customers,
    w.net_revenue,
    {{ round_half_up(safe_div('w.net_revenue', 'w.revenue_orders'), 2) }} AS aov,
    p.net_revenue AS prev_week_revenue,
    {{ pct('w.net_revenue - p.net_revenue', 'p.net_revenue') }} AS revenue_wow_pct
FROM weeks w
LEFT JOIN weeks p ON p.week_start = {{ add_days('w.week_start', -7) }}
ORDER BY {{ order_keys('w.week_start') }}
