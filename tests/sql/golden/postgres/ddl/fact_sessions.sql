-- table: fact_sessions -- one session
CREATE TABLE "public"."fact_sessions" (
    "session_id" text /* type unknown until the first run */,
    "user_id" text /* type unknown until the first run */,
    "session_date" text /* type unknown until the first run */,
    "num_events" text /* type unknown until the first run */,
    "revenue" text /* type unknown until the first run */,
    CONSTRAINT "fact_sessions_pkey" PRIMARY KEY ("session_id")
);
ALTER TABLE "public"."fact_sessions" ADD CONSTRAINT "fact_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."dim_users" ("user_id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "fact_sessions_user_id_idx" ON "public"."fact_sessions" ("user_id");
CREATE INDEX "fact_sessions_session_date_idx" ON "public"."fact_sessions" ("session_date");
COMMENT ON TABLE "public"."fact_sessions" IS 'one session';
COMMENT ON COLUMN "public"."fact_sessions"."session_id" IS 'the session''s id';
COMMENT ON COLUMN "public"."fact_sessions"."user_id" IS 'whose session';
COMMENT ON COLUMN "public"."fact_sessions"."session_date" IS 'the UTC day the session started';
