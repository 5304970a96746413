-- name: reorder_list
-- question: At the latest stock count, which products are below their reorder point in which warehouse, by how many units, and how many units sold in the 28 days up to that count?
-- grain: one row per warehouse and product below its reorder point at the latest count
-- tables: fact_inventory, fact_order_lines, fact_orders, dim_products
WITH latest AS (
    SELECT MAX(snapshot_date) AS snapshot_date FROM {{ rel('fact_inventory') }}
),
sold AS (
    SELECT l.sku, SUM(l.quantity) AS units
    FROM {{ rel('fact_order_lines') }} l
    JOIN {{ rel('fact_orders') }} o ON o.order_id = l.order_id
    CROSS JOIN latest t
    WHERE o.is_revenue
      AND l.order_date > {{ add_days('t.snapshot_date', -28) }}
      AND l.order_date <= t.snapshot_date
    GROUP BY l.sku
)
SELECT
    i.warehouse,
    i.sku,
    p.product_name,
    p.category,
    i.on_hand,
    i.reorder_point,
    i.reorder_point - i.on_hand AS shortfall,
    {{ to_bigint('COALESCE(s.units, 0)') }} AS units_sold_28d
FROM {{ rel('fact_inventory') }} i
JOIN latest t ON t.snapshot_date = i.snapshot_date
JOIN {{ rel('dim_products') }} p ON p.sku = i.sku
LEFT JOIN sold s ON s.sku = i.sku
WHERE i.below_reorder
ORDER BY {{ order_keys('i.reorder_point - i.on_hand DESC, i.warehouse, i.sku') }}
