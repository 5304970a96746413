-- name: weekend_vs_weekday
-- question: Do weekends bring more sessions, conversion and revenue per day than weekdays?
-- grain: one row per day type (weekday = Monday to Friday, weekend = Saturday and Sunday)
-- tables: fact_sessions
-- Days are session start dates (UTC); per-day figures divide by the days of that type that have
-- sessions.
WITH typed AS (
    SELECT
        CASE WHEN {{ weekday('session_date') }} >= 6 THEN 'weekend' ELSE 'weekday' END AS day_type,
        session_date,
        converted,
        purchases,
        revenue,
        duration_seconds
    FROM {{ rel('fact_sessions') }}
)
SELECT
    day_type,
    COUNT(DISTINCT session_date) AS days,
    COUNT(*) AS sessions,
    {{ safe_div('COUNT(*)', 'COUNT(DISTINCT session_date)') }} AS sessions_per_day,
    {{ count_if('converted') }} AS converted_sessions,
    {{ safe_div(count_if('converted'), 'COUNT(*)') }} AS conversion_rate,
    SUM(revenue) AS revenue,
    {{ round_half_up(safe_div('SUM(revenue)', 'COUNT(DISTINCT session_date)'), 2) }} AS revenue_per_day,
    {{ round_half_up(safe_div('SUM(revenue)', 'SUM(purchases)'), 2) }} AS aov,
    AVG(duration_seconds) AS avg_session_seconds
FROM typed
GROUP BY day_type
ORDER BY day_type
