-- name: v_cart_abandonment
-- kind: view
-- question: Per day and product category, how many sessions put something in the cart, how many of them left without buying, and how much revenue did those abandoned carts hold?
-- grain: one row per session_date and category of the product added to the cart
-- tables: fact_events, fact_sessions
-- An abandoned session has an add_to_cart and no purchase (fact_sessions.abandoned_cart). Lost
-- revenue = price x quantity of the add_to_cart events of abandoned sessions (a product without a
-- price counts 0, as its revenue does). A session adding from two categories counts in both.
WITH cart_events AS (
    SELECT
        s.session_date,
        e.category,
        e.session_id,
        s.abandoned_cart,
        COALESCE(e.price * e.quantity, 0) AS cart_value,
        e.quantity
    FROM `fact_events` e
    JOIN `fact_sessions` s ON s.session_id = e.session_id
    WHERE e.event_type = 'add_to_cart'
)
SELECT
    session_date,
    category,
    COUNT(*) AS cart_adds,
    CAST(SUM(quantity) AS BIGINT) AS cart_units,
    SUM(cart_value) AS cart_value,
    COUNT(DISTINCT session_id) AS cart_sessions,
    COUNT(DISTINCT CASE WHEN abandoned_cart THEN session_id END) AS abandoned_sessions,
    (CAST(COUNT(DISTINCT CASE WHEN abandoned_cart THEN session_id END) AS DOUBLE) / NULLIF(CAST(COUNT(DISTINCT session_id) AS DOUBLE), 0)) AS abandonment_rate,
    SUM(CASE WHEN abandoned_cart THEN cart_value ELSE 0 END) AS lost_revenue
FROM cart_events
GROUP BY session_date, category
