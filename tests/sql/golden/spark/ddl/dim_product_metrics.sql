-- table: dim_product_metrics -- one product, with its funnel metrics
CREATE TABLE `dim_product_metrics` (
    `product_id` STRING COMMENT 'the product\'s id'
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/dim_product_metrics'
COMMENT 'one product, with its funnel metrics';
