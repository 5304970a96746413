-- name: repeat_purchase_rate
-- question: Of the users who bought, how many bought again in another session, by age group?
-- grain: one row per age group (NULL: unknown age group)
-- tables: dim_users
-- A buyer has at least one converted session; a repeat buyer at least two.
-- repeat_purchase_rate = repeat buyers / buyers (NULL without buyers).
SELECT
    age_group,
    COUNT(*) AS users,
    {{ count_if('converted_sessions >= 1') }} AS buyers,
    {{ count_if('converted_sessions >= 2') }} AS repeat_buyers,
    {{ safe_div(count_if('converted_sessions >= 1'), 'COUNT(*)') }} AS buyer_rate,
    {{ safe_div(count_if('converted_sessions >= 2'), count_if('converted_sessions >= 1')) }} AS repeat_purchase_rate,
    {{ safe_div('SUM(CASE WHEN converted_sessions >= 1 THEN converted_sessions END)', count_if('converted_sessions >= 1')) }} AS orders_per_buyer,
    SUM(lifetime_revenue) AS revenue
FROM {{ rel('dim_users') }}
GROUP BY age_group
ORDER BY {{ order_nulls_last('age_group') }}
