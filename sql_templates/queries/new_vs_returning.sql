-- name: new_vs_returning
-- question: Per day, how many sessions come from new users (their first session) and from returning users, and how does each group convert and spend?
-- grain: one row per session_date and visitor type (new, returning, unknown = a session without a user)
-- tables: fact_sessions
-- A user's first session is the earliest session_start (ties: the smaller session_id) within the
-- warehouse; every later one is returning.
WITH numbered AS (
    SELECT
        session_date,
        user_id,
        converted,
        revenue,
        ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY session_start, session_id) AS session_number
    FROM {{ rel('fact_sessions') }}
),
typed AS (
    SELECT
        session_date,
        user_id,
        converted,
        revenue,
        CASE
            WHEN user_id IS NULL THEN 'unknown'
            WHEN session_number = 1 THEN 'new'
            ELSE 'returning'
        END AS visitor_type
    FROM numbered
)
SELECT
    session_date,
    visitor_type,
    COUNT(*) AS sessions,
    COUNT(DISTINCT user_id) AS users,
    {{ count_if('converted') }} AS converted_sessions,
    {{ safe_div(count_if('converted'), 'COUNT(*)') }} AS conversion_rate,
    SUM(revenue) AS revenue,
    {{ pct('COUNT(*)', 'SUM(COUNT(*)) OVER (PARTITION BY session_date)') }} AS pct_of_day_sessions
FROM typed
GROUP BY session_date, visitor_type
ORDER BY session_date, visitor_type
