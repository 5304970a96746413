-- name: revenue_by_channel
-- question: Per sales channel (web, app, store), how many orders, what share cancelled or returned, how much net revenue and what average order value?
-- grain: one row per channel
-- tables: fact_orders
WITH totals AS (
    SELECT SUM(CASE WHEN is_revenue THEN net_amount ELSE 0 END) AS all_net
    FROM {{ rel('fact_orders') }}
),
channels AS (
    SELECT
        channel,
        COUNT(*) AS orders,
        {{ count_if('is_revenue') }} AS revenue_orders,
        {{ count_if("status = 'cancelled'") }} AS cancelled_orders,
        {{ count_if("status = 'returned'") }} AS returned_orders,
        SUM(CASE WHEN is_revenue THEN net_amount ELSE 0 END) AS net_revenue
    FROM {{ rel('fact_orders') }}
    GROUP BY channel
)
SELECT
    c.channel,
    c.orders,
    c.revenue_orders,
    {{ pct('c.cancelled_orders', 'c.orders') }} AS pct_cancelled,
    {{ pct('c.returned_orders', 'c.orders') }} AS pct_returned,
    c.net_revenue,
    {{ round_half_up(safe_div('c.net_revenue', 'c.revenue_orders'), 2) }} AS aov,
    {{ pct('c.net_revenue', 't.all_net') }} AS pct_of_revenue
FROM channels c
CROSS JOIN totals t
ORDER BY {{ order_keys('c.net_revenue DESC, c.channel') }}
