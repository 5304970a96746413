-- name: payment_methods
-- question: Per payment method, how many payments went through, failed or were refunded, and what share of the money captured does each method take?
-- grain: one row per payment method
-- tables: fact_payments
-- A payment's status is its latest (a refund replaces the capture it reverses).
WITH methods AS (
    SELECT
        method,
        COUNT(*) AS payments,
        {{ count_if("status = 'captured'") }} AS captured,
        {{ count_if("status = 'refunded'") }} AS refunded,
        {{ count_if("status = 'failed'") }} AS failed,
        SUM(CASE WHEN status = 'captured' THEN amount ELSE 0 END) AS captured_amount,
        SUM(CASE WHEN status = 'refunded' THEN amount ELSE 0 END) AS refunded_amount
    FROM {{ rel('fact_payments') }}
    GROUP BY method
),
totals AS (
    SELECT SUM(captured_amount) AS all_captured FROM methods
)
SELECT
    m.method,
    m.payments,
    m.captured,
    m.refunded,
    m.failed,
    m.captured_amount,
    m.refunded_amount,
    {{ pct('m.failed', 'm.payments') }} AS pct_failed,
    {{ pct('m.refunded', 'm.captured + m.refunded') }} AS pct_refunded,
    {{ pct('m.captured_amount', 't.all_captured') }} AS pct_of_captured
FROM methods m
CROSS JOIN totals t
ORDER BY {{ order_keys('m.captured_amount DESC, m.method') }}
