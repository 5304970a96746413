-- table: dim_products -- one product
CREATE TABLE "public"."dim_products" (
    "product_id" text /* type unknown until the first run */,
    "price" text /* type unknown until the first run */,
    "category" text /* type unknown until the first run */,
    CONSTRAINT "dim_products_pkey" PRIMARY KEY ("product_id")
);
COMMENT ON TABLE "public"."dim_products" IS 'one product';
COMMENT ON COLUMN "public"."dim_products"."product_id" IS 'the product''s id';
