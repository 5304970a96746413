-- name: v_hourly_patterns
-- kind: view
-- question: When do sessions start, convert and bring revenue, by hour of day and day of week (a heat map)?
-- grain: one row per day of week (1 = Monday .. 7 = Sunday) and hour of day (0-23) with sessions
-- tables: fact_sessions
-- Hour and weekday are those of the session's start, in UTC.
WITH timed AS (
    SELECT
        {{ weekday('session_date') }} AS day_of_week,
        {{ hour_of('session_start') }} AS hour_of_day,
        converted,
        revenue,
        purchases,
        num_events,
        duration_seconds
    FROM {{ rel('fact_sessions') }}
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
    {{ count_if('converted') }} AS converted_sessions,
    {{ safe_div(count_if('converted'), 'COUNT(*)') }} AS conversion_rate,
    {{ to_bigint('SUM(num_events)') }} AS events,
    {{ to_bigint('SUM(purchases)') }} AS purchases,
    SUM(revenue) AS revenue,
    AVG(duration_seconds) AS avg_session_seconds
FROM timed
GROUP BY day_of_week, hour_of_day
