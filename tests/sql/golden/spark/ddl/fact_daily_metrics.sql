-- table: fact_daily_metrics -- one day
CREATE TABLE `fact_daily_metrics` (
    `event_date` STRING COMMENT 'the UTC day'
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/fact_daily_metrics'
COMMENT 'one day';
