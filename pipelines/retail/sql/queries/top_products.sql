-- name: top_products
-- question: Which 10 products brought the most net revenue, with how many units, orders and what margin?
-- grain: one row per product (the 10 with the most net revenue; ties by sku)
-- tables: fact_order_lines, fact_orders, dim_products
SELECT
    l.sku,
    p.product_name,
    p.category,
    SUM(l.quantity) AS units,
    COUNT(DISTINCT l.order_id) AS orders,
    SUM(l.line_net) AS net_revenue,
    SUM(l.line_margin) AS margin,
    {{ pct('SUM(l.line_margin)', 'SUM(l.line_net)') }} AS margin_pct
FROM {{ rel('fact_order_lines') }} l
JOIN {{ rel('fact_orders') }} o ON o.order_id = l.order_id
JOIN {{ rel('dim_products') }} p ON p.sku = l.sku
WHERE o.is_revenue
GROUP BY l.sku, p.product_name, p.category
ORDER BY {{ order_keys('SUM(l.line_net) DESC, l.sku') }}
LIMIT 10
