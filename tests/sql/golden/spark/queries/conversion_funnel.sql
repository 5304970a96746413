-- name: conversion_funnel
-- question: How many sessions reach each funnel step (page view, product click, add to cart, purchase), and what share of all sessions and of the previous step is that?
-- grain: one row per funnel step
-- tables: fact_sessions
-- A session reaches a step when it has at least one event of the step's type.
WITH totals AS (
    SELECT
        COUNT(*) AS total_sessions,
        COUNT(CASE WHEN page_views > 0 THEN 1 END) AS step_1,
        COUNT(CASE WHEN product_clicks > 0 THEN 1 END) AS step_2,
        COUNT(CASE WHEN cart_adds > 0 THEN 1 END) AS step_3,
        COUNT(CASE WHEN purchases > 0 THEN 1 END) AS step_4
    FROM `fact_sessions`
),
steps AS (
    SELECT 1 AS step_number, 'page_view' AS step_name, step_1 AS sessions,
           total_sessions AS previous_sessions, total_sessions
    FROM totals
    UNION ALL
    SELECT 2, 'product_click', step_2, step_1, total_sessions FROM totals
    UNION ALL
    SELECT 3, 'add_to_cart', step_3, step_2, total_sessions FROM totals
    UNION ALL
    SELECT 4, 'purchase', step_4, step_3, total_sessions FROM totals
)
SELECT
    step_number,
    step_name,
    sessions,
    previous_sessions - sessions AS dropped_sessions,
    ROUND(CAST(100 * (CAST(sessions AS DOUBLE) / NULLIF(CAST(total_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_sessions,
    ROUND(CAST(100 * (CAST(sessions AS DOUBLE) / NULLIF(CAST(previous_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_previous_step
FROM steps
ORDER BY step_number
