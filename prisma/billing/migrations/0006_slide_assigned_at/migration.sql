-- AlterTable
ALTER TABLE "billing"."billing_slide" ADD COLUMN     "assigned_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;


-- Slides stored before this column: when their case took them is unknown, so they get the time of
-- their case's stored version (the approximation the unmatched-scans list used until now, so the
-- list shows the same for them). Slides written from now on get the real time.
UPDATE "billing"."billing_slide" sl SET "assigned_at" = c."updated_at"
  FROM "billing"."billing_case" c
 WHERE c."accession_number" = sl."accession_number";
