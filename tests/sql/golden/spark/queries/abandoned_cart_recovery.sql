-- name: abandoned_cart_recovery
-- question: After a session abandons its cart, how often does the same user come back and buy within 7 days, by the device of the abandoning session?
-- grain: one row per device of the abandoning session (NULL: unknown device)
-- tables: fact_sessions, fact_events
-- Recovered = the same user has a converted session starting after the abandoned one started and
-- at most 7 days (604800 s) later. Cart value = price x quantity of the session's add_to_cart
-- events. Sessions without a user cannot be recovered.
WITH abandoned AS (
    SELECT session_id, user_id, device, session_start
    FROM `fact_sessions`
    WHERE abandoned_cart
),
cart_values AS (
    SELECT e.session_id, SUM(COALESCE(e.price * e.quantity, 0)) AS cart_value
    FROM `fact_events` e
    JOIN abandoned a ON a.session_id = e.session_id
    WHERE e.event_type = 'add_to_cart'
    GROUP BY e.session_id
),
recovered AS (
    SELECT DISTINCT a.session_id
    FROM abandoned a
    JOIN `fact_sessions` s
      ON s.user_id = a.user_id
     AND s.converted
     AND s.session_start > a.session_start
     AND (CAST(UNIX_MICROS(CAST(s.session_start AS TIMESTAMP)) - UNIX_MICROS(CAST(a.session_start AS TIMESTAMP)) AS DOUBLE) / 1000000) <= 604800
)
SELECT
    a.device,
    COUNT(*) AS abandoned_sessions,
    COUNT(r.session_id) AS recovered_sessions,
    (CAST(COUNT(r.session_id) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS recovery_rate,
    SUM(v.cart_value) AS abandoned_cart_value,
    SUM(CASE WHEN r.session_id IS NOT NULL THEN v.cart_value ELSE 0 END) AS recovered_cart_value
FROM abandoned a
LEFT JOIN recovered r ON r.session_id = a.session_id
LEFT JOIN cart_values v ON v.session_id = a.session_id
GROUP BY a.device
ORDER BY abandoned_sessions DESC, a.device ASC NULLS LAST
