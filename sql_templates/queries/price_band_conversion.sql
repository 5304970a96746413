-- name: price_band_conversion
-- question: Do cheaper or dearer products convert better from click to cart to purchase?
-- grain: one row per price band (under 25, 25-50, 50-100, 100-250, 250 and over; unknown)
-- tables: dim_product_metrics
-- Bands include their lower bound. conversion_rate = purchases / clicks; cart_conversion =
-- purchases / cart adds (the product metric definitions, summed over the band).
WITH banded AS (
    SELECT
        CASE
            WHEN price IS NULL THEN 6
            WHEN price < 25 THEN 1
            WHEN price < 50 THEN 2
            WHEN price < 100 THEN 3
            WHEN price < 250 THEN 4
            ELSE 5
        END AS band_order,
        clicks,
        cart_adds,
        purchases,
        units_sold,
        revenue
    FROM {{ rel('dim_product_metrics') }}
)
SELECT
    band_order,
    CASE band_order
        WHEN 1 THEN 'under 25' WHEN 2 THEN '25-50' WHEN 3 THEN '50-100'
        WHEN 4 THEN '100-250' WHEN 5 THEN '250 and over' ELSE 'unknown'
    END AS price_band,
    COUNT(*) AS products,
    {{ to_bigint('SUM(clicks)') }} AS clicks,
    {{ to_bigint('SUM(cart_adds)') }} AS cart_adds,
    {{ to_bigint('SUM(purchases)') }} AS purchases,
    {{ safe_div('SUM(cart_adds)', 'SUM(clicks)') }} AS click_to_cart_rate,
    {{ safe_div('SUM(purchases)', 'SUM(clicks)') }} AS conversion_rate,
    {{ safe_div('SUM(purchases)', 'SUM(cart_adds)') }} AS cart_conversion,
    {{ to_bigint('SUM(units_sold)') }} AS units_sold,
    SUM(revenue) AS revenue
FROM banded
GROUP BY band_order
ORDER BY band_order
