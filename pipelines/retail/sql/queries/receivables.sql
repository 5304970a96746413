-- name: receivables
-- question: Of the orders that count as revenue, how many are paid, partly paid or unpaid, and how much money is still owed?
-- grain: one row per payment status of revenue orders
-- tables: fact_orders
SELECT
    payment_status,
    COUNT(*) AS orders,
    SUM(net_amount) AS net_amount,
    SUM(paid_amount) AS paid_amount,
    SUM(CASE WHEN net_amount > paid_amount THEN net_amount - paid_amount ELSE 0 END)
        AS outstanding,
    MIN(order_date) AS oldest_order_date
FROM {{ rel('fact_orders') }}
WHERE is_revenue
GROUP BY payment_status
ORDER BY {{ order_keys('outstanding DESC, payment_status') }}
