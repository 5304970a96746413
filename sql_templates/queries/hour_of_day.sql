-- name: hour_of_day
-- question: At which hours of the day (UTC) do sessions start and events, purchases and revenue happen?
-- grain: one row per hour of day (0-23) with sessions or events
-- tables: fact_sessions, fact_events
-- Session columns count sessions by the hour they started; event columns count events by the
-- hour they happened (a session running past the hour adds events to the next one).
WITH session_hours AS (
    SELECT
        {{ hour_of('session_start') }} AS hour_of_day,
        COUNT(*) AS sessions,
        {{ count_if('converted') }} AS converted_sessions
    FROM {{ rel('fact_sessions') }}
    GROUP BY {{ hour_of('session_start') }}
),
event_hours AS (
    SELECT
        {{ hour_of('event_ts') }} AS hour_of_day,
        COUNT(*) AS events,
        {{ count_if("event_type = 'purchase'") }} AS purchases,
        SUM(revenue) AS revenue
    FROM {{ rel('fact_events') }}
    GROUP BY {{ hour_of('event_ts') }}
)
SELECT
    COALESCE(s.hour_of_day, e.hour_of_day) AS hour_of_day,
    COALESCE(s.sessions, 0) AS sessions,
    {{ pct('COALESCE(s.sessions, 0)', 'SUM(COALESCE(s.sessions, 0)) OVER ()') }} AS pct_of_sessions,
    {{ safe_div('s.converted_sessions', 's.sessions') }} AS conversion_rate,
    COALESCE(e.events, 0) AS events,
    COALESCE(e.purchases, 0) AS purchases,
    COALESCE(e.revenue, 0) AS revenue
FROM session_hours s
FULL OUTER JOIN event_hours e ON e.hour_of_day = s.hour_of_day
ORDER BY COALESCE(s.hour_of_day, e.hour_of_day)
