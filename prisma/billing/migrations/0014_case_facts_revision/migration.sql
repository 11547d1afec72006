-- AlterTable
ALTER TABLE "billing"."billing_case" ADD COLUMN     "facts_revision" INTEGER NOT NULL DEFAULT 0;

-- Issue #10: every transaction that decides a case first takes its row (FOR NO KEY UPDATE, in accession
-- order) and counts this up, in the transaction that changed its facts (case, specimens, slides, scans,
-- QC verdicts). Deciders of one case serialize on the row, and a billing process may keep a large case's
-- facts in memory: they are still the stored ones while the revision is the one it last wrote.
-- A constant default: no table rewrite.
