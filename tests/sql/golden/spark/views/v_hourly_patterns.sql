-- name: v_hourly_patterns
-- kind: view
-- question: When do sessions start, convert and bring revenue, by hour of day and day of week (a heat map)?
-- grain: one row per day of week (1 = Monday .. 7 = Sunday) and hour of day (0-23) with sessions
-- tables: fact_sessions
-- Hour and weekday are those of the session's start, in UTC.
WITH timed AS (
    SELECT
        CAST(EXTRACT(DAYOFWEEK_ISO FROM session_date) AS INT) AS day_of_week,
        CAST(EXTRACT(HOUR FROM session_start) AS INT) AS hour_of_day,
        converted,
        revenue,
        purchases,
        num_events,
        duration_seconds
    FROM `fact_sessions`
)
SELECT
    day_of_week,
    CASE day_of_week
        WHEN 1 THEN 'Monday' WHEN 2 THEN 'Tuesday' WHEN 3 THEN 'Wednesday' WHEN 4 THEN 'Thursday'
        WHEN 5 THEN 'Friday' WHEN 6 THEN 'Saturday' ELSE 'Sunday'
    END AS day_name,
    day_of_week >= 6 AS is_weekend,
    hour_of_day,
    COUNT(*) AS sessions,
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    (CAST(COUNT(CASE WHEN converted THEN 1 END) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS conversion_rate,
    CAST(SUM(num_events) AS BIGINT) AS events,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    SUM(revenue) AS revenue,
    AVG(duration_seconds) AS avg_session_seconds
FROM timed
GROUP BY day_of_week, hour_of_day
