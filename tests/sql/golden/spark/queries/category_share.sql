-- name: category_share
-- question: What share of products, clicks, units sold and revenue does each category have?
-- grain: one row per product category (products never clicked count, with zeros)
-- tables: dim_product_metrics
WITH per_category AS (
    SELECT
        category,
        COUNT(*) AS products,
        CAST(SUM(clicks) AS BIGINT) AS clicks,
        CAST(SUM(cart_adds) AS BIGINT) AS cart_adds,
        CAST(SUM(purchases) AS BIGINT) AS purchases,
        CAST(SUM(units_sold) AS BIGINT) AS units_sold,
        SUM(revenue) AS revenue
    FROM `dim_product_metrics`
    GROUP BY category
)
SELECT
    category,
    products,
    clicks,
    ROUND(CAST(100 * (CAST(clicks AS DOUBLE) / NULLIF(CAST(SUM(clicks) OVER () AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_clicks,
    purchases,
    units_sold,
    ROUND(CAST(100 * (CAST(units_sold AS DOUBLE) / NULLIF(CAST(SUM(units_sold) OVER () AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_units,
    revenue,
    ROUND(CAST(100 * (CAST(revenue AS DOUBLE) / NULLIF(CAST(SUM(revenue) OVER () AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_revenue,
    (CAST(purchases AS DOUBLE) / NULLIF(CAST(clicks AS DOUBLE), 0)) AS conversion_rate,
    ROUND(CAST((CAST(revenue AS DOUBLE) / NULLIF(CAST(purchases AS DOUBLE), 0)) AS DOUBLE), 2) AS aov
FROM per_category
ORDER BY revenue DESC, category ASC NULLS LAST
