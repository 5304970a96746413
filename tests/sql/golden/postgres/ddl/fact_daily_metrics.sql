-- table: fact_daily_metrics -- one day
CREATE TABLE "public"."fact_daily_metrics" (
    "event_date" text /* type unknown until the first run */,
    "revenue" text /* type unknown until the first run */,
    "conversion_rate" text /* type unknown until the first run */,
    "cart_abandonment_rate" text /* type unknown until the first run */,
    CONSTRAINT "fact_daily_metrics_pkey" PRIMARY KEY ("event_date")
);
COMMENT ON TABLE "public"."fact_daily_metrics" IS 'one day';
COMMENT ON COLUMN "public"."fact_daily_metrics"."event_date" IS 'the UTC day';
