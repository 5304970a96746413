-- name: time_to_first_purchase
-- question: How long after their first session do buyers make their first purchase, and in which session?
-- grain: one row per time bucket (in the first session; under 1 day; 1-7 days; 7 days and over)
-- tables: fact_sessions, fact_events
-- Time = first purchase event - start of the user's first session; users without a user_id or
-- without a purchase are left out. A purchase in the first session is its own bucket, however long.
WITH numbered AS (
    SELECT
        user_id,
        session_start,
        purchases,
        ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY session_start, session_id) AS session_number
    FROM {{ rel('fact_sessions') }}
    WHERE user_id IS NOT NULL
),
per_user AS (
    SELECT
        user_id,
        MIN(session_start) AS first_session_start,
        MIN(CASE WHEN purchases > 0 THEN session_number END) AS purchase_session_number
    FROM numbered
    GROUP BY user_id
),
first_purchase AS (
    SELECT user_id, MIN(event_ts) AS first_purchase_ts
    FROM {{ rel('fact_events') }}
    WHERE event_type = 'purchase' AND user_id IS NOT NULL
    GROUP BY user_id
),
timed AS (
    SELECT
        u.purchase_session_number,
        {{ seconds_between('f.first_purchase_ts', 'u.first_session_start') }} / 3600 AS hours_to_purchase
    FROM per_user u
    JOIN first_purchase f ON f.user_id = u.user_id
),
bucketed AS (
    SELECT
        CASE
            WHEN purchase_session_number = 1 THEN 1
            WHEN hours_to_purchase < 24 THEN 2
            WHEN hours_to_purchase < 168 THEN 3
            ELSE 4
        END AS bucket_order,
        purchase_session_number,
        hours_to_purchase
    FROM timed
)
SELECT
    bucket_order,
    CASE bucket_order
        WHEN 1 THEN 'in the first session' WHEN 2 THEN 'under 1 day'
        WHEN 3 THEN '1 - 7 days' ELSE '7 days and over'
    END AS time_bucket,
    COUNT(*) AS buyers,
    {{ pct('COUNT(*)', 'SUM(COUNT(*)) OVER ()') }} AS pct_of_buyers,
    {{ safe_div('SUM(purchase_session_number)', 'COUNT(*)') }} AS avg_purchase_session_number,
    AVG(hours_to_purchase) AS avg_hours,
    {{ percentile('hours_to_purchase', 0.5) }} AS median_hours
FROM bucketed
GROUP BY bucket_order
ORDER BY bucket_order
