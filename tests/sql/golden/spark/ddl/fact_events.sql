-- table: fact_events -- one event
CREATE TABLE `fact_events` (
    `event_id` STRING COMMENT 'the event\'s id',
    `session_id` STRING COMMENT 'the session it belongs to',
    `user_id` STRING COMMENT 'who',
    `event_type` STRING,
    `product_id` STRING COMMENT 'the product viewed, added or bought; null for a page view',
    `event_date` STRING COMMENT 'the event\'s UTC day',
    `revenue` STRING,
    `quantity` STRING
)
USING PARQUET
PARTITIONED BY (`event_date`)
LOCATION '/nonexistent-data/warehouse/fact_events'
COMMENT 'one event';
