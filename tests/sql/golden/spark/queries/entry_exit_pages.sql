-- name: entry_exit_pages
-- question: On which pages do sessions most often start and end, and how well do the sessions starting or ending there convert?
-- grain: one row per role (entry, exit) and page, the 10 pages with the most sessions per role (ties by page)
-- tables: fact_sessions
-- Entry page = page of the session's first event, exit page = page of its last event
-- (fact_sessions.entry_page / exit_page). A NULL page is its own row.
WITH pages AS (
    SELECT 'entry' AS page_role, entry_page AS page_url, converted FROM `fact_sessions`
    UNION ALL
    SELECT 'exit', exit_page, converted FROM `fact_sessions`
),
per_page AS (
    SELECT
        page_role,
        page_url,
        COUNT(*) AS sessions,
        COUNT(CASE WHEN converted THEN 1 END) AS converted_sessions
    FROM pages
    GROUP BY page_role, page_url
),
ranked AS (
    SELECT
        page_role,
        page_url,
        sessions,
        converted_sessions,
        SUM(sessions) OVER (PARTITION BY page_role) AS role_sessions,
        ROW_NUMBER() OVER (PARTITION BY page_role ORDER BY sessions DESC, page_url ASC NULLS LAST) AS page_rank
    FROM per_page
)
SELECT
    page_role,
    page_rank,
    page_url,
    sessions,
    ROUND(CAST(100 * (CAST(sessions AS DOUBLE) / NULLIF(CAST(role_sessions AS DOUBLE), 0)) AS DOUBLE), 2) AS pct_of_sessions,
    converted_sessions,
    (CAST(converted_sessions AS DOUBLE) / NULLIF(CAST(sessions AS DOUBLE), 0)) AS conversion_rate
FROM ranked
WHERE page_rank <= 10
ORDER BY page_role, page_rank
