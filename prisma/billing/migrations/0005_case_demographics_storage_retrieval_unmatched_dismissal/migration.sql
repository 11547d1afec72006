-- AlterTable
ALTER TABLE "billing"."billing_case" ADD COLUMN     "ordering_provider" TEXT,
ADD COLUMN     "ordering_provider_npi" TEXT,
ADD COLUMN     "patient" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "payer_name" TEXT,
ADD COLUMN     "payer_plan" TEXT;

-- AlterTable
ALTER TABLE "billing"."billing_specimen" ADD COLUMN     "retrieved_from_storage_date" DATE;

-- AlterTable
ALTER TABLE "billing"."scan" ADD COLUMN     "dismissal_reason" TEXT,
ADD COLUMN     "dismissed_at" TIMESTAMPTZ(3),
ADD COLUMN     "dismissed_by" TEXT;

-- CreateIndex
CREATE INDEX "scan_received_at_scan_id_idx" ON "billing"."scan"("received_at" DESC, "scan_id" DESC);

