-- name: v_stock_health
-- kind: view
-- question: At the latest stock count, how many units and how much stock value does each warehouse hold per category, and how many products are below their reorder point?
-- grain: one row per warehouse and category at the latest count
-- tables: fact_inventory, dim_products
WITH latest AS (
    SELECT MAX(snapshot_date) AS snapshot_date FROM {{ rel('fact_inventory') }}
)
SELECT
    i.warehouse,
    p.category,
    i.snapshot_date,
    COUNT(*) AS products,
    SUM(i.on_hand) AS units_on_hand,
    SUM(i.stock_value) AS stock_value,
    {{ count_if('i.below_reorder') }} AS below_reorder,
    {{ pct(count_if('i.below_reorder'), 'COUNT(*)') }} AS pct_below_reorder
FROM {{ rel('fact_inventory') }} i
JOIN latest t ON t.snapshot_date = i.snapshot_date
JOIN {{ rel('dim_products') }} p ON p.sku = i.sku
GROUP BY i.warehouse, p.category, i.snapshot_date
