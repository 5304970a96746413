-- name: order_value_percentiles
-- question: How large are revenue orders per channel: the mean, the median and the 90th percentile of net order value, and the median number of items?
-- grain: one row per channel
-- tables: fact_orders
-- Percentiles are exact and interpolated (the percentile macro), rounded half up to cents.
SELECT
    channel,
    COUNT(*) AS orders,
    {{ round_half_up(safe_div('SUM(net_amount)', 'COUNT(*)'), 2) }} AS mean_value,
    {{ round_half_up(percentile('net_amount', 0.5), 2) }} AS median_value,
    {{ round_half_up(percentile('net_amount', 0.9), 2) }} AS p90_value,
    {{ percentile('items', 0.5) }} AS median_items
FROM {{ rel('fact_orders') }}
WHERE is_revenue
GROUP BY channel
ORDER BY {{ order_keys('channel') }}
