-- table: dim_users -- one user
CREATE TABLE `dim_users` (
    `user_id` STRING COMMENT 'the user\'s id',
    `segment` STRING,
    `lifetime_revenue` STRING
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/dim_users'
COMMENT 'one user';
