-- AlterTable
ALTER TABLE "billing"."billing_case" ADD COLUMN     "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;


-- Cases stored before this column: when billing first saw them is unknown, so they get the time of
-- their stored version (a lower bound of their age). Cases written from now on get the real time.
UPDATE "billing"."billing_case" SET "first_seen_at" = "updated_at";
