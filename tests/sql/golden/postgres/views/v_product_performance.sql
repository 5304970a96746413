-- name: v_product_performance
-- kind: view
-- question: How does each product perform (views, clicks, carts, purchases, revenue, rates), within its category and price band?
-- grain: one row per product (products never clicked included, with zeros)
-- tables: dim_product_metrics
-- Price bands: under 25, 25-50, 50-100, 100-250, 250 and over (lower bound included); a product
-- without a price is 'unknown'. Ranks break revenue ties by product_id.
SELECT
    product_id,
    product_name,
    category,
    price,
    CASE
        WHEN price IS NULL THEN 'unknown'
        WHEN price < 25 THEN 'under 25'
        WHEN price < 50 THEN '25-50'
        WHEN price < 100 THEN '50-100'
        WHEN price < 250 THEN '100-250'
        ELSE '250 and over'
    END AS price_band,
    CASE
        WHEN price IS NULL THEN 6
        WHEN price < 25 THEN 1
        WHEN price < 50 THEN 2
        WHEN price < 100 THEN 3
        WHEN price < 250 THEN 4
        ELSE 5
    END AS price_band_order,
    views,
    clicks,
    cart_adds,
    purchases,
    units_sold,
    revenue,
    conversion_rate,
    cart_conversion,
    (CAST(cart_adds AS double precision) / NULLIF(CAST(clicks AS double precision), 0)) AS click_to_cart_rate,
    engagement_score,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(revenue AS double precision) / NULLIF(CAST(SUM(revenue) OVER (PARTITION BY category) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_category_revenue,
    ROW_NUMBER() OVER (PARTITION BY category ORDER BY revenue DESC, product_id) AS revenue_rank_in_category,
    ROW_NUMBER() OVER (ORDER BY revenue DESC, product_id) AS revenue_rank
FROM "public"."dim_product_metrics"
