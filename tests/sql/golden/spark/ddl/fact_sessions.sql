-- table: fact_sessions -- one session
CREATE TABLE `fact_sessions` (
    `session_id` STRING COMMENT 'the session\'s id',
    `user_id` STRING COMMENT 'whose session',
    `session_date` STRING COMMENT 'the UTC day the session started',
    `num_events` STRING,
    `revenue` STRING
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/fact_sessions'
COMMENT 'one session';
