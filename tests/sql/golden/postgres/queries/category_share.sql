-- name: category_share
-- question: What share of products, clicks, units sold and revenue does each category have?
-- grain: one row per product category (products never clicked count, with zeros)
-- tables: dim_product_metrics
WITH per_category AS (
    SELECT
        category,
        COUNT(*) AS products,
        CAST(SUM(clicks) AS bigint) AS clicks,
        CAST(SUM(cart_adds) AS bigint) AS cart_adds,
        CAST(SUM(purchases) AS bigint) AS purchases,
        CAST(SUM(units_sold) AS bigint) AS units_sold,
        SUM(revenue) AS revenue
    FROM "public"."dim_product_metrics"
    GROUP BY category
)
SELECT
    category,
    products,
    clicks,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(clicks AS double precision) / NULLIF(CAST(SUM(clicks) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_clicks,
    purchases,
    units_sold,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(units_sold AS double precision) / NULLIF(CAST(SUM(units_sold) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_units,
    revenue,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(revenue AS double precision) / NULLIF(CAST(SUM(revenue) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_revenue,
    (CAST(purchases AS double precision) / NULLIF(CAST(clicks AS double precision), 0)) AS conversion_rate,
    CAST(ROUND(CAST(CAST(CAST((CAST(revenue AS double precision) / NULLIF(CAST(purchases AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov
FROM per_category
ORDER BY revenue DESC, category ASC NULLS LAST
