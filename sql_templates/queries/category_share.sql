-- name: category_share
-- question: What share of products, clicks, units sold and revenue does each category have?
-- grain: one row per product category (products never clicked count, with zeros)
-- tables: dim_product_metrics
WITH per_category AS (
    SELECT
        category,
        COUNT(*) AS products,
        {{ to_bigint('SUM(clicks)') }} AS clicks,
        {{ to_bigint('SUM(cart_adds)') }} AS cart_adds,
        {{ to_bigint('SUM(purchases)') }} AS purchases,
        {{ to_bigint('SUM(units_sold)') }} AS units_sold,
        SUM(revenue) AS revenue
    FROM {{ rel('dim_product_metrics') }}
    GROUP BY category
)
SELECT
    category,
    products,
    clicks,
    {{ pct('clicks', 'SUM(clicks) OVER ()') }} AS pct_of_clicks,
    purchases,
    units_sold,
    {{ pct('units_sold', 'SUM(units_sold) OVER ()') }} AS pct_of_units,
    revenue,
    {{ pct('revenue', 'SUM(revenue) OVER ()') }} AS pct_of_revenue,
    {{ safe_div('purchases', 'clicks') }} AS conversion_rate,
    {{ round_half_up(safe_div('revenue', 'purchases'), 2) }} AS aov
FROM per_category
ORDER BY revenue DESC, {{ order_nulls_last('category') }}
