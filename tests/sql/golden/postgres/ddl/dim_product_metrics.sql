-- table: dim_product_metrics -- one product, with its funnel metrics
CREATE TABLE "public"."dim_product_metrics" (
    "product_id" text /* type unknown until the first run */,
    "revenue" text /* type unknown until the first run */,
    "conversion_rate" text /* type unknown until the first run */,
    "cart_conversion" text /* type unknown until the first run */,
    CONSTRAINT "dim_product_metrics_pkey" PRIMARY KEY ("product_id")
);
ALTER TABLE "public"."dim_product_metrics" ADD CONSTRAINT "dim_product_metrics_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "public"."dim_products" ("product_id") DEFERRABLE INITIALLY DEFERRED;
COMMENT ON TABLE "public"."dim_product_metrics" IS 'one product, with its funnel metrics';
COMMENT ON COLUMN "public"."dim_product_metrics"."product_id" IS 'the product''s id';
