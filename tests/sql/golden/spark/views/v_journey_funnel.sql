-- name: v_journey_funnel
-- kind: view
-- question: Per day, how many sessions reach each step of the journey (page view, product click, add to cart, purchase), and what share of the day's sessions and of the previous step is that?
-- grain: one row per session_date and funnel step
-- tables: fact_sessions
-- A session reaches a step when it has at least one event of the step's type; a session belongs
-- to the day it started (session_date).
WITH per_day AS (
    SELECT
        session_date,
        COUNT(*) AS total_sessions,
        COUNT(CASE WHEN page_views > 0 THEN 1 END) AS step_1,
        COUNT(CASE WHEN product_clicks > 0 THEN 1 END) AS step_2,
        COUNT(CASE WHEN cart_adds > 0 THEN 1 END) AS step_3,
        COUNT(CASE WHEN purchases > 0 THEN 1 END) AS step_4
    FROM `fact_sessions`
    GROUP BY session_date
),
steps AS (
    SELECT session_date, 1 AS step_number, 'page_view' AS step_name,
           step_1 AS sessions, total_sessions AS previous_sessions, total_sessions
    FROM per_day
    UNION ALL
    SELECT session_date, 2, 'product_click', step_2, step_1, total_sessions FROM per_day
    UNION ALL
    SELECT session_date, 3, 'add_to_cart', step_3, step_2, total_sessions FROM per_day
    UNION ALL
    SELECT session_date, 4, 'purchase', step_4, step_3, total_sessions FROM per_day
)
SELECT
    session_date,
    step_number,
    step_name,
    sessions,
    total_sessions,
    previous_sessions - sessions AS dropped_sessions,
    ROUND(CAST(100 * (CAST(sessions AS DOUBLE) / NULLIF(CAST(total_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_sessions,
    ROUND(CAST(100 * (CAST(sessions AS DOUBLE) / NULLIF(CAST(previous_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_previous_step
FROM steps
