-- name: cart_abandonment_by_category
-- question: For each product category, how many sessions added it to the cart, how many of those sessions left without buying anything, and how much revenue did the abandoned carts hold?
-- grain: one row per category of the product added to the cart (NULL: products not in the catalog)
-- tables: fact_events, fact_sessions
-- An abandoned session has an add_to_cart and no purchase (fact_sessions.abandoned_cart). Lost
-- revenue = price x quantity of the abandoned sessions' add_to_cart events (no price counts 0).
WITH cart_events AS (
    SELECT
        e.category,
        e.session_id,
        s.abandoned_cart,
        COALESCE(e.price * e.quantity, 0) AS cart_value
    FROM "public"."fact_events" e
    JOIN "public"."fact_sessions" s ON s.session_id = e.session_id
    WHERE e.event_type = 'add_to_cart'
),
per_category AS (
    SELECT
        category,
        COUNT(*) AS cart_adds,
        COUNT(DISTINCT session_id) AS cart_sessions,
        COUNT(DISTINCT CASE WHEN abandoned_cart THEN session_id END) AS abandoned_sessions,
        SUM(cart_value) AS cart_value,
        SUM(CASE WHEN abandoned_cart THEN cart_value ELSE 0 END) AS lost_revenue
    FROM cart_events
    GROUP BY category
)
SELECT
    category,
    cart_adds,
    cart_sessions,
    abandoned_sessions,
    (CAST(abandoned_sessions AS double precision) / NULLIF(CAST(cart_sessions AS double precision), 0)) AS abandonment_rate,
    cart_value,
    lost_revenue,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(lost_revenue AS double precision) / NULLIF(CAST(SUM(lost_revenue) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_lost_revenue
FROM per_category
ORDER BY lost_revenue DESC, category ASC NULLS LAST
