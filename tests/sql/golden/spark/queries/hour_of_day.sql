-- name: hour_of_day
-- question: At which hours of the day (UTC) do sessions start and events, purchases and revenue happen?
-- grain: one row per hour of day (0-23) with sessions or events
-- tables: fact_sessions, fact_events
-- Session columns count sessions by the hour they started; event columns count events by the
-- hour they happened (a session running past the hour adds events to the next one).
WITH session_hours AS (
    SELECT
        CAST(EXTRACT(HOUR FROM session_start) AS INT) AS hour_of_day,
        COUNT(*) AS sessions,
        COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions
    FROM `fact_sessions`
    GROUP BY CAST(EXTRACT(HOUR FROM session_start) AS INT)
),
event_hours AS (
    SELECT
        CAST(EXTRACT(HOUR FROM event_ts) AS INT) AS hour_of_day,
        COUNT(*) AS events,
        COUNT(CASE WHEN event_type = 'purchase' THEN 1 END) AS purchases,
        SUM(revenue) AS revenue
    FROM `fact_events`
    GROUP BY CAST(EXTRACT(HOUR FROM event_ts) AS INT)
)
SELECT
    COALESCE(s.hour_of_day, e.hour_of_day) AS hour_of_day,
    COALESCE(s.sessions, 0) AS sessions,
    ROUND(CAST(100 * (CAST(COALESCE(s.sessions, 0) AS DOUBLE) / NULLIF(CAST(SUM(COALESCE(s.sessions, 0)) OVER () AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_sessions,
    (CAST(s.converted_sessions AS DOUBLE) / NULLIF(CAST(s.sessions AS DOUBLE), 0)) AS conversion_rate,
    COALESCE(e.events, 0) AS events,
    COALESCE(e.purchases, 0) AS purchases,
    COALESCE(e.revenue, 0) AS revenue
FROM session_hours s
FULL OUTER JOIN event_hours e ON e.hour_of_day = s.hour_of_day
ORDER BY COALESCE(s.hour_of_day, e.hour_of_day)
