-- table: dim_users -- one user
CREATE TABLE "public"."dim_users" (
    "user_id" text /* type unknown until the first run */,
    "segment" text /* type unknown until the first run */,
    "lifetime_revenue" text /* type unknown until the first run */,
    CONSTRAINT "dim_users_pkey" PRIMARY KEY ("user_id")
);
COMMENT ON TABLE "public"."dim_users" IS 'one user';
COMMENT ON COLUMN "public"."dim_users"."user_id" IS 'the user''s id';
