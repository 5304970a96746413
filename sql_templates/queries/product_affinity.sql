-- name: product_affinity
-- question: Which products are looked at together in the same session (market basket), and how strong is each association (support, confidence, lift)?
-- grain: one row per ordered product pair (antecedent, consequent) seen together in at least 2 sessions
-- tables: fact_events, dim_products
-- A session's basket is the set of products it has any event for (click, cart, purchase);
-- sessions without a product event are not baskets. support = baskets with both / baskets;
-- confidence = baskets with both / baskets with the antecedent; lift = confidence / (baskets with
-- the consequent / baskets), computed as one division of whole numbers.
{%- set min_pair_sessions = 2 %}
WITH baskets AS (
    SELECT DISTINCT session_id, product_id
    FROM {{ rel('fact_events') }}
    WHERE product_id IS NOT NULL
),
basket_count AS (
    SELECT COUNT(DISTINCT session_id) AS baskets
    FROM baskets
),
product_baskets AS (
    SELECT product_id, COUNT(*) AS baskets
    FROM baskets
    GROUP BY product_id
),
pairs AS (
    SELECT a.product_id AS antecedent_id, b.product_id AS consequent_id, COUNT(*) AS pair_baskets
    FROM baskets a
    JOIN baskets b ON b.session_id = a.session_id AND b.product_id <> a.product_id
    GROUP BY a.product_id, b.product_id
    HAVING COUNT(*) >= {{ min_pair_sessions }}
)
SELECT
    p.antecedent_id,
    pa.product_name AS antecedent_name,
    p.consequent_id,
    pc.product_name AS consequent_name,
    p.pair_baskets,
    sa.baskets AS antecedent_baskets,
    sc.baskets AS consequent_baskets,
    n.baskets AS total_baskets,
    {{ safe_div('p.pair_baskets', 'n.baskets') }} AS support,
    {{ safe_div('p.pair_baskets', 'sa.baskets') }} AS confidence,
    {{ safe_div('p.pair_baskets * n.baskets', 'sa.baskets * sc.baskets') }} AS lift
FROM pairs p
CROSS JOIN basket_count n
JOIN product_baskets sa ON sa.product_id = p.antecedent_id
JOIN product_baskets sc ON sc.product_id = p.consequent_id
LEFT JOIN {{ rel('dim_products') }} pa ON pa.product_id = p.antecedent_id
LEFT JOIN {{ rel('dim_products') }} pc ON pc.product_id = p.consequent_id
ORDER BY lift DESC, pair_baskets DESC, antecedent_id, consequent_id
