-- table: dim_products -- one product
CREATE TABLE `dim_products` (
    `product_id` STRING COMMENT 'the product\'s id',
    `price` STRING,
    `category` STRING
)
USING PARQUET
LOCATION '/nonexistent-data/warehouse/dim_products'
COMMENT 'one product';
