-- name: v_daily_sales
-- kind: view
-- question: Day by day, how many orders came in, how many were cancelled or returned, and how much net revenue and what average order value did the others bring?
-- grain: one row per day with orders
-- tables: fact_orders, dim_date
-- Revenue counts the orders neither cancelled nor returned (fact_orders.is_revenue); aov is
-- their net revenue per order, rounded half up to cents.
SELECT
    o.order_date,
    d.day_name,
    d.iso_week,
    d.is_weekend,
    COUNT(*) AS orders,
    {{ count_if('o.is_revenue') }} AS revenue_orders,
    {{ count_if("o.status = 'cancelled'") }} AS cancelled_orders,
    {{ count_if("o.status = 'returned'") }} AS returned_orders,
    {{ count_if('o.is_revenue AND o.is_guest') }} AS guest_orders,
    COUNT(DISTINCT CASE WHEN o.is_revenue THEN o.customer_id END) AS customers,
    SUM(CASE WHEN o.is_revenue THEN o.items ELSE 0 END) AS items,
    SUM(CASE WHEN o.is_revenue THEN o.net_amount ELSE 0 END) AS net_revenue,
    {{ round_half_up(safe_div('SUM(CASE WHEN o.is_revenue THEN o.net_amount ELSE 0 END)',
                              count_if('o.is_revenue')), 2) }} AS aov
FROM {{ rel('fact_orders') }} o
JOIN {{ rel('dim_date') }} d ON d.date = o.order_date
GROUP BY o.order_date, d.day_name, d.iso_week, d.is_weekend
