-- name: v_cohort_retention
-- kind: view
-- question: Of the users whose first session fell in a month, how many come back (have a session) in each later month?
-- grain: one row per cohort month and months since the cohort month (only months with activity)
-- tables: fact_sessions, dim_date
-- A user's cohort is the month of their first session; sessions without a user are left out.
-- Month numbers come from dim_date (year * 12 + month), so no date arithmetic differs by engine.
WITH activity AS (
    SELECT DISTINCT
        s.user_id,
        d.year * 12 + d.month AS month_index,
        CAST(DATE_TRUNC('month', s.session_date) AS DATE) AS activity_month
    FROM `fact_sessions` s
    JOIN `dim_date` d ON d.date = s.session_date
    WHERE s.user_id IS NOT NULL
),
cohorts AS (
    SELECT user_id, MIN(month_index) AS cohort_index, MIN(activity_month) AS cohort_month
    FROM activity
    GROUP BY user_id
),
cohort_sizes AS (
    SELECT cohort_month, COUNT(*) AS cohort_users
    FROM cohorts
    GROUP BY cohort_month
),
retained AS (
    SELECT
        c.cohort_month,
        a.month_index - c.cohort_index AS months_since_first,
        a.activity_month,
        COUNT(*) AS active_users
    FROM activity a
    JOIN cohorts c ON c.user_id = a.user_id
    GROUP BY c.cohort_month, a.month_index - c.cohort_index, a.activity_month
)
SELECT
    r.cohort_month,
    r.months_since_first,
    r.activity_month,
    z.cohort_users,
    r.active_users,
    (CAST(r.active_users AS DOUBLE) / NULLIF(CAST(z.cohort_users AS DOUBLE), 0)) AS retention_rate
FROM retained r
JOIN cohort_sizes z ON z.cohort_month = r.cohort_month
