-- name: day_of_week
-- question: Which days of the week bring the most sessions, conversion and revenue per day?
-- grain: one row per day of week with sessions (1 = Monday .. 7 = Sunday)
-- tables: fact_sessions
-- Days are session start dates (UTC); per-day figures divide by the dates of that weekday that
-- have sessions.
WITH dated AS (
    SELECT
        CAST(EXTRACT(DAYOFWEEK_ISO FROM session_date) AS INT) AS day_of_week,
        session_date,
        converted,
        revenue
    FROM `fact_sessions`
)
SELECT
    day_of_week,
    CASE day_of_week
        WHEN 1 THEN 'Monday' WHEN 2 THEN 'Tuesday' WHEN 3 THEN 'Wednesday' WHEN 4 THEN 'Thursday'
        WHEN 5 THEN 'Friday' WHEN 6 THEN 'Saturday' ELSE 'Sunday'
    END AS day_name,
    COUNT(DISTINCT session_date) AS days,
    COUNT(*) AS sessions,
    (CAST(COUNT(*) AS DOUBLE) / NULLIF(CAST(COUNT(DISTINCT session_date) AS DOUBLE), 0)) AS sessions_per_day,
    (CAST(COUNT(CASE WHEN converted THEN 1 END) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS conversion_rate,
    SUM(revenue) AS revenue,
    ROUND(CAST((CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(COUNT(DISTINCT session_date) AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_per_day
FROM dated
GROUP BY day_of_week
ORDER BY day_of_week
