-- name: category_funnel
-- question: Per product category, how many sessions click a product, add one to the cart and buy one, and where do they drop off?
-- grain: one row per category of the product (NULL: products not in the catalog)
-- tables: fact_events
-- A session counts once per category and step when it has at least one such event for a product
-- of the category.
WITH steps AS (
    SELECT
        category,
        COUNT(DISTINCT CASE WHEN event_type = 'product_click' THEN session_id END) AS click_sessions,
        COUNT(DISTINCT CASE WHEN event_type = 'add_to_cart' THEN session_id END) AS cart_sessions,
        COUNT(DISTINCT CASE WHEN event_type = 'purchase' THEN session_id END) AS purchase_sessions,
        SUM(CASE WHEN event_type = 'purchase' THEN revenue ELSE 0 END) AS revenue
    FROM `fact_events`
    WHERE product_id IS NOT NULL
    GROUP BY category
)
SELECT
    category,
    click_sessions,
    cart_sessions,
    purchase_sessions,
    ROUND(CAST(100 * (CAST(cart_sessions AS DOUBLE) / NULLIF(CAST(click_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_click_to_cart,
    ROUND(CAST(100 * (CAST(purchase_sessions AS DOUBLE) / NULLIF(CAST(cart_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_cart_to_purchase,
    ROUND(CAST(100 * (CAST(purchase_sessions AS DOUBLE) / NULLIF(CAST(click_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_click_to_purchase,
    revenue
FROM steps
ORDER BY click_sessions DESC, category ASC NULLS LAST
