-- name: user_recency
-- question: How recently were users last seen (relative to the warehouse's last day), and how much revenue sits in each recency band?
-- grain: one row per recency band (0-2, 3-6, 7-13, 14-29, 30+ days ago; never seen = no sessions)
-- tables: dim_users, fact_daily_metrics
-- Days ago = the last event date in fact_daily_metrics - the date of dim_users.last_seen (UTC).
WITH last_day AS (
    SELECT MAX(event_date) AS as_of FROM "public"."fact_daily_metrics"
),
aged AS (
    SELECT
        u.user_id,
        u.lifetime_revenue,
        u.total_purchases,
        (CAST(d.as_of AS date) - CAST(CAST(u.last_seen AS date) AS date)) AS days_ago
    FROM "public"."dim_users" u
    CROSS JOIN last_day d
),
banded AS (
    SELECT
        CASE
            WHEN days_ago IS NULL THEN 6
            WHEN days_ago <= 2 THEN 1
            WHEN days_ago <= 6 THEN 2
            WHEN days_ago <= 13 THEN 3
            WHEN days_ago <= 29 THEN 4
            ELSE 5
        END AS band_order,
        days_ago,
        lifetime_revenue,
        total_purchases
    FROM aged
)
SELECT
    band_order,
    CASE band_order
        WHEN 1 THEN '0-2 days' WHEN 2 THEN '3-6 days' WHEN 3 THEN '7-13 days'
        WHEN 4 THEN '14-29 days' WHEN 5 THEN '30 days and over' ELSE 'never seen'
    END AS recency_band,
    COUNT(*) AS users,
    CAST(ROUND(CAST(CAST(CAST(100 * (CAST(COUNT(*) AS double precision) / NULLIF(CAST(SUM(COUNT(*)) OVER () AS double precision), 0)) AS double precision) AS text) AS numeric), 2) AS double precision) AS pct_of_users,
    COUNT(CASE WHEN total_purchases > 0 THEN 1 END) AS buyers,
    SUM(lifetime_revenue) AS revenue,
    (CAST(SUM(days_ago) AS double precision) / NULLIF(CAST(COUNT(days_ago) AS double precision), 0)) AS avg_days_ago
FROM banded
GROUP BY band_order
ORDER BY band_order
