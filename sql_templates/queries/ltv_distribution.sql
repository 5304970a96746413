-- name: ltv_distribution
-- question: How is lifetime value (LTV) distributed over all users and over buyers: mean and exact percentiles?
-- grain: one row per population (all users; buyers = users with at least one purchase)
-- tables: dim_users
-- Percentiles are exact and continuous (linear interpolation, percentile_cont), rounded to cents.
WITH populations AS (
    SELECT 1 AS population_order, 'all users' AS population, lifetime_revenue
    FROM {{ rel('dim_users') }}
    UNION ALL
    SELECT 2, 'buyers', lifetime_revenue
    FROM {{ rel('dim_users') }}
    WHERE total_purchases > 0
)
SELECT
    population_order,
    population,
    COUNT(*) AS users,
    SUM(lifetime_revenue) AS revenue,
    {{ round_half_up(safe_div('SUM(lifetime_revenue)', 'COUNT(*)'), 2) }} AS mean_ltv,
{%- for p in [10, 25, 50, 75, 90, 99] %}
    {{ round_half_up(percentile('lifetime_revenue', p / 100), 2) }} AS p{{ p }}_ltv,
{%- endfor %}
    MAX(lifetime_revenue) AS max_ltv
FROM populations
GROUP BY population_order, population
ORDER BY population_order
