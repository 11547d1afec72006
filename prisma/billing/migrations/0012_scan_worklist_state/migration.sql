-- AlterTable
ALTER TABLE "billing"."scan" ADD COLUMN     "worklist_state" TEXT;


-- Where each completed scan stands on the unmatched-scans work list, kept on write by billing (issue #10):
-- the list and the slidecharge_unmatched_scans gauge read it through the partial index below, whose size
-- is the work list, instead of joining every completed scan with billing_slide at read time.
-- NULL: not on the list (not completed, or the slide's case had it when billing received the scan).
ALTER TABLE "billing"."scan" ADD CONSTRAINT "scan_worklist_state_check"
  CHECK ("worklist_state" IN ('open', 'dismissed', 'matched'));

-- Backfill with the semantics the list computed at read time until now: open / dismissed when no case
-- holds the slide, matched when its case took it after billing received the scan (assigned_at).
UPDATE "billing"."scan" s SET "worklist_state" = listed."state"
  FROM (SELECT c."scan_id",
               CASE WHEN sl."barcode" IS NULL AND c."dismissed_at" IS NULL THEN 'open'
                    WHEN sl."barcode" IS NULL THEN 'dismissed'
                    WHEN c."received_at" < sl."assigned_at" THEN 'matched' END AS "state"
          FROM "billing"."scan" c
          LEFT JOIN "billing"."billing_slide" sl ON sl."barcode" = c."slide_barcode"
         WHERE c."status" = 'completed') listed
 WHERE listed."scan_id" = s."scan_id" AND listed."state" IS NOT NULL;

-- The work list in its order (GET /unmatched-scans: state, newest received first, cursor on
-- (received_at, scan_id)) and the gauge's counts by state, over the listed scans only.
CREATE INDEX "scan_worklist_state_received_at_scan_id_idx"
  ON "billing"."scan"("worklist_state", "received_at" DESC, "scan_id" DESC) WHERE "worklist_state" IS NOT NULL;
