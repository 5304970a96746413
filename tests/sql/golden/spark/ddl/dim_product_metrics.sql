-- table: dim_product_metrics -- one product, with its funnel metrics
CREATE TABLE `dim_product_metrics` (
    `product_id` STRING COMMENT 'the product\'s id',
    `revenue` STRING,
    `conversion_rate` STRING,
    `cart_conversion` STRING
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/dim_product_metrics'
COMMENT 'one product, with its funnel metrics';
