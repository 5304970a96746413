-- name: ltv_distribution
-- question: How is lifetime value (LTV) distributed over all users and over buyers: mean and exact percentiles?
-- grain: one row per population (all users; buyers = users with at least one purchase)
-- tables: dim_users
-- Percentiles are exact and continuous (linear interpolation, percentile_cont), rounded to cents.
WITH populations AS (
    SELECT 1 AS population_order, 'all users' AS population, lifetime_revenue
    FROM "public"."dim_users"
    UNION ALL
    SELECT 2, 'buyers', lifetime_revenue
    FROM "public"."dim_users"
    WHERE total_purchases > 0
)
SELECT
    population_order,
    population,
    COUNT(*) AS users,
    SUM(lifetime_revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(lifetime_revenue) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS mean_ltv,
    CAST(ROUND(CAST(CAST(CAST(PERCENTILE_CONT(0.1) WITHIN GROUP (ORDER BY CAST(lifetime_revenue AS double precision)) AS double precision) AS text) AS numeric), 2) AS double precision) AS p10_ltv,
    CAST(ROUND(CAST(CAST(CAST(PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY CAST(lifetime_revenue AS double precision)) AS double precision) AS text) AS numeric), 2) AS double precision) AS p25_ltv,
    CAST(ROUND(CAST(CAST(CAST(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CAST(lifetime_revenue AS double precision)) AS double precision) AS text) AS numeric), 2) AS double precision) AS p50_ltv,
    CAST(ROUND(CAST(CAST(CAST(PERCENTILE_CONT(0.75) WITHIN GROUP (ORDER BY CAST(lifetime_revenue AS double precision)) AS double precision) AS text) AS numeric), 2) AS double precision) AS p75_ltv,
    CAST(ROUND(CAST(CAST(CAST(PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY CAST(lifetime_revenue AS double precision)) AS double precision) AS text) AS numeric), 2) AS double precision) AS p90_ltv,
    CAST(ROUND(CAST(CAST(CAST(PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY CAST(lifetime_revenue AS double precision)) AS double precision) AS text) AS numeric), 2) AS double precision) AS p99_ltv,
    MAX(lifetime_revenue) AS max_ltv
FROM populations
GROUP BY population_order, population
ORDER BY population_order
