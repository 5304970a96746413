-- name: session_paths
-- question: Which sequences of the first four event types are the most common journeys, and how well does each convert?
-- grain: one row per path of a session's first four event types, the 15 most frequent (ties by path)
-- tables: fact_events, fact_sessions
-- A path joins the event types of events 1-4 (event_sequence) with ' > '.
WITH paths AS (
    SELECT
        session_id,
        STRING_AGG(CAST(event_type AS text), ' > ' ORDER BY event_sequence NULLS LAST) AS path
    FROM "public"."fact_events"
    WHERE event_sequence <= 4
    GROUP BY session_id
),
per_path AS (
    SELECT
        p.path,
        COUNT(*) AS sessions,
        COUNT(CASE WHEN s.converted THEN 1 END) AS converted_sessions
    FROM paths p
    JOIN "public"."fact_sessions" s ON s.session_id = p.session_id
    GROUP BY p.path
)
SELECT
    path,
    sessions,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(sessions AS double precision) / NULLIF(CAST(SUM(sessions) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_sessions,
    converted_sessions,
    (CAST(converted_sessions AS double precision) / NULLIF(CAST(sessions AS double precision), 0)) AS conversion_rate
FROM per_path
ORDER BY sessions DESC, path ASC NULLS LAST
LIMIT 15
