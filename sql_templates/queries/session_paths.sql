-- name: session_paths
-- question: Which sequences of the first four event types are the most common journeys, and how well does each convert?
-- grain: one row per path of a session's first four event types, the 15 most frequent (ties by path)
-- tables: fact_events, fact_sessions
-- A path joins the event types of events 1-4 (event_sequence) with ' > '.
WITH paths AS (
    SELECT
        session_id,
        {{ string_agg_ordered('event_type', "' > '", 'event_sequence') }} AS path
    FROM {{ rel('fact_events') }}
    WHERE event_sequence <= 4
    GROUP BY session_id
),
per_path AS (
    SELECT
        p.path,
        COUNT(*) AS sessions,
        {{ count_if('s.converted') }} AS converted_sessions
    FROM paths p
    JOIN {{ rel('fact_sessions') }} s ON s.session_id = p.session_id
    GROUP BY p.path
)
SELECT
    path,
    sessions,
    {{ pct('sessions', 'SUM(sessions) OVER ()') }} AS pct_of_sessions,
    converted_sessions,
    {{ safe_div('converted_sessions', 'sessions') }} AS conversion_rate
FROM per_path
ORDER BY sessions DESC, {{ order_nulls_last('path') }}
LIMIT 15
