-- table: fact_daily_metrics -- one day
CREATE TABLE `fact_daily_metrics` (
    `event_date` STRING COMMENT 'the UTC day',
    `revenue` STRING,
    `conversion_rate` STRING,
    `cart_abandonment_rate` STRING
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/fact_daily_metrics'
COMMENT 'one day';
