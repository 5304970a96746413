-- table: fact_events -- one event
CREATE TABLE "public"."fact_events" (
    "event_id" text /* type unknown until the first run */,
    "session_id" text /* type unknown until the first run */,
    "user_id" text /* type unknown until the first run */,
    "event_type" text /* type unknown until the first run */,
    "product_id" text /* type unknown until the first run */,
    "event_date" text /* type unknown until the first run */,
    "revenue" text /* type unknown until the first run */,
    "quantity" text /* type unknown until the first run */,
    CONSTRAINT "fact_events_pkey" PRIMARY KEY ("event_id")
);
ALTER TABLE "public"."fact_events" ADD CONSTRAINT "fact_events_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "public"."fact_sessions" ("session_id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "public"."fact_events" ADD CONSTRAINT "fact_events_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."dim_users" ("user_id") DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "public"."fact_events" ADD CONSTRAINT "fact_events_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "public"."dim_products" ("product_id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "fact_events_session_id_idx" ON "public"."fact_events" ("session_id");
CREATE INDEX "fact_events_user_id_idx" ON "public"."fact_events" ("user_id");
CREATE INDEX "fact_events_product_id_idx" ON "public"."fact_events" ("product_id");
CREATE INDEX "fact_events_event_date_idx" ON "public"."fact_events" ("event_date");
COMMENT ON TABLE "public"."fact_events" IS 'one event';
COMMENT ON COLUMN "public"."fact_events"."event_id" IS 'the event''s id';
COMMENT ON COLUMN "public"."fact_events"."session_id" IS 'the session it belongs to';
COMMENT ON COLUMN "public"."fact_events"."user_id" IS 'who';
COMMENT ON COLUMN "public"."fact_events"."product_id" IS 'the product viewed, added or bought; null for a page view';
COMMENT ON COLUMN "public"."fact_events"."event_date" IS 'the event''s UTC day';
