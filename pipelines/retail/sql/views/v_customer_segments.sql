-- name: v_customer_segments
-- kind: view
-- question: How many customers are repeat buyers, one-time buyers or prospects, and how much revenue does each segment bring?
-- grain: one row per segment
-- tables: dim_customers
-- Segments are dim_customers.segment; segment_order sorts them repeat > one-time > prospect.
WITH totals AS (
    SELECT COUNT(*) AS all_customers, SUM(lifetime_value) AS all_value
    FROM {{ rel('dim_customers') }}
)
SELECT
    c.segment,
    CASE c.segment WHEN 'repeat' THEN 1 WHEN 'one-time' THEN 2 WHEN 'prospect' THEN 3 ELSE 4
    END AS segment_order,
    COUNT(*) AS customers,
    {{ pct('COUNT(*)', 't.all_customers') }} AS pct_of_customers,
    {{ count_if('c.marketing_opt_in') }} AS opted_in,
    SUM(c.orders) AS orders,
    SUM(c.lifetime_value) AS revenue,
    {{ pct('SUM(c.lifetime_value)', 't.all_value') }} AS pct_of_revenue,
    {{ round_half_up(safe_div('SUM(c.lifetime_value)', 'COUNT(*)'), 2) }} AS avg_ltv
FROM {{ rel('dim_customers') }} c
CROSS JOIN totals t
GROUP BY c.segment, t.all_customers, t.all_value
