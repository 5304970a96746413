-- table: dim_date -- one calendar day
CREATE TABLE "public"."dim_date" (
    "date_key" text /* type unknown until the first run */,
    "date" text /* type unknown until the first run */,
    "day_of_week" text /* type unknown until the first run */,
    "month" text /* type unknown until the first run */,
    CONSTRAINT "dim_date_pkey" PRIMARY KEY ("date_key")
);
COMMENT ON TABLE "public"."dim_date" IS 'one calendar day';
COMMENT ON COLUMN "public"."dim_date"."date_key" IS 'the day as yyyymmdd';
COMMENT ON COLUMN "public"."dim_date"."date" IS 'the day';
