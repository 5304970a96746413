-- name: weekend_vs_weekday
-- question: Do weekends bring more sessions, conversion and revenue per day than weekdays?
-- grain: one row per day type (weekday = Monday to Friday, weekend = Saturday and Sunday)
-- tables: fact_sessions
-- Days are session start dates (UTC); per-day figures divide by the days of that type that have
-- sessions.
WITH typed AS (
    SELECT
        CASE WHEN CAST(EXTRACT(ISODOW FROM session_date) AS integer) >= 6 THEN 'weekend' ELSE 'weekday' END AS day_type,
        session_date,
        converted,
        purchases,
        revenue,
        duration_seconds
    FROM "public"."fact_sessions"
)
SELECT
    day_type,
    COUNT(DISTINCT session_date) AS days,
    COUNT(*) AS sessions,
    (CAST(COUNT(*) AS double precision) / NULLIF(CAST(COUNT(DISTINCT session_date) AS double precision), 0)) AS sessions_per_day,
    COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions,
    (CAST(COUNT(CASE WHEN converted THEN 1 END) AS double precision) / NULLIF(CAST(COUNT(*) AS double precision), 0)) AS conversion_rate,
    SUM(revenue) AS revenue,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(COUNT(DISTINCT session_date) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS revenue_per_day,
    CAST(ROUND(CAST(CAST(CAST((CAST(SUM(revenue) AS double precision) / NULLIF(CAST(SUM(purchases) AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS aov,
    AVG(duration_seconds) AS avg_session_seconds
FROM typed
GROUP BY day_type
ORDER BY day_type
