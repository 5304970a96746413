-- name: session_duration_buckets
-- question: How long do sessions last, and do longer sessions convert better?
-- grain: one row per duration bucket with sessions (under 30 s, 30 s-2 min, 2-5 min, 5-15 min, 15-30 min, 30 min and over)
-- tables: fact_sessions
-- Duration = last event time - first event time (a one-event session lasts 0 s). Lower bounds
-- are included.
WITH bucketed AS (
    SELECT
        CASE
            WHEN duration_seconds IS NULL THEN 7
            WHEN duration_seconds < 30 THEN 1
            WHEN duration_seconds < 120 THEN 2
            WHEN duration_seconds < 300 THEN 3
            WHEN duration_seconds < 900 THEN 4
            WHEN duration_seconds < 1800 THEN 5
            ELSE 6
        END AS bucket_order,
        duration_seconds,
        num_events,
        converted,
        revenue
    FROM {{ rel('fact_sessions') }}
)
SELECT
    bucket_order,
    CASE bucket_order
        WHEN 1 THEN 'under 30 s' WHEN 2 THEN '30 s - 2 min' WHEN 3 THEN '2 - 5 min'
        WHEN 4 THEN '5 - 15 min' WHEN 5 THEN '15 - 30 min' WHEN 6 THEN '30 min and over'
        ELSE 'unknown'
    END AS duration_bucket,
    COUNT(*) AS sessions,
    {{ pct('COUNT(*)', 'SUM(COUNT(*)) OVER ()') }} AS pct_of_sessions,
    {{ safe_div('SUM(num_events)', 'COUNT(*)') }} AS events_per_session,
    {{ count_if('converted') }} AS converted_sessions,
    {{ safe_div(count_if('converted'), 'COUNT(*)') }} AS conversion_rate,
    SUM(revenue) AS revenue
FROM bucketed
GROUP BY bucket_order
ORDER BY bucket_order
