-- QC failures are counted by the rule that failed (focus, tissue, file-size, barcode, stitching), not by
-- the reason text, which carries the measured value and so made one breakdown key per scan. Verdicts
-- projected before this keep their reason texts and leave the 24-hour window within a day.
ALTER TABLE "ops_console"."qc_fact" RENAME COLUMN "reasons" TO "failed_rules";
