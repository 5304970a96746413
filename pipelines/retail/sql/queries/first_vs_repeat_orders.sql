-- name: first_vs_repeat_orders
-- question: How much net revenue comes from customers' first orders, from their later orders and from guest checkouts?
-- grain: one row per kind of order (first order, repeat order, guest)
-- tables: fact_orders
-- A customer's first order is the first they placed, whatever became of it
-- (fact_orders.customer_order_seq = 1); revenue orders only.
WITH kinds AS (
    SELECT
        CASE WHEN is_guest THEN 'guest'
             WHEN customer_order_seq = 1 THEN 'first order'
             ELSE 'repeat order' END AS order_kind,
        customer_id,
        net_amount
    FROM {{ rel('fact_orders') }}
    WHERE is_revenue
),
totals AS (
    SELECT SUM(net_amount) AS all_net FROM kinds
)
SELECT
    k.order_kind,
    COUNT(*) AS orders,
    COUNT(DISTINCT k.customer_id) AS customers,
    SUM(k.net_amount) AS net_revenue,
    {{ round_half_up(safe_div('SUM(k.net_amount)', 'COUNT(*)'), 2) }} AS aov,
    {{ pct('SUM(k.net_amount)', 't.all_net') }} AS pct_of_revenue
FROM kinds k
CROSS JOIN totals t
GROUP BY k.order_kind, t.all_net
ORDER BY {{ order_keys('k.order_kind') }}
