-- table: dim_date -- one calendar day
CREATE TABLE `dim_date` (
    `date_key` STRING COMMENT 'the day as yyyymmdd',
    `date` STRING COMMENT 'the day',
    `day_of_week` STRING,
    `month` STRING
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/dim_date'
COMMENT 'one calendar day';
