-- name: v_category_sales
-- kind: view
-- question: Per product category, how many units sold, for how much net revenue and margin, and what share of all revenue is that?
-- grain: one row per category with sales
-- tables: fact_order_lines, fact_orders, dim_products
-- Lines of revenue orders only; margin = net - cost (fact_order_lines.line_margin).
WITH sold AS (
    SELECT p.category, l.sku, l.quantity, l.line_net, l.line_cost, l.line_margin
    FROM {{ rel('fact_order_lines') }} l
    JOIN {{ rel('fact_orders') }} o ON o.order_id = l.order_id
    JOIN {{ rel('dim_products') }} p ON p.sku = l.sku
    WHERE o.is_revenue
),
totals AS (
    SELECT SUM(line_net) AS all_net FROM sold
)
SELECT
    s.category,
    COUNT(DISTINCT s.sku) AS products_sold,
    SUM(s.quantity) AS units,
    SUM(s.line_net) AS net_revenue,
    SUM(s.line_cost) AS cost,
    SUM(s.line_margin) AS margin,
    {{ pct('SUM(s.line_margin)', 'SUM(s.line_net)') }} AS margin_pct,
    {{ pct('SUM(s.line_net)', 't.all_net') }} AS pct_of_revenue
FROM sold s
CROSS JOIN totals t
GROUP BY s.category, t.all_net
