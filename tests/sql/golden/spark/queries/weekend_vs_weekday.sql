-- name: weekend_vs_weekday
-- question: Do weekends bring more sessions, conversion and revenue per day than weekdays?
-- grain: one row per day type (weekday = Monday to Friday, weekend = Saturday and Sunday)
-- tables: fact_sessions
-- Days are session start dates (UTC); per-day figures divide by the days of that type that have
-- sessions.
WITH typed AS (
    SELECT
        CASE WHEN CAST(EXTRACT(DAYOFWEEK_ISO FROM session_date) AS INT) >= 6 THEN 'weekend' ELSE 'weekday' END AS day_type,
        session_date,
        converted,
        purchases,
        revenue,
        duration_seconds
    FROM `fact_sessions`
)
SELECT
    day_type,
    COUNT(DISTINCT session_date) AS days,
    COUNT(*) AS sessions,
    (CAST(COUNT(*) AS DOUBLE) / NULLIF(CAST(COUNT(DISTINCT session_date) AS DOUBLE), 0)) AS sessions_per_day,
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    (CAST(COUNT(CASE WHEN converted THEN 1 END) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0)) AS conversion_rate,
    SUM(revenue) AS revenue,
    ROUND(CAST((CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(COUNT(DISTINCT session_date) AS DOUBLE), 0)) AS DOUBLE), 2) AS revenue_per_day,
    ROUND(CAST((CAST(SUM(revenue) AS DOUBLE) / NULLIF(CAST(SUM(purchases) AS DOUBLE), 0)) AS DOUBLE), 2) AS aov,
    AVG(duration_seconds) AS avg_session_seconds
FROM typed
GROUP BY day_type
ORDER BY day_type
