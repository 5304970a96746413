-- name: cohort_retention
-- question: Of the users whose first session fell in a given week, what share come back (have a session) 1, 2, 3 ... weeks later?
-- grain: one row per cohort week (Monday start) and weeks since the cohort week, for weeks with activity
-- tables: fact_sessions
-- A user's cohort is the ISO week (Monday to Sunday, UTC) of their first session; sessions
-- without a user are left out. The monthly view is v_cohort_retention.
WITH activity AS (
    SELECT DISTINCT
        user_id,
        {{ date_trunc_to('week', 'session_date') }} AS activity_week
    FROM {{ rel('fact_sessions') }}
    WHERE user_id IS NOT NULL
),
cohorts AS (
    SELECT user_id, MIN(activity_week) AS cohort_week
    FROM activity
    GROUP BY user_id
),
cohort_sizes AS (
    SELECT cohort_week, COUNT(*) AS cohort_users
    FROM cohorts
    GROUP BY cohort_week
),
retained AS (
    SELECT
        c.cohort_week,
        {{ to_int(safe_div(days_between('a.activity_week', 'c.cohort_week'), 7)) }} AS weeks_since_first,
        COUNT(*) AS active_users
    FROM activity a
    JOIN cohorts c ON c.user_id = a.user_id
    GROUP BY c.cohort_week, a.activity_week
)
SELECT
    r.cohort_week,
    r.weeks_since_first,
    z.cohort_users,
    r.active_users,
    {{ pct('r.active_users', 'z.cohort_users') }} AS retention_pct
FROM retained r
JOIN cohort_sizes z ON z.cohort_week = r.cohort_week
ORDER BY r.cohort_week, r.weeks_since_first
