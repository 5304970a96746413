-- name: top_products
-- question: Which 10 products bring the most revenue, and how do they convert?
-- grain: one row per product, the 10 with the highest revenue (ties broken by product_id)
-- tables: dim_product_metrics
WITH ranked AS (
    SELECT
        product_id,
        product_name,
        category,
        price,
        clicks,
        cart_adds,
        purchases,
        units_sold,
        revenue,
        conversion_rate,
        engagement_score,
        ROW_NUMBER() OVER (ORDER BY revenue DESC, product_id) AS revenue_rank
    FROM `dim_product_metrics`
)
SELECT
    revenue_rank,
    product_id,
    product_name,
    category,
    price,
    clicks,
    cart_adds,
    purchases,
    units_sold,
    revenue,
    conversion_rate,
    engagement_score,
    ROUND(CAST(100 * (CAST(revenue AS DOUBLE) / NULLIF(CAST((SELECT SUM(revenue) FROM `dim_product_metrics`) AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_revenue
FROM ranked
WHERE revenue_rank <= 10
ORDER BY revenue_rank
